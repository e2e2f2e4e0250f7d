/** @module The one error type the SDK rejects with: a server catalogue code or a client-side code. */
import { ERRORS, type ErrorCode } from "../protocol/index.js";

/**
 * Codes the SDK itself produces, beside the server's catalogue. `retryable` says whether the
 * same request may succeed later; the outbox retries those, the app decides for the rest.
 */
export const CLIENT_ERRORS = {
  timeout: { retryable: true, message: "No reply arrived in time; the request may or may not have run." },
  not_connected: { retryable: true, message: "The client was not connected before the request timed out." },
  connection_lost: { retryable: true, message: "The connection closed before the reply; the request may have run." },
  client_closed: { retryable: false, message: "The client was closed." },
  session_ended: { retryable: false, message: "The server ended this session for good; log in again." },
  network_error: { retryable: true, message: "The server could not be reached." },
  bad_response: { retryable: true, message: "The server's reply was not understood." },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

/** A code the SDK produces without asking the server. */
export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

/** An error reply from the server (any catalogue code) or a client-side failure. */
export class HaetaeRequestError extends Error {
  /** A stable code: from the server's catalogue, from {@link CLIENT_ERRORS}, or one this SDK does not know yet. */
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  /** When the server asked to wait before retrying, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message?: string, retryAfterMs?: number) {
    super(message ?? catalogueEntry(code)?.message ?? code);
    this.name = "HaetaeRequestError";
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  /** True when the same request may succeed later. Unknown codes (a newer server) count as final. */
  get retryable(): boolean {
    return catalogueEntry(this.code)?.retryable ?? false;
  }
}

function catalogueEntry(code: string): { retryable: boolean; message: string } | undefined {
  if (Object.hasOwn(ERRORS, code)) return ERRORS[code as ErrorCode];
  if (Object.hasOwn(CLIENT_ERRORS, code)) return CLIENT_ERRORS[code as ClientErrorCode];
  return undefined;
}

/** Wrap anything thrown into a {@link HaetaeRequestError}, keeping one that already is. */
export function toRequestError(error: unknown): HaetaeRequestError {
  if (error instanceof HaetaeRequestError) return error;
  return new HaetaeRequestError("bad_response", error instanceof Error ? error.message : String(error));
}
