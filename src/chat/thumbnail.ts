/** @module The thumbnail of a photo: at most 320 px on its longer side, WebP, the one recipe the upload path and bench:files both run. */

/** The longer side of a thumbnail, in pixels. */
export const THUMBNAIL_SIDE = 320;

/**
 * A WebP thumbnail of `input` (a path or the bytes), decoding at most `limitInputPixels`.
 * `rotate` applies the EXIF orientation first (a photo that is stored turned). A JPEG is shrunk
 * while it is decoded (a 12 MP photo read at 1/8 of its size), so this is the cheap part of an
 * upload; `npm run bench:files` times it alone.
 */
export async function makeThumbnail(input: string | Buffer, limitInputPixels: number, rotate = false): Promise<Buffer> {
  // Loaded at the first photo, not at start (see the upload path's codecs).
  const { default: sharp } = await import("sharp");
  const image = sharp(input, { limitInputPixels });
  return (rotate ? image.rotate() : image)
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 75 })
    .toBuffer();
}
