/** @module The answer to a request Node's HTTP parser refuses: a catalogue error body, on the chat port and the status port alike. */
import type { Duplex } from "node:stream";
import { ERRORS, type ErrorCode } from "../protocol/index.js";

/**
 * A request Node's parser refuses never reaches a route; it still gets a catalogue error body,
 * like every other error (it was an empty 400, even for headers past Node's size limit).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
  const code: ErrorCode = error.code === "HPE_HEADER_OVERFLOW" ? "headers_too_large" : "invalid_request";
  const message = code === "invalid_request" ? "The request is not valid HTTP." : ERRORS[code].message;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${ERRORS[code].status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
