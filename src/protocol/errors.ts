/** @module The one error catalogue: every stable error code, its HTTP status and whether a retry can succeed. */

/**
 * Every error the server sends names one of these codes. Codes are stable: a retired code is
 * never reused for another meaning. `docs/errors.md` lists them all; a test keeps the two in step.
 */
export const ERRORS = {
  invalid_json: { status: 400, retryable: false, message: "The frame or body is not valid JSON." },
  invalid_request: { status: 400, retryable: false, message: "A field is missing or has the wrong type." },
  unknown_type: { status: 400, retryable: false, message: "The request type is not known." },
  frame_too_large: { status: 413, retryable: false, message: "The frame or body is larger than the limit." },
  file_too_large: { status: 413, retryable: false, message: "The file is larger than the server takes." },
  image_too_large: {
    status: 413,
    retryable: false,
    message: "The image has more pixels than the server decodes; send it as a smaller image.",
  },
  quota_exceeded: {
    status: 413,
    retryable: false,
    message: "The upload would pass your storage quota; delete files or ask for more room.",
  },
  length_required: { status: 411, retryable: false, message: "An upload must say its length in Content-Length." },
  range_not_satisfiable: { status: 416, retryable: false, message: "The range asked for lies outside the file." },
  text_too_long: { status: 400, retryable: false, message: "The message text is longer than the limit." },
  invalid_username: { status: 400, retryable: false, message: "The username does not follow the rules." },
  weak_password: {
    status: 400,
    retryable: false,
    message: "The password is too short, too long or too easy to guess.",
  },
  invalid_cursor: { status: 400, retryable: false, message: "The sync cursor is not one this server issued." },
  invalid_conversation_kind: {
    status: 400,
    retryable: false,
    message: "This request does not apply to this kind of conversation.",
  },
  unauthorized: { status: 401, retryable: false, message: "No valid session token was presented." },
  invalid_credentials: { status: 401, retryable: false, message: "The username or password is wrong." },
  forbidden: { status: 403, retryable: false, message: "You may not do this here." },
  origin_not_allowed: {
    status: 403,
    retryable: false,
    message: "A page of another site may not make this request; only the server's own origin may.",
  },
  blocked: { status: 403, retryable: false, message: "This user does not accept your messages." },
  not_message_owner: { status: 403, retryable: false, message: "Only the sender may change this message." },
  not_found: {
    status: 404,
    retryable: false,
    message: "There is no such file, or it is not yours to read.",
  },
  route_not_found: { status: 404, retryable: false, message: "There is no such endpoint." },
  user_not_found: { status: 404, retryable: false, message: "There is no such user." },
  conversation_not_found: { status: 404, retryable: false, message: "There is no such conversation." },
  message_not_found: { status: 404, retryable: false, message: "There is no message with this seq." },
  device_not_found: { status: 404, retryable: false, message: "There is no such device." },
  incident_not_found: { status: 404, retryable: false, message: "There is no such incident." },
  alert_not_found: { status: 404, retryable: false, message: "There is no such alert." },
  component_not_found: { status: 404, retryable: false, message: "There is no such component." },
  maintenance_not_found: { status: 404, retryable: false, message: "There is no such maintenance." },
  follow_up_not_found: { status: 404, retryable: false, message: "There is no such follow-up." },
  subscriber_not_found: { status: 404, retryable: false, message: "There is no such status subscription." },
  group_link_not_found: { status: 404, retryable: false, message: "There is no invite link with this token." },
  invitation_not_found: {
    status: 404,
    retryable: false,
    message: "There is no such pending invitation for you.",
  },
  method_not_allowed: { status: 405, retryable: false, message: "This endpoint does not take this method." },
  unsupported_media_type: {
    status: 415,
    retryable: false,
    message: "The body must be sent as Content-Type: application/json.",
  },
  username_taken: { status: 409, retryable: false, message: "The username is already taken." },
  display_name_reserved: {
    status: 409,
    retryable: false,
    message: "The display name looks like a staff member's name.",
  },
  client_msg_id_conflict: {
    status: 409,
    retryable: false,
    message: "This clientMsgId was already used for another conversation.",
  },
  member_limit_exceeded: { status: 409, retryable: false, message: "The group would exceed its member limit." },
  message_deleted: { status: 409, retryable: false, message: "The message was deleted." },
  delete_window_expired: { status: 409, retryable: false, message: "The message is too old to delete for everyone." },
  group_link_expired: {
    status: 410,
    retryable: false,
    message: "The invite link expired; ask an admin for a new one.",
  },
  group_link_revoked: {
    status: 410,
    retryable: false,
    message: "The invite link was revoked; ask an admin for a new one.",
  },
  group_link_used_up: {
    status: 410,
    retryable: false,
    message: "The invite link was used as many times as it allows; ask an admin for a new one.",
  },
  group_link_limit_exceeded: {
    status: 409,
    retryable: false,
    message: "The group has as many live invite links as it may; revoke one first.",
  },
  invitation_expired: { status: 409, retryable: false, message: "The invitation expired; ask for a new one." },
  incident_resolved: { status: 409, retryable: false, message: "The incident is resolved; declare a new one." },
  incident_not_resolved: { status: 409, retryable: false, message: "The incident is not resolved yet." },
  incident_log_incomplete: {
    status: 409,
    retryable: false,
    message: "A SEV1–SEV2 incident log needs a cause, a fix and a follow-up before it can be closed.",
  },
  subscriber_limit_exceeded: {
    status: 409,
    retryable: false,
    message: "The status page has as many subscribers as it takes.",
  },
  rate_limited: { status: 429, retryable: true, message: "Too many requests; retry after retryAfterMs." },
  headers_too_large: {
    status: 431,
    retryable: false,
    message: "The request's headers are larger than the server reads.",
  },
  internal: { status: 500, retryable: true, message: "An unexpected error; nothing was lost, retry." },
  unavailable: { status: 503, retryable: true, message: "A dependency is unavailable; retry after retryAfterMs." },
  overloaded: { status: 503, retryable: true, message: "The server is shedding load; retry after retryAfterMs." },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

/** A stable error code from the catalogue. */
export type ErrorCode = keyof typeof ERRORS;

/** The body of every HTTP error reply: `{error: {code, message, retryAfterMs?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryAfterMs?: number };
}

/** An error that carries a catalogue code; thrown by the domain, turned into a reply at the edge. */
export class HaetaeError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message?: string, retryAfterMs?: number) {
    super(message ?? ERRORS[code].message);
    this.name = "HaetaeError";
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
}

/**
 * WebSocket close codes. 4000–4499: the client should reconnect (and sync); 4500–4999: it must
 * not reconnect with the same token.
 */
export const CLOSE_CODES = {
  /** The server is restarting or shutting down; reconnect (to another node). */
  serverGoingAway: 4000,
  /** The client read too slowly and its send queue overflowed; reconnect and sync. */
  slowConsumer: 4001,
  /**
   * The node refused the session for now (load level 4, its admission rate, the address's rate):
   * the error frame before the close carries `retryAfterMs`; reconnect no sooner.
   */
  tryAgainLater: 4002,
  /** The token is missing, unknown or expired. */
  unauthorized: 4500,
  /** The device was logged out or revoked. */
  sessionRevoked: 4501,
} as const;

/** True when a close code asks the client to reconnect. */
export function shouldReconnect(closeCode: number): boolean {
  return closeCode < 4500 || closeCode > 4999;
}
