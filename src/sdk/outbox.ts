/** @module The outbox: sends that survive disconnects, re-sent with the same clientMsgId until acknowledged. */
import type { Message } from "../protocol/index.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { HaetaeRequestError, toRequestError } from "./request-error.js";

/** A message waiting for the server's ack, as a UI shows it ("sending…"). */
export interface PendingMessage {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly text: string;
  readonly replyToSeq?: number;
  /** Uploaded files the message carries (`uploadFile` gives their ids). */
  readonly fileIds?: readonly string[];
  /** When `send` was called (ISO 8601). */
  readonly createdAt: string;
  /** How many times it was handed to the server so far. */
  readonly attempts: number;
  /** The last retryable failure, if any: why it is still pending. */
  readonly lastError?: HaetaeRequestError;
}

interface Entry {
  message: PendingMessage & { attempts: number; lastError?: HaetaeRequestError };
  notBefore: number;
  resolve(message: Message): void;
  reject(error: HaetaeRequestError): void;
}

/** Sends one entry to the server and resolves with the stored message. */
export type OutboxTransport = (message: PendingMessage) => Promise<Message>;

/**
 * A FIFO of sends. One entry is in flight at a time: the server may reject one send with a
 * retryable error (rate_limited) and accept the next, so pipelining would reorder the messages a
 * user typed in order. A retry re-sends the same clientMsgId, which the server turns into the
 * original message (G2): an ack lost with a dropped connection never makes a second copy.
 * Retryable errors and timeouts wait `retryAfterMs` (or the backoff) and try again; a lost
 * connection waits for {@link resume}; any other error rejects that send and drops it.
 */
export class Outbox {
  private readonly entries: Entry[] = [];
  private readonly backoff: Backoff;
  private ready = false;
  /** Counts resumes, so a connection error from an older connection cannot stop a newer one. */
  private generation = 0;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: OutboxTransport,
    backoff: BackoffOptions,
    private readonly onChange: () => void,
  ) {
    this.backoff = new Backoff(backoff);
  }

  /** The sends not yet acknowledged, oldest first. */
  get pending(): readonly PendingMessage[] {
    return this.entries.map((entry) => ({ ...entry.message }));
  }

  /** Queue a send; resolves with the stored message once the server acknowledges it. */
  add(message: Omit<PendingMessage, "attempts" | "lastError">): Promise<Message> {
    if (this.entries.some((entry) => entry.message.clientMsgId === message.clientMsgId)) {
      return Promise.reject(new HaetaeRequestError("invalid_request", "This clientMsgId is already in the outbox."));
    }
    const promise = new Promise<Message>((resolve, reject) => {
      this.entries.push({ message: { ...message, attempts: 0 }, notBefore: 0, resolve, reject });
    });
    this.onChange();
    this.pump();
    return promise;
  }

  /** The connection is up and caught up: start sending. */
  resume(): void {
    this.ready = true;
    this.generation += 1;
    this.pump();
  }

  /** The connection is gone: stop until {@link resume}; the entry in flight is re-sent then. */
  pause(): void {
    this.ready = false;
    this.clearTimer();
  }

  /** Reject every entry for good (the client was closed or the session ended). */
  failAll(error: HaetaeRequestError): void {
    this.pause();
    const failed = this.entries.splice(0);
    for (const entry of failed) entry.reject(error);
    if (failed.length > 0) this.onChange();
  }

  private async pump(): Promise<void> {
    if (this.running || !this.ready || this.timer !== undefined) return;
    this.running = true;
    try {
      while (this.ready) {
        const entry = this.entries[0];
        if (!entry) return;
        const wait = entry.notBefore - Date.now();
        if (wait > 0) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
          return;
        }
        entry.message.attempts += 1;
        const generation = this.generation;
        try {
          const stored = await this.transport(entry.message);
          this.remove(entry);
          this.backoff.reset();
          entry.resolve(stored);
        } catch (thrown) {
          const error = toRequestError(thrown);
          if (error.code === "connection_lost" || error.code === "not_connected") {
            entry.message.lastError = error;
            // Wait for the next resume (after the reconnect's sync), then re-send with the same
            // clientMsgId. Stopping here, rather than looping, matters: a socket that is closing
            // but has not fired "close" yet would fail every try at once, forever.
            if (generation === this.generation) this.ready = false;
            return;
          }
          if (error.retryable) {
            entry.message.lastError = error;
            entry.notBefore = Date.now() + (error.retryAfterMs ?? this.backoff.next());
            this.onChange();
            continue;
          }
          this.remove(entry);
          entry.reject(error);
        }
      }
    } finally {
      this.running = false;
      // A resume that came while the last send was still in flight found `running` set; honour it.
      if (this.ready && this.entries.length > 0 && this.timer === undefined) queueMicrotask(() => this.pump());
    }
  }

  private remove(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index >= 0) this.entries.splice(index, 1);
    this.onChange();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A fresh clientMsgId. `crypto.randomUUID` exists only in secure contexts; a self-hosted server
 * reached over plain http on a LAN is not one, so fall back to a v4 UUID from getRandomValues.
 */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
