/** @module The Haetae SDK: a browser- and Node-compatible client for the Haetae messenger. */
export { Backoff, type BackoffOptions, backoffDelay } from "./backoff.js";
export { HaetaeClient } from "./client.js";
export type {
  ClientEvents,
  ConnectionState,
  HaetaeClientOptions,
  IncidentEvent,
  IncidentNotice,
  StateChange,
} from "./client-options.js";
export { FeedSequencer } from "./feed-sequencer.js";
export { downloadFile, uploadFile } from "./files.js";
export { changePassword, login, logout, redeemPasswordReset, register, wsTicket } from "./http.js";
export { OpsApi } from "./ops-api.js";
export { newClientMsgId, type PendingMessage } from "./outbox.js";
export { CLIENT_ERRORS, type ClientErrorCode, HaetaeRequestError } from "./request-error.js";
export { type ParsedSearch, parseSearchInput, startOfLocalDay } from "./search-query.js";
export type { SocketLike, WebSocketConstructor } from "./socket.js";
export { webSocketUrl } from "./socket.js";
export { unreadByCount } from "./unread.js";
