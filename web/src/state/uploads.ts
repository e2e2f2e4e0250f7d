/** @module Uploads over tus (tus-js-client: resumable, with progress and cancel), and files read with the token into object URLs. */
import type { DetailedError, Upload as TusUpload } from "tus-js-client";
import type { FileInfo } from "../../../src/protocol/index.js";
import { downloadFile } from "../../../src/sdk/index.js";

/** One file being attached in the composer, or carried by a message waiting in the outbox. */
export interface Upload {
  key: number;
  name: string;
  size: number;
  /** The bytes: kept so an upload can resume (after a drop, or a reload, from IndexedDB). */
  blob: Blob;
  /** The tus upload's address once the server made it: where a resume asks for the offset. */
  url?: string;
  /** 0…1 of the bytes the server has. */
  progress: number;
  state: "uploading" | "done" | "failed";
  file?: FileInfo;
  error?: string;
  /** Stop and drop it: the server deletes what it has of it. */
  cancel(): void;
  /** Stop sending but keep what the server has, to resume from `url` later. */
  pause(): void;
}

let nextKey = 0;

/**
 * tus-js-client (about 16 KB gzipped) loads when the first file is attached, not with the page:
 * a chat that sends no file never downloads it.
 */
let tusLibrary: Promise<typeof import("tus-js-client")> | undefined;
const loadTus = () => {
  tusLibrary ??= import("tus-js-client");
  return tusLibrary;
};

/**
 * Every uploaded file goes through tus (resumable), whatever its size: one path, and a photo cut
 * by a drop on a train resumes as a video does. A small file costs one request more than a plain
 * POST (creation with its data, then nothing: the body rides on the creation).
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Retry forever while the network is away (every few seconds): the user cancels, not a counter. */
const RETRY_DELAYS = [0, 1000, 2000, ...Array.from({ length: 10_000 }, () => 3000)];

/** The error code of a refused upload (`file_too_large`, `quota_exceeded`…), if the server gave one. */
function refusal(error: unknown): { code: string; status: number } | undefined {
  const response = (error as DetailedError).originalResponse;
  if (!response) return undefined;
  const status = response.getStatus();
  try {
    const code = (JSON.parse(response.getBody()) as { error?: { code?: string } }).error?.code;
    return { code: code ?? `HTTP ${status}`, status };
  } catch {
    return { code: `HTTP ${status}`, status };
  }
}

/**
 * Start (or, with `resumeUrl`, resume) uploading `blob` as `name` over tus at
 * `/api/v1/files/tus` with the Bearer token; `onChange` hears progress, the upload's address (to
 * keep it) and the end. A dropped connection is retried from the offset the server has: what
 * arrived is not sent again. A refusal (4xx other than 409/423: too large, over quota) fails it.
 */
export function startUpload(
  token: string,
  blob: Blob,
  name: string,
  onChange: (upload: Upload) => void,
  resumeUrl?: string,
): Upload {
  let tus: TusUpload | undefined;
  /** Set when cancel or pause came before the library loaded. */
  let stopped: "cancel" | "pause" | undefined;
  const make = (Tus: typeof TusUpload) =>
    new Tus(blob, {
      endpoint: `${location.origin}/api/v1/files/tus`,
      uploadUrl: resumeUrl ?? null,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: name },
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      // The outbox keeps the address itself (with the message, in IndexedDB); no localStorage copy.
      storeFingerprintForResuming: false,
      onShouldRetry: (error) => {
        const status = (error as DetailedError).originalResponse?.getStatus() ?? 0;
        return status < 400 || status >= 500 || status === 409 || status === 423;
      },
      onUploadUrlAvailable: () => update({ url: tus?.url ?? undefined }),
      onProgress: (sent, total) => update({ progress: total > 0 ? sent / total : 0 }),
      onSuccess: ({ lastResponse }) => {
        try {
          const body = JSON.parse(lastResponse.getBody()) as { file?: FileInfo };
          if (body.file) return update({ state: "done", progress: 1, file: body.file });
        } catch {
          // answered below
        }
        update({ state: "failed", error: `HTTP ${lastResponse.getStatus()}` });
      },
      onError: (error) => update({ state: "failed", error: refusal(error)?.code ?? "network_error" }),
    });
  const upload: Upload = {
    key: ++nextKey,
    name,
    size: blob.size,
    blob,
    ...(resumeUrl ? { url: resumeUrl } : {}),
    progress: 0,
    state: "uploading",
    cancel: () => {
      stopped = "cancel";
      void tus?.abort(true).catch(() => undefined);
    },
    pause: () => {
      stopped ??= "pause";
      void tus?.abort(false).catch(() => undefined);
    },
  };
  function update(patch: Partial<Upload>): void {
    Object.assign(upload, patch);
    onChange(upload);
  }
  loadTus().then(
    ({ Upload: Tus }) => {
      if (stopped) return;
      tus = make(Tus);
      tus.start();
    },
    () => update({ state: "failed", error: "network_error" }),
  );
  return upload;
}

/** Object URLs of files already read, by path: a thumbnail is fetched once per page. */
const objectUrls = new Map<string, Promise<string>>();

/** An object URL for a file path, read with the token (an <img> cannot send the Bearer header). */
export function objectUrl(token: string, path: string): Promise<string> {
  let url = objectUrls.get(path);
  if (!url) {
    url = downloadFile(location.origin, token, path).then((blob) => URL.createObjectURL(blob));
    url.catch(() => objectUrls.delete(path));
    objectUrls.set(path, url);
  }
  return url;
}

/** Save a file to the device under its name. */
export async function saveFile(token: string, file: FileInfo): Promise<void> {
  const url = await objectUrl(token, file.url);
  const a = document.createElement("a");
  a.href = url;
  a.download = file.name;
  document.body.append(a);
  a.click();
  a.remove();
}

/** `1.2 MB`, `340 KB`, `12 B`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Is this a photo the page shows (it has a thumbnail and dimensions)? */
export function isPhoto(file: FileInfo): boolean {
  return file.thumbnailUrl !== undefined && file.width !== undefined && file.height !== undefined;
}
