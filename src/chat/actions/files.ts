/**
 * @module Files: an upload streamed to the blob store and kept as a file row only once its bytes
 * are durable; the one access check for reading a file; the files a send attaches; and the sweep
 * that deletes what nothing refers to.
 */
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Metadata } from "sharp";
import type { ConversationFile, FileInfo } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import type { StagedBlob } from "../../store/blob-store.js";
import { type FileRecord, fileInfo } from "../../store/store.js";
import { accessConversation } from "../access.js";
import { type ChatContext, newId } from "../context.js";
import { cleanFileName } from "../file-names.js";
import { stripJpegMetadata } from "../jpeg-metadata.js";
import { makeThumbnail } from "../thumbnail.js";

/** Images whose bytes are re-encoded: orientation applied, every metadata block (EXIF, GPS, XMP) dropped. */
const CLEANED_IMAGES: Record<string, "jpeg" | "png" | "webp"> = {
  "image/jpeg": "jpeg",
  "image/png": "png",
  "image/webp": "webp",
};
/** Images kept as sent, measured only (a GIF's frames; it carries no EXIF). */
const MEASURED_IMAGES = new Set(["image/gif"]);
/** The largest JPEG whose metadata is removed in memory without re-encoding (larger ones are re-encoded). */
const LOSSLESS_JPEG_MAX_BYTES = 64 * 1024 * 1024;
/** Rows and blobs one sweep handles at most. */
const SWEEP_BATCH = 500;

/** What an upload says about itself besides its bytes. */
export interface UploadInput {
  body: Readable;
  /** `Content-Length`, when the request had one. */
  length: number | undefined;
  /** The name as sent, already percent-decoded. */
  name: string | undefined;
}

/** The bytes to keep for an upload: the staged original, or a cleaned image with its thumbnail. */
interface Prepared {
  main: StagedBlob;
  contentType: string;
  width?: number;
  height?: number;
  thumbnail?: StagedBlob;
}

/**
 * file-type, loaded at the first upload, and sharp, loaded at the first image, rather than at
 * start: together they are about 45 MB of resident memory and a second of start-up on a busy
 * core, which a node that is only carrying text never needs. sharp (libvips, most of it) waits
 * for a photo: the probes' upload every few seconds is not one, so an idle node never loads it.
 */
let sniffer: Promise<typeof import("file-type").fileTypeFromFile> | undefined;
let imageCodec: Promise<typeof import("sharp").default> | undefined;
function loadSniffer() {
  sniffer ??= import("file-type").then((fileType) => fileType.fileTypeFromFile);
  return sniffer;
}
function loadImageCodec() {
  imageCodec ??= import("sharp").then((sharp) => sharp.default);
  return imageCodec;
}

/**
 * Sniff the staged bytes and, for a photo, make the bytes that will be served: orientation
 * applied, metadata stripped, a thumbnail. Too many pixels is `image_too_large` (a decompression
 * bomb is refused before it is decoded); an image the decoder cannot read is kept as a plain file.
 */
