/** @module Admission of WebSocket connections (G5): whether a connection may come in now, on which credential, and when a refused one comes back. */
import type { IncomingMessage } from "node:http";
import { authenticate } from "../chat/accounts.js";
import type { ChatContext } from "../chat/context.js";
import { redeemWsTicket } from "../chat/ws-tickets.js";
import type { Config } from "../config/config.js";
import { addressLimitKey, TrustedProxies } from "../guard/client-address.js";
import type { ClientLimits, LimitName } from "../guard/client-limits.js";
import { RetrySlots } from "../guard/retry-slots.js";
import { TokenBucket } from "../guard/token-bucket.js";
import { errorAnswer } from "../http/wire-errors.js";
import { CLOSE_CODES, ERRORS, type ErrorCode, HaetaeError } from "../protocol/index.js";
import { isOwnOrigin, publicOrigin } from "./request-origin.js";
import type { UpgradeRefusal } from "./upgrade-refusal.js";

/** The config slice admission reads. */
export type AdmissionConfig = Pick<
  Config,
  | "connectionsPerSecond"
  | "connectionBurst"
  | "connectionRetryMaxMs"
  | "connectionMaxQueuedReads"
  | "publicUrl"
  | "trustedProxies"
>;

/** The refusal message of each shared limit (the code is `rate_limited` for all). */
export const LIMIT_MESSAGES: Record<LimitName, string> = {
  ip_connections: "Too many connections from this address; reconnect after retryAfterMs.",
  ip_requests: "Too many requests from this address; retry after retryAfterMs.",
  user_requests: "Too many requests from this account's connections; retry after retryAfterMs.",
  user_sends: "Too many messages from this account; retry after retryAfterMs.",
};

/** An upgrade let in, with the client address its per-address limits are keyed by; or refused, with the reason it is counted under. */
export type AdmissionVerdict =
  | { admitted: true; address: string }
  | { admitted: false; refusal: UpgradeRefusal; reason?: string };

/** Whom an upgrade's credential names, or how it is refused. */
export type UpgradeAuth =
  | { ok: true; auth: Awaited<ReturnType<typeof authenticate>> }
  | { ok: false; refusal: UpgradeRefusal };

/**
 * The checks an upgrade passes before its token is read. They read nothing from the store and
 * stay cheap in a reconnect storm: a refused client is told when to come back and closed with
 * 4002. Connections are admitted at a steady rate, so a storm is spread out while connected
 * clients keep working.
 */
export class WsAdmission {
  private readonly bucket: TokenBucket;
  /** The retry times handed to refused sessions: one admission slot each, not all the same moment. */
  private readonly slots: RetrySlots;
  /** The origin of `publicUrl` (null when unset): besides the request's own, the one browser origin admitted. */
  private readonly publicOrigin: string | null;
  /** Whose X-Forwarded-For names the client address that the per-address limits are keyed by. */
  private readonly proxies: TrustedProxies;

  constructor(
    private readonly ctx: Pick<ChatContext, "load" | "store">,
    private readonly config: AdmissionConfig,
    private readonly limits: Pick<ClientLimits, "connection">,
  ) {
    this.bucket = new TokenBucket(config.connectionsPerSecond, config.connectionBurst);
    this.slots = new RetrySlots(config.connectionsPerSecond, config.connectionRetryMaxMs);
    this.publicOrigin = publicOrigin(config.publicUrl);
    this.proxies = new TrustedProxies(config.trustedProxies);
  }

  /** Whether `request` may upgrade now, `accepting` telling whether this node still takes connections. */
  admit(request: IncomingMessage, accepting: boolean): AdmissionVerdict {
    if (!accepting) return refusedWith("unavailable", 503, "The server is shutting down.");
    // A page of another site may open a WebSocket here with a ticket it got hold of; the browser
    // names that page in Origin. Refused as an HTTP status: that page need not read anything.
    if (!isOwnOrigin(request, this.publicOrigin)) {
      const { status, message } = ERRORS.origin_not_allowed;
      return refusedWith("origin_not_allowed", status, message, "origin");
    }
    // Level 4 refuses new connections (G5).
    if (this.ctx.load.level >= 4) {
      return later("degraded", "overloaded", "The server is shedding load; reconnect later.", 2000);
    }
    // One address first, so that a flood from it spends its own bucket and not the node's admission.
    const address = addressLimitKey(this.proxies.clientAddress(request));
    const refusal = this.limits.connection(address);
    if (refusal) return later("address_rate", "rate_limited", LIMIT_MESSAGES[refusal.limit], refusal.retryAfterMs);
    // The store's pace bounds the storm's: a session costs reads (its token, then its sync), and
    // sessions let in while reads already queue for a database connection would wait there
    // with the rest and time out — work spent for nothing, then retried. Refused now, each is
    // told its own later slot and costs nothing but the handshake.
    if (this.ctx.store.queuedReads >= this.config.connectionMaxQueuedReads) {
      return later("store_busy", "overloaded", "The store is busy; reconnect later.", this.slots.next());
    }
    if (this.bucket.take() > 0) {
      return later("admission_rate", "overloaded", "Too many connections at once; reconnect later.", this.slots.next());
    }
    return { admitted: true, address };
  }

