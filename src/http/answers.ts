/** @module JSON answers: a body with its length, a catalogue error with Retry-After, and a thrown error answered as the one mapping says. */
import type { ServerResponse } from "node:http";
import { ERRORS, type ErrorCode } from "../protocol/index.js";
import { errorAnswer } from "./wire-errors.js";

/** Send a JSON reply with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Send `{error: {code, message, retryAfterMs?}}` with the code's status; a wait also goes in `Retry-After` (whole seconds, rounded up). */
export function sendError(res: ServerResponse, code: ErrorCode, message?: string, retryAfterMs?: number): void {
  const error: Record<string, unknown> = { code, message: message ?? ERRORS[code].message };
  if (retryAfterMs !== undefined) {
    error.retryAfterMs = retryAfterMs;
    res.setHeader("retry-after", Math.ceil(retryAfterMs / 1000));
  }
  sendJson(res, ERRORS[code].status, { error });
}

/**
 * Answer what a route threw. An unexpected failure is logged as `<what> failed:`; once the
 * head is sent no error can follow it, so the connection is cut instead.
 */
export function sendThrown(res: ServerResponse, thrown: unknown, what: string): void {
  if (res.headersSent) return void res.destroy();
  const answer = errorAnswer(thrown);
  if (answer.unexpected) console.error(`${what} failed:`, thrown);
  sendError(res, answer.error.code, answer.error.message, answer.error.retryAfterMs);
}
