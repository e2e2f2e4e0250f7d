/**
 * @module The one mapping from anything a request threw to the catalogue error it is answered
 * with, for the chat API, the ops API, the status routes and the WebSocket alike. It sees only
 * HaetaeError and the store's own error types (src/store/store-errors.ts): each driver classifies
 * its database's failures, so no SQLSTATE is read here.
 */
import { ERRORS, HaetaeError } from "../protocol/index.js";
import { StoreInvalidValueError, StoreUnavailableError } from "../store/store-errors.js";

/** What a failed request is answered with, and whether the failure was unexpected (logged, a bug or an outage of our own). */
export interface ErrorAnswer {
  /** The answer: its `code`, HTTP `status`, `message` and `retryAfterMs`. */
  error: HaetaeError;
  unexpected: boolean;
}

/**
 * Turn a thrown value into its answer. A store that cannot be reached is `unavailable` (503,
 * retry in a second) on every path: the HTTP routes answered 500 `internal` for it while the
 * WebSocket answered 503, so a PostgreSQL outage made every login look like a server bug.
 */
export function errorAnswer(thrown: unknown): ErrorAnswer {
  if (thrown instanceof HaetaeError) return { error: thrown, unexpected: false };
  if (thrown instanceof StoreInvalidValueError) {
    // The database refused a value the schema let through: the request is bad, not the server.
    return { error: new HaetaeError("invalid_request", "A value is out of range or not valid."), unexpected: false };
  }
  if (thrown instanceof StoreUnavailableError) {
    // Nothing was acknowledged; the client retries (a send with the same clientMsgId) later.
    return {
      error: new HaetaeError("unavailable", "The store cannot be reached; retry shortly.", 1000),
      unexpected: false,
    };
  }
  return { error: new HaetaeError("internal", ERRORS.internal.message, 1000), unexpected: true };
}
