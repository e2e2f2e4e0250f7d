/** @module The file routes: `POST /api/v1/files` (an upload), `GET /api/v1/files/:id[/thumbnail]` (its bytes, with Range, ETag and 304) and `GET /api/v1/previews/:id/image` (a link preview's image), each answer sandboxed. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { authenticate } from "../chat/accounts.js";
import { readableFile, uploadFile } from "../chat/actions/files.js";
import { readablePreviewImage } from "../chat/actions/link-previews.js";
import type { ChatContext } from "../chat/context.js";
import { contentDisposition } from "../chat/file-names.js";
import { AddressLimiter } from "../guard/address-limiter.js";
import { sendJson } from "../http/answers.js";
import { bearer } from "../http/request.js";
import { errorAnswer } from "../http/wire-errors.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import { HaetaeError } from "../protocol/index.js";
import type { ByteRange } from "../store/blob-store.js";

/** Shown in the page (`inline`) only when a browser renders it as a plain image, sound or video. */
const INLINE_TYPES = new Set([
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/avif",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/x-wav",
  "audio/mp4",
  "audio/x-m4a",
  "audio/aac",
  "audio/flac",
  "audio/webm",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
]);

/**
 * Sent with every file answer, whatever its type: the browser must not guess a type from the
 * bytes (nosniff), and a document opened from this path runs nothing and reaches nothing
 * (`sandbox`, `default-src 'none'`): an uploaded SVG, HTML page or GIF/JS polyglot never runs
 * in the page's origin.
 */
const SANDBOX_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
} as const;

/** Decode `X-File-Name` (percent-encoded UTF-8); malformed is `invalid_request`. */
function nameOf(req: IncomingMessage): string | undefined {
  const raw = req.headers["x-file-name"];
  if (typeof raw !== "string") return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HaetaeError("invalid_request", "X-File-Name must be percent-encoded UTF-8.");
  }
}

/** The Content-Length of a request, or undefined; a malformed one is `invalid_request`. */
function lengthOf(req: IncomingMessage): number | undefined {
  const raw = req.headers["content-length"];
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw)) throw new HaetaeError("invalid_request", "Content-Length is not a number.");
  return Number(raw);
}

/**
 * The one range a `Range: bytes=…` header asks for, null for the whole file (absent, or several
 * ranges, which are answered whole), or "unsatisfiable" (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from = "", to = ""] = match;
  if (from === "" && to === "") return null;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  if (start >= size) return "unsatisfiable";
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (end < start) return null;
  return { start, end };
}

/**
 * The handlers of the file routes, with the per-user upload rate. Each outcome is reported to
 * `traffic` (the upload and download SLIs of the `files` component).
 */
export function fileRoutes(ctx: ChatContext, uploadsPerMinute: number, traffic?: TrafficSli) {
  const uploads = new AddressLimiter(uploadsPerMinute / 60, uploadsPerMinute);

  /** Run one file request and report its outcome; `who` learns the user once they are known. */
  async function measured(
    sli: "upload" | "download",
    run: (who: (userId: string) => void) => Promise<void>,
  ): Promise<void> {
    const started = performance.now();
    let userId: string | undefined;
    try {
      await run((id) => {
        userId = id;
      });
      traffic?.file(sli, userId, "ok", performance.now() - started);
    } catch (error) {
      traffic?.file(sli, userId, errorAnswer(error).error.code, performance.now() - started);
      throw error;
    }
  }

  const upload = (req: IncomingMessage, res: ServerResponse) =>
    measured("upload", async (who) => {
      try {
        const { user } = await authenticate(ctx, bearer(req));
        who(user.id);
        const wait = uploads.take(user.id);
        if (wait > 0) throw new HaetaeError("rate_limited", "Too many uploads; retry after retryAfterMs.", wait);
        const file = await uploadFile(ctx, user.id, { body: req, length: lengthOf(req), name: nameOf(req) });
        sendJson(res, 201, { file });
      } catch (error) {
        // Refused before its body was read (no token, too large, over quota): the rest of it is
        // not waited for, the connection closes after the answer.
        if (!req.readableEnded) res.setHeader("connection", "close");
        throw error;
      }
    });

  const download = (req: IncomingMessage, res: ServerResponse, fileId: string, thumbnail: boolean) =>
    measured("download", (who) => serve(req, res, fileId, thumbnail, who));

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    fileId: string,
    thumbnail: boolean,
    who: (userId: string) => void,
  ): Promise<void> {
    const { user } = await authenticate(ctx, bearer(req));
    who(user.id);
    const file = await readableFile(ctx, user.id, fileId);
    const sha256 = thumbnail ? file.thumbSha256 : file.sha256;
    if (sha256 === undefined) throw new HaetaeError("not_found", "This file has no thumbnail.");
    const size = await ctx.blobs.size(sha256);
    if (size === null) throw new Error(`the blob ${sha256} of file ${file.id} is missing`);
    const type = thumbnail ? "image/webp" : file.contentType;
    const inline = INLINE_TYPES.has(type);
    const etag = `"${sha256}"`;
    const headers: Record<string, string | number> = {
      ...SANDBOX_HEADERS,
      etag,
      "cache-control": "private, max-age=31536000, immutable",
      "accept-ranges": "bytes",
      // A type the browser would show without running anything, or bytes to save.
      "content-type": inline ? type : "application/octet-stream",
      "content-disposition": contentDisposition(inline ? "inline" : "attachment", file.name),
    };
    const match = req.headers["if-none-match"];
    if (match?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    const ifRange = req.headers["if-range"];
    const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
    if (range === "unsatisfiable") {
      res.setHeader("content-range", `bytes */${size}`);
      for (const [name, value] of Object.entries(SANDBOX_HEADERS)) res.setHeader(name, value);
      throw new HaetaeError("range_not_satisfiable", `The file has ${size} bytes.`);
    }
    if (range) {
      headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
      headers["content-length"] = range.end - range.start + 1;
    } else {
      headers["content-length"] = size;
    }
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") return void res.end();
    try {
      await pipeline(ctx.blobs.read(sha256, range ?? undefined), res);
    } catch {
      // The reader hung up: nothing to answer.
      res.destroy();
    }
  }

  /** A link preview's image: stored re-encoded as WebP, served like a thumbnail. */
  async function previewImage(req: IncomingMessage, res: ServerResponse, previewId: string): Promise<void> {
    const { user } = await authenticate(ctx, bearer(req));
    const sha256 = await readablePreviewImage(ctx, user.id, previewId);
    const size = await ctx.blobs.size(sha256);
    if (size === null) throw new Error(`the blob ${sha256} of preview ${previewId} is missing`);
    const etag = `"${sha256}"`;
    const headers: Record<string, string | number> = {
      ...SANDBOX_HEADERS,
      etag,
      // The image of a URL may change when it is fetched again: revalidated, never kept for a year.
      "cache-control": "private, no-cache",
      "content-type": "image/webp",
      "content-disposition": "inline",
    };
    const match = req.headers["if-none-match"];
    if (match?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, "content-length": size });
    if (req.method === "HEAD") return void res.end();
    try {
      await pipeline(ctx.blobs.read(sha256), res);
    } catch {
      res.destroy();
    }
  }

  return { upload, download, previewImage };
}
