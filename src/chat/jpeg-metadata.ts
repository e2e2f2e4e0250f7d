/** @module Lossless removal of a JPEG's metadata segments (EXIF with GPS, XMP, IPTC, comments): the picture's bytes are kept as they were. */

/** The APPn segments kept: JFIF (APP0), an ICC colour profile (APP2) and Adobe's colour transform (APP14), which carry no personal data. */
function keep(marker: number, body: Buffer): boolean {
  if (marker === 0xe0) return body.subarray(0, 5).toString("latin1") === "JFIF\u0000";
  if (marker === 0xe2) return body.subarray(0, 12).toString("latin1") === "ICC_PROFILE\u0000";
  if (marker === 0xee) return body.subarray(0, 5).toString("latin1") === "Adobe";
  return false;
}

/**
 * The JPEG without its APP1–APP15 segments (but those `keep` names) and comments, everything
 * from the start of scan on copied unchanged; null when the bytes are not a JPEG this parser
 * follows to its scan (the caller then re-encodes).
 */
export function stripJpegMetadata(jpeg: Buffer): Buffer | null {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) return null;
    const marker = jpeg[at + 1] as number;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xda) {
      parts.push(jpeg.subarray(at));
      return Buffer.concat(parts);
    }
    if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return null;
    const length = jpeg.readUInt16BE(at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > jpeg.length) return null;
    const isMeta = (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe;
    if (!isMeta || keep(marker, jpeg.subarray(at + 4, end))) parts.push(jpeg.subarray(at, end));
    at = end;
  }
  return null;
}
