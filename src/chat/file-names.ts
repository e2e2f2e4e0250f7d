/** @module File names as users send them, made safe to store and to put in a download header, and still readable (Korean stays Korean). */

/** Bytes of UTF-8 a stored name may take (what most file systems allow for one name). */
export const MAX_NAME_BYTES = 255;

/**
 * Control characters (C0, DEL, C1), bidirectional overrides and isolates (an RTL override turns
 * `photo\u202Egpj.exe` into what reads as `photoexe.jpg`), zero-width marks and line separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;
/** What a path or a Windows file system gives a meaning to. */
const RESERVED = /[/\\:*?"<>|]/g;

/** Cut `text` to at most `max` bytes of UTF-8, never inside a character. */
function cutToBytes(text: string, max: number): string {
  let bytes = 0;
  let out = "";
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > max) break;
    bytes += size;
    out += char;
  }
  return out;
}

/**
 * A name safe to keep and show: NFC, no invisible or control characters, no path separators or
 * reserved characters (each becomes `_`), no leading dots or spaces (no `..`, no hidden file),
 * at most 255 bytes with its extension kept, and `file` when nothing is left.
 */
export function cleanFileName(raw: string): string {
  let name = raw.normalize("NFC").replace(INVISIBLE, "").replace(RESERVED, "_").trim();
  name = name.replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
  if (name === "") return "file";
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  return cutToBytes(name.slice(0, name.length - ext.length), MAX_NAME_BYTES - Buffer.byteLength(ext)) + ext;
}

/**
 * A `Content-Disposition` header value (RFC 6266) for a cleaned name: an ASCII fallback in
 * `filename` (non-ASCII and quotes as `_`) and the exact name in `filename*` (RFC 5987, UTF-8).
 */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
