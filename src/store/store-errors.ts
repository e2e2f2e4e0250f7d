/**
 * @module The errors a store throws, whatever its driver. Each driver turns its database's own
 * failures into these, so nothing above the store reads a SQLSTATE or a driver's error class.
 */

/** The database cannot be reached (refused, lost, timed out, closed); the write was not made. Callers answer `unavailable`. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * The database refused a value the request carried (out of range for its column, not valid in
 * its type or encoding) that validation let through: the request is bad, not the server.
 */
export class StoreInvalidValueError extends Error {
  override name = "StoreInvalidValueError";
}

/** Raised when a unique key is already taken (username). */
export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}