async function prepare(ctx: ChatContext, staged: StagedBlob): Promise<Prepared> {
  const fileTypeFromFile = await loadSniffer();
  const sniffed = (await fileTypeFromFile(staged.path))?.mime ?? "application/octet-stream";
  const format = CLEANED_IMAGES[sniffed];
  if (!format && !MEASURED_IMAGES.has(sniffed)) return { main: staged, contentType: sniffed };
  const sharp = await loadImageCodec();
  const limit = ctx.limits.maxImagePixels;
  let meta: Metadata;
  try {
    meta = await sharp(staged.path, { limitInputPixels: false }).metadata();
  } catch {
    return { main: staged, contentType: "application/octet-stream" };
  }
  const pixels = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
  if (pixels > limit) {
    throw new HaetaeError(
      "image_too_large",
      `The image is ${meta.width}×${meta.height} pixels; the server decodes at most ${limit} pixels.`,
    );
  }
  try {
    // A JPEG that needs no turning loses its metadata segments without being re-encoded: the
    // picture stays as the camera made it, and a 12 MP photo costs a copy, not a decode and an encode.
    if (format === "jpeg" && (meta.orientation ?? 1) === 1 && staged.size <= LOSSLESS_JPEG_MAX_BYTES) {
      const stripped = stripJpegMetadata(await readFile(staged.path));
      if (stripped) {
        const thumb = await makeThumbnail(stripped, limit);
        const main = await ctx.blobs.stageBuffer(stripped);
        await staged.discard();
        return {
          main,
          contentType: sniffed,
          width: meta.width,
          height: meta.height,
          thumbnail: await ctx.blobs.stageBuffer(thumb),
        };
      }
    }
    if (!format) {
      const thumb = await makeThumbnail(staged.path, limit);
      return {
        main: staged,
        contentType: sniffed,
        width: meta.width,
        height: meta.pageHeight ?? meta.height,
        thumbnail: await ctx.blobs.stageBuffer(thumb),
      };
    }
    // rotate() with no angle applies the EXIF orientation; sharp writes no metadata unless asked.
    // The thumbnail is made from the original in parallel: a JPEG is then shrunk while it is
    // decoded (a 12 MP photo is read at 1/8 of its size), not decoded whole a second time.
    const [cleaned, thumb] = await Promise.all([
      sharp(staged.path, { limitInputPixels: limit })
        .rotate()
        .toFormat(format, format === "png" ? {} : { quality: 90 })
        .toBuffer({ resolveWithObject: true }),
      makeThumbnail(staged.path, limit, true),
    ]);
    const main = await ctx.blobs.stageBuffer(cleaned.data);
    await staged.discard();
    return {
      main,
      contentType: sniffed,
      width: cleaned.info.width,
      height: cleaned.info.height,
      thumbnail: await ctx.blobs.stageBuffer(thumb),
    };
  } catch {
    // Truncated or corrupt: a file like any other, never shown as an image.
    return { main: staged, contentType: "application/octet-stream" };
  }
}

/**
 * Refuse an upload before a byte is read: no length (`length_required`), more than
 * `maxFileBytes` (`file_too_large`), an empty file, a quota it would pass (`quota_exceeded`).
 */
export async function checkUpload(ctx: ChatContext, ownerId: string, length: number | undefined): Promise<number> {
  const max = ctx.limits.maxFileBytes;
  if (length === undefined) throw new HaetaeError("length_required");
  if (length > max) {
    throw new HaetaeError("file_too_large", `The file is ${length} bytes; the server takes at most ${max}.`);
  }
  if (length === 0) throw new HaetaeError("invalid_request", "The file is empty.");
  const used = await ctx.store.usedFileBytes(ownerId);
  if (used + length > ctx.limits.fileQuotaBytes) {
    throw new HaetaeError(
      "quota_exceeded",
      `You use ${used} of ${ctx.limits.fileQuotaBytes} bytes; this file needs ${length}.`,
    );
  }
  return length;
}

/**
 * Store an upload (checked by `checkUpload` first). The bytes are streamed to a staging file and
 * fsync'd; a body cut short leaves nothing. Then `keepStaged` makes them a file.
 */
export async function uploadFile(ctx: ChatContext, ownerId: string, input: UploadInput): Promise<FileInfo> {
  const length = await checkUpload(ctx, ownerId, input.length);
  let staged: StagedBlob;
  try {
    staged = await ctx.blobs.stage(
      input.body,
      length,
      () => new HaetaeError("file_too_large", "The body is longer than its Content-Length."),
    );
  } catch (error) {
    if (error instanceof HaetaeError) throw error;
    // A file-system error (it names its path: the staging folder unwritable, the disk full) is
    // the server's failure and stays one; anything else is the body cut short by the client.
    if (typeof (error as { path?: unknown }).path === "string") throw error;
    throw new HaetaeError("invalid_request", "The upload ended before its Content-Length; nothing was stored.");
  }
  return keepStaged(ctx, ownerId, staged, input.name);
}

/**
 * Make staged bytes a file: sniffed and (a photo) cleaned, the blobs committed, then the file
 * row; resolves only after both are durable. The same bytes under the same name from the same
 * user are the same file (one row, not two). The staging files are removed in every case.
 */