  /**
   * Whether a client may ask for a WebSocket ticket now: refused, like a connection, at level 4
   * and while the store's reads queue — a ticket is worth nothing if its connection would be
   * refused, and its write must not add to a busy store. The address and admission rates are
   * the upgrade's, counted once per connection.
   */
  ticketRefusal(accepting: boolean): HaetaeError | null {
    if (!accepting) return new HaetaeError("unavailable", "This node is shutting down; reconnect to another.", 500);
    if (this.ctx.load.level >= 4) {
      return new HaetaeError("overloaded", "The server is shedding load; reconnect later.", 2000);
    }
    if (this.ctx.store.queuedReads >= this.config.connectionMaxQueuedReads) {
      return new HaetaeError("overloaded", "The store is busy; reconnect later.", this.slots.next());
    }
    return null;
  }
}

/** Check the upgrade's credential: its token, or its one-time ticket. */
export async function authenticateUpgrade(ctx: ChatContext, request: IncomingMessage): Promise<UpgradeAuth> {
  try {
    const credential = credentialOf(request);
    const auth =
      credential.kind === "ticket"
        ? await redeemWsTicket(ctx, credential.value)
        : await authenticate(ctx, credential.value);
    return { ok: true, auth };
  } catch (error) {
    if (error instanceof HaetaeError && error.code === "unauthorized") {
      // Said in a frame and close 4500: with only a refused upgrade, a browser would retry a dead token forever.
      const refusal: UpgradeRefusal = {
        as: "close",
        closeCode: CLOSE_CODES.unauthorized,
        code: "unauthorized",
        message: error.message,
      };
      return { ok: false, refusal };
    }
    if (errorAnswer(error).unexpected) console.error("auth during upgrade failed:", error);
    // Whatever else kept the credential from being checked (a store outage, a bug) passes: come back in a second.
    const code: ErrorCode = error instanceof HaetaeError ? error.code : "unavailable";
    const { status, message, retryable } = ERRORS[code];
    if (!retryable) return { ok: false, refusal: { as: "status", status, code, message } };
    const refusal: UpgradeRefusal = {
      as: "close",
      closeCode: CLOSE_CODES.tryAgainLater,
      code,
      message,
      retryAfterMs: 1000,
    };
    return { ok: false, refusal };
  }
}

/**
 * What the upgrade presents: the Authorization header's token (non-browser clients), else the
 * `ticket` query parameter (browsers, which cannot set headers on a WebSocket). A `token` in the
 * query is not read: tokens never travel in URLs, where proxies and servers log them.
 */
function credentialOf(request: IncomingMessage): { kind: "token" | "ticket"; value: string | undefined } {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return { kind: "token", value: header.slice("Bearer ".length).trim() };
  const query = (request.url ?? "").split("?")[1] ?? "";
  try {
    return { kind: "ticket", value: new URLSearchParams(query).get("ticket") ?? undefined };
  } catch {
    return { kind: "ticket", value: undefined };
  }
}

function refusedWith(code: ErrorCode, status: number, message: string, reason?: string): AdmissionVerdict {
  return { admitted: false, refusal: { as: "status", status, code, message }, reason };
}

/** Refused for now: told when to come back, closed with 4002. */
function later(reason: string, code: ErrorCode, message: string, retryAfterMs: number): AdmissionVerdict {
  const refusal: UpgradeRefusal = { as: "close", closeCode: CLOSE_CODES.tryAgainLater, code, message, retryAfterMs };
  return { admitted: false, refusal, reason };
}
