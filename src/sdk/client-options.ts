/** @module The options and events of HaetaeClient. */
import type { FeedEvent, IncidentEvent, PresenceEvent, TypingEvent } from "../protocol/index.js";

export type { IncidentEvent, IncidentNotice } from "../protocol/index.js";

import type { PendingMessage } from "./outbox.js";
import type { WebSocketConstructor } from "./socket.js";

/** Where the connection stands; "terminal" means the server refused this session for good. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed" | "terminal";

/**
 * The payload of the `state` event. "reconnecting" is emitted again for every failed attempt,
 * with its close code, so a UI can show that it keeps trying.
 */
export interface StateChange {
  state: ConnectionState;
  /** The close code that caused "reconnecting" or "terminal". */
  closeCode?: number;
}

/** Every event the client emits, by name. */
export type ClientEvents = { [K in FeedEvent["type"]]: Extract<FeedEvent, { type: K }> } & {
  /** Every feed event, in delivery order, whatever its type: for apps that fold one stream. */
  feed: FeedEvent;
  typing: TypingEvent;
  presence: PresenceEvent;
  /** The server announced an incident (or a change to one) that affects this user. */
  incident: IncidentEvent;
  state: StateChange;
  /** The outbox changed; the payload is `client.pending`. */
  outbox: readonly PendingMessage[];
  /** A sync reached the end of the feed; persist this cursor to resume from it after a restart. */
  cursor: string;
};

/** Options of HaetaeClient; only `url` and `token` are required. */
export interface HaetaeClientOptions {
  /** HTTP base URL(s) of the server; each reconnect tries the next one, round robin. */
  url: string | string[];
  /** The device's session token from `login` or `register`. */
  token: string;
  /** The WebSocket implementation; defaults to `globalThis.WebSocket`. In Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** A cursor saved from an earlier run: the first sync starts there instead of the beginning. */
  cursor?: string;
  /** Backoff (reconnects and outbox retries): first ceiling in ms (default 250). */
  baseMs?: number;
  /** Backoff cap in ms (default 10 000). */
  maxMs?: number;
  /** A connection open this long resets the backoff (default 5 000 ms). */
  stableAfterMs?: number;
  /** Default request timeout (default 10 000 ms). */
  requestTimeoutMs?: number;
  /**
   * After live events go quiet this long, sync to move the cursor forward (default 10 000 ms).
   * Each such sync is a feed read on the server for every device that got the events, so the
   * default keeps them rare; a gap in a conversation's seqs asks for a sync at once anyway.
   */
  syncIdleMs?: number;
  /** ...but never let live events run longer than this without a sync (default 60 000 ms). */
  syncMaxWaitMs?: number;
  /** Ping after this much silence to find a dead connection (default 25 000 ms; 0 = never). */
  pingIntervalMs?: number;
  /** Events per sync page (the server caps it). */
  syncPageSize?: number;
}