export async function keepStaged(
  ctx: ChatContext,
  ownerId: string,
  staged: StagedBlob,
  rawName: string | undefined,
): Promise<FileInfo> {
  const name = cleanFileName(rawName ?? "");
  let prepared: Prepared | undefined;
  try {
    prepared = await prepare(ctx, staged);
    const { main, thumbnail } = prepared;
    await ctx.blobs.commit(main);
    if (thumbnail) await ctx.blobs.commit(thumbnail);
    const { file } = await ctx.store.insertFile({
      id: newId(),
      ownerId,
      name,
      size: main.size,
      contentType: prepared.contentType,
      sha256: main.sha256,
      ...(prepared.width !== undefined ? { width: prepared.width } : {}),
      ...(prepared.height !== undefined ? { height: prepared.height } : {}),
      ...(thumbnail ? { thumbSha256: thumbnail.sha256 } : {}),
      createdAt: ctx.now().toISOString(),
    });
    // A sweep may have deleted an equal blob whose last row went away between our commit and
    // our row (it deletes inside a write; ours came after it): the row now keeps the blob, so
    // putting the bytes back from staging makes it whole.
    if ((await ctx.blobs.size(main.sha256)) === null) await ctx.blobs.commit(main);
    if (thumbnail && (await ctx.blobs.size(thumbnail.sha256)) === null) await ctx.blobs.commit(thumbnail);
    return fileInfo(file);
  } finally {
    await staged.discard();
    if (prepared) {
      await prepared.main.discard();
      await prepared.thumbnail?.discard();
    }
  }
}

/**
 * The one access check for reading a file: its uploader, every active member of a
 * conversation with a message (not deleted) that carries it, and, for a profile photo, every
 * signed-in user (a photo is shown wherever the name is). Everyone else, and an id that never
 * existed, get the same `not_found`.
 */
export async function readableFile(ctx: ChatContext, userId: string, fileId: string): Promise<FileRecord> {
  const readable = await ctx.store.readableFileIds(userId, [fileId]);
  const file = readable.has(fileId) ? (await ctx.store.getFiles([fileId]))[0] : undefined;
  if (!file) throw new HaetaeError("not_found");
  return file;
}

/**
 * The files a send attaches, in order: each must be one the sender may read (their upload, or a
 * file they can read in a conversation: forwarding); otherwise `not_found`, as for an unknown id.
 */
export async function filesToAttach(
  ctx: ChatContext,
  senderId: string,
  fileIds: readonly string[],
): Promise<FileInfo[]> {
  if (new Set(fileIds).size !== fileIds.length) {
    throw new HaetaeError("invalid_request", "fileIds: a file is named twice.");
  }
  const readable = await ctx.store.readableFileIds(senderId, fileIds);
  const byId = new Map((await ctx.store.getFiles([...readable])).map((f) => [f.id, f]));
  return fileIds.map((id) => {
    const file = byId.get(id);
    if (!file) throw new HaetaeError("not_found", `fileIds: there is no file ${JSON.stringify(id)} you can read.`);
    return fileInfo(file);
  });
}

/** The cursor of `files.list`: the place of a page's last file, `<seq>.<position>`. */
const FILES_CURSOR = /^(\d{1,10})\.(\d{1,3})$/;

/** A page of the files of a conversation the user is a member of (the chat's drawer), newest first. */
export async function listFiles(
  ctx: ChatContext,
  userId: string,
  input: {
    conversationId: string;
    kind?: "photo" | "file" | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  },
): Promise<{ files: ConversationFile[]; cursor: string | null; hasMore: boolean }> {
  await accessConversation(ctx, userId, input.conversationId);
  let after: { seq: number; position: number } | undefined;
  if (input.cursor !== undefined) {
    const match = FILES_CURSOR.exec(input.cursor);
    if (!match) throw new HaetaeError("invalid_cursor");
    after = { seq: Number(match[1]), position: Number(match[2]) };
  }
  const page = await ctx.store.listConversationFiles(input.conversationId, {
    limit: input.limit ?? 50,
    ...(input.kind ? { kind: input.kind } : {}),
    ...(after ? { after } : {}),
  });
  const last = page.files.at(-1);
  return {
    files: page.files.map(({ position: _position, ...rest }) => rest),
    cursor: page.hasMore && last ? `${last.seq}.${last.position}` : null,
    hasMore: page.hasMore,
  };
}

/** Remove uploads never attached within `unattachedFileTtlMs`, and blobs no file row names any more. */
export async function sweepFiles(ctx: ChatContext): Promise<{ files: number; blobs: number }> {
  const cutoff = new Date(ctx.now().getTime() - ctx.limits.unattachedFileTtlMs).toISOString();
  return ctx.store.sweepFiles(cutoff, SWEEP_BATCH, (sha256) => ctx.blobs.delete(sha256));
}

/** Sweep every `fileSweepMs` (0: never); returns the way to stop. */
export function startFileSweeper(ctx: ChatContext, everyMs: number): () => void {
  if (everyMs === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepFiles(ctx)
      .catch((error: Error) => console.warn(`haetae: the file sweep failed (it runs again): ${error.message}`))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
