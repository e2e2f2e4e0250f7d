/** @module Uploads with progress and cancel (XHR: fetch reports no upload progress), and files read with the token into object URLs. */
import type { FileInfo } from "../../../src/protocol/index.js";
import { downloadFile } from "../../../src/sdk/index.js";

/** One file being attached in the composer. */
export interface Upload {
  key: number;
  name: string;
  size: number;
  /** 0…1 of the bytes sent. */
  progress: number;
  state: "uploading" | "done" | "failed";
  file?: FileInfo;
  error?: string;
  cancel(): void;
}

let nextKey = 0;

/**
 * Start uploading `blob` as `name`; `onChange` hears progress and the end. Cancel aborts the
 * request: the server keeps nothing of a cut upload.
 */
export function startUpload(token: string, blob: Blob, name: string, onChange: (upload: Upload) => void): Upload {
  const xhr = new XMLHttpRequest();
  const upload: Upload = {
    key: ++nextKey,
    name,
    size: blob.size,
    progress: 0,
    state: "uploading",
    cancel: () => xhr.abort(),
  };
  const update = (patch: Partial<Upload>) => {
    Object.assign(upload, patch);
    onChange(upload);
  };
  xhr.open("POST", "/api/v1/files");
  xhr.setRequestHeader("authorization", `Bearer ${token}`);
  xhr.setRequestHeader("x-file-name", encodeURIComponent(name));
  xhr.setRequestHeader("content-type", "application/octet-stream");
  xhr.upload.onprogress = (event) => {
    if (event.lengthComputable) update({ progress: event.loaded / event.total });
  };
  xhr.onload = () => {
    try {
      const body = JSON.parse(xhr.responseText) as { file?: FileInfo; error?: { code: string; message: string } };
      if (xhr.status === 201 && body.file) update({ state: "done", progress: 1, file: body.file });
      else update({ state: "failed", error: body.error?.code ?? `HTTP ${xhr.status}` });
    } catch {
      update({ state: "failed", error: `HTTP ${xhr.status}` });
    }
  };
  xhr.onerror = () => update({ state: "failed", error: "network_error" });
  xhr.send(blob);
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
