/** @module Shared steps for the file suites: uploads and downloads over real HTTP, a raw-socket upload that can be cut, crafted images. */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { crc32, deflateSync } from "node:zlib";
import type { FileInfo } from "../../src/protocol/index.js";

/** An upload's answer: status and JSON body. */
export interface Answer {
  status: number;
  body: { file?: FileInfo; error?: { code: string; message: string; retryAfterMs?: number } };
  headers: Headers;
}

/** POST the bytes as an upload named `name` (percent-encoded as the protocol says). */
export async function upload(baseUrl: string, token: string, bytes: Uint8Array, name = "file.bin"): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "x-file-name": encodeURIComponent(name) },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as Answer["body"], headers: res.headers };
}

/** Upload and return the file, failing on anything but 201. */
export async function uploaded(baseUrl: string, token: string, bytes: Uint8Array, name?: string): Promise<FileInfo> {
  const answer = await upload(baseUrl, token, bytes, name);
  if (answer.status !== 201 || !answer.body.file)
    throw new Error(`upload: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.file;
}

/** GET a file path with the token; the bytes and the answer. */
export async function download(
  baseUrl: string,
  token: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Send a request head over a raw socket, then only `sendBytes` of the body, then cut the
 * connection: what a phone losing its signal mid-upload does. Resolves once the socket closed.
 */
export function cutUpload(baseUrl: string, head: string, body: Uint8Array, sendBytes: number): Promise<void> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(head);
      socket.write(body.subarray(0, sendBytes), () => setTimeout(() => socket.destroy(), 100));
    });
    socket.on("close", () => resolve());
    socket.on("error", () => undefined);
  });
}

/** A raw HTTP request over a socket (for heads fetch will not send); the whole answer as text. */
export function rawRequest(baseUrl: string, request: string | Buffer): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      // One answer is all a test wants: stop at the end of a JSON body.
      const text = Buffer.concat(chunks).toString("utf8");
      if (/\r\n\r\n[\s\S]*\}\s*$/.test(text)) socket.end();
    });
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
  });
}

/** A PNG chunk with its length and CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG header claiming `width`×`height` pixels, with a few kilobytes
 * of compressed zeros (decoded in full it would need width × height × 3 bytes).
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(64 * 1024))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
