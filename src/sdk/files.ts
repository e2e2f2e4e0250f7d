/** @module Files over HTTP: upload (raw bytes, the name percent-encoded) and download with the Bearer header. */
import type { FileInfo, FileUploadReply } from "../protocol/index.js";
import { readAnswer, requestFailed } from "./http.js";

/**
 * Upload a file; resolves with the stored file once the server has it durably. Uploading the
 * same bytes under the same name again returns the same file, so a retry after a lost answer is
 * safe. `signal` cancels it (nothing is stored). Pass a `Blob`/`File` in browsers, bytes in Node.
 */
export async function uploadFile(
  baseUrl: string,
  token: string,
  data: Blob | Uint8Array,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<FileInfo> {
  const path = "/api/v1/files";
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "x-file-name": encodeURIComponent(name),
        "content-type": "application/octet-stream",
      },
      body: data as NonNullable<RequestInit["body"]>,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw requestFailed(path, error);
  }
  return (await readAnswer<FileUploadReply>(response, path)).file;
}

/**
 * Read a file (its `url` or `thumbnailUrl`) with the token: the server answers only the uploader
 * and members of a conversation carrying it (`not_found` otherwise). Resolves with its bytes as a Blob.
 */
export async function downloadFile(
  baseUrl: string,
  token: string,
  url: string,
  options: { signal?: AbortSignal } = {},
): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, "")}${url}`, {
      headers: { authorization: `Bearer ${token}` },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw requestFailed(url, error);
  }
  if (!response.ok) await readAnswer<never>(response, url);
  return response.blob();
}
