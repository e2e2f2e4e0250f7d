/** @module Requests by id: the ones waiting for a connection, the ones waiting for a reply, and their timeouts. */
import { HaetaeRequestError } from "./request-error.js";

interface Pending {
  /** The frame without its id, until it is sent. */
  frame: Record<string, unknown>;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(reply: unknown): void;
  reject(error: HaetaeRequestError): void;
}

/** A reply frame as it comes off the wire. */
export interface ReplyFrame {
  type: "ok" | "error";
  id?: unknown;
  code?: unknown;
  message?: unknown;
  retryAfterMs?: unknown;
}

/**
 * Matches replies to requests by a client-chosen id. A request waits (unsent) until a connection
 * is open; its timeout covers the wait and the reply, so a caller is never left hanging:
 * "not_connected" if it was never sent, "timeout" if it was sent and no reply came.
 */
export class RequestTracker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly defaultTimeoutMs: number) {}

  /** Track a request; it goes out with the next {@link flush}. */
  add<T>(frame: Record<string, unknown>, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        // A late reply finds no entry and is dropped, so the caller sees one outcome only.
        entry.reject(new HaetaeRequestError(entry.sent ? "timeout" : "not_connected"));
      }, timeoutMs);
      this.pending.set(id, { frame, sent: false, timer, resolve: resolve as (reply: unknown) => void, reject });
    });
  }

  /** Send every request not yet sent, oldest first. */
  flush(send: (frame: string) => void): void {
    for (const [id, entry] of this.pending) {
      if (entry.sent) continue;
      entry.sent = true;
      send(JSON.stringify({ ...entry.frame, id }));
    }
  }

  /** Settle the request a reply frame answers; a reply to nothing (late, after a timeout) is ignored. */
  settle(frame: ReplyFrame): void {
    if (typeof frame.id !== "number") return;
    const entry = this.pending.get(frame.id);
    if (!entry) return;
    this.pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === "ok") {
      entry.resolve(frame);
    } else {
      const retryAfterMs = typeof frame.retryAfterMs === "number" ? frame.retryAfterMs : undefined;
      entry.reject(new HaetaeRequestError(String(frame.code), String(frame.message ?? frame.code), retryAfterMs));
    }
  }

  /** The connection closed: requests in flight will get no reply; unsent ones keep waiting. */
  failSent(error: HaetaeRequestError): void {
    for (const [id, entry] of this.pending) {
      if (entry.sent) this.fail(id, entry, error);
    }
  }

  /** Reject every request (the client closed or the session ended). */
  failAll(error: HaetaeRequestError): void {
    for (const [id, entry] of this.pending) this.fail(id, entry, error);
  }

  private fail(id: number, entry: Pending, error: HaetaeRequestError): void {
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.reject(error);
  }
}
