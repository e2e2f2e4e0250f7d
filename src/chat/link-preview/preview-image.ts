/** @module A preview's image: fetched through the guarded fetch, sniffed (raster images only), re-encoded small as WebP and kept as a blob. */
import type { BlobStore, StagedBlob } from "../../store/blob-store.js";
import { type GuardedFetchOptions, guardedFetch, PreviewFetchError } from "./guarded-fetch.js";

/** Formats a preview image may be: what the browser draws as pixels (no SVG, which is a document). */
const RASTER = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"]);
/** The longest side of a stored preview image, in pixels. */
export const PREVIEW_IMAGE_SIDE = 600;

/**
 * Fetch the image at `url` and store a re-encoded copy: decoding and encoding again drops
 * whatever else the bytes carried (metadata, a polyglot's script) and bounds the size served.
 * Returns the committed blob, still staged: the caller commits it again should a file sweep have
 * deleted an equal blob before the cache row named it, then discards it. Throws
 * PreviewFetchError when the image is refused.
 */
export async function storePreviewImage(
  blobs: BlobStore,
  url: string,
  options: Omit<GuardedFetchOptions, "accept">,
  maxPixels: number,
): Promise<StagedBlob> {
  const fetched = await guardedFetch(url, {
    ...options,
    accept: "image/avif,image/webp,image/png,image/jpeg,image/gif",
  });
  if (fetched.truncated) throw new PreviewFetchError("the image is larger than linkPreviewImageMaxBytes");
  const { fileTypeFromBuffer } = await import("file-type");
  const sniffed = (await fileTypeFromBuffer(fetched.body))?.mime;
  if (sniffed === undefined || !RASTER.has(sniffed)) throw new PreviewFetchError(`not a raster image (${sniffed})`);
  let bytes: Buffer;
  try {
    // sharp and file-type load at the first preview image, not at start (as the upload path loads them).
    const { default: sharp } = await import("sharp");
    bytes = await sharp(fetched.body, { limitInputPixels: maxPixels })
      .rotate()
      .resize(PREVIEW_IMAGE_SIDE, PREVIEW_IMAGE_SIDE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
  } catch (error) {
    throw new PreviewFetchError(`the image cannot be decoded: ${(error as Error).message}`);
  }
  const staged = await blobs.stageBuffer(bytes);
  try {
    await blobs.commit(staged);
  } catch (error) {
    await staged.discard();
    throw error;
  }
  return staged;
}
