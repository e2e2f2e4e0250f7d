/** @module Per-user and per-address rate limits on this node: connections per address, requests per user and per address, sends per user. */
import type { Config } from "../config/config.js";
import { AddressLimiter } from "./address-limiter.js";

/** The config slice these limits read. */
export type ClientLimitsConfig = Pick<
  Config,
  | "userRequestsPerSecond"
  | "userRequestBurst"
  | "userSendsPerSecond"
  | "userSendBurst"
  | "ipRequestsPerSecond"
  | "ipRequestBurst"
  | "ipConnectionsPerSecond"
  | "ipConnectionBurst"
>;

/** Which limit refused, for the refusal metric. */
export type LimitName = "ip_connections" | "ip_requests" | "user_requests" | "user_sends";

/** A refusal: which limit, and the milliseconds until one more would pass (the `retryAfterMs`). */
export interface Refusal {
  limit: LimitName;
  retryAfterMs: number;
}

/**
 * The per-connection bucket alone is multiplied by whoever opens more connections: a user with
 * ten devices (or a script with a hundred sessions of one account) gets ten times the rate, and
 * one address can open sessions for many accounts. These buckets are shared by every connection
 * of one user, or of one address, on this node. They are per node: with N nodes behind a load
 * balancer, a user's effective limit is up to N times the configured one.
 */
export class ClientLimits {
  private readonly connectionsByAddress: AddressLimiter;
  private readonly requestsByAddress: AddressLimiter;
  private readonly requestsByUser: AddressLimiter;
  private readonly sendsByUser: AddressLimiter;

  constructor(config: ClientLimitsConfig) {
    this.connectionsByAddress = new AddressLimiter(config.ipConnectionsPerSecond, config.ipConnectionBurst);
    this.requestsByAddress = new AddressLimiter(config.ipRequestsPerSecond, config.ipRequestBurst);
    this.requestsByUser = new AddressLimiter(config.userRequestsPerSecond, config.userRequestBurst);
    this.sendsByUser = new AddressLimiter(config.userSendsPerSecond, config.userSendBurst);
  }

  /** A new connection from `address`: null when it may go on. */
  connection(address: string): Refusal | null {
    const wait = this.connectionsByAddress.take(address);
    return wait > 0 ? { limit: "ip_connections", retryAfterMs: wait } : null;
  }

  /** A request of `userId` from `address` (a send counts against the send bucket too): null when it may go on. */
  request(userId: string, address: string, isSend: boolean): Refusal | null {
    let wait = this.requestsByAddress.take(address);
    if (wait > 0) return { limit: "ip_requests", retryAfterMs: wait };
    wait = this.requestsByUser.take(userId);
    if (wait > 0) return { limit: "user_requests", retryAfterMs: wait };
    if (!isSend) return null;
    wait = this.sendsByUser.take(userId);
    return wait > 0 ? { limit: "user_sends", retryAfterMs: wait } : null;
  }
}
