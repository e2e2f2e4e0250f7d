/** @module Outgoing webhooks: one bounded queue per receiver, retries with exponential backoff, a delivery id and an HMAC signature. */
import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";

/** Where a delivery goes and how it is signed. */
export interface WebhookTarget {
  url: string;
  /** Signs each delivery with HMAC-SHA256 when set. */
  secret?: string | undefined;
  /** A DNS lookup that refuses some addresses (subscriber URLs may not reach private networks). */
  lookup?: RequestOptions["lookup"];
}

/** One queued delivery. */
export interface WebhookDelivery {
  /** Same id on every attempt, so a receiver can drop a retry it already took. */
  id: string;
  event: string;
  body: string;
  attempts: number;
}

export interface WebhookSenderOptions {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubles each time (with jitter), capped at 64×. */
  retryBaseMs: number;
  /** An attempt that has no answer by then counts as failed. */
  timeoutMs: number;
  /** Deliveries waiting per receiver; past it the oldest is dropped. */
  queueLimit: number;
}

/** What happened to a delivery, for logs, metrics and tests. */
export type DeliveryOutcome = { delivery: WebhookDelivery; url: string } & (
  | { outcome: "delivered"; status: number }
  | { outcome: "failed"; status?: number; error?: string }
  | { outcome: "dropped" }
);

const SIGNATURE_HEADER = "x-haetae-signature";

/**
 * The signature a receiver recomputes: HMAC-SHA256 over `<timestamp>.<body>` with the shared
 * secret, hex. The timestamp is signed too, so a captured delivery cannot be replayed later.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

interface Lane {
  target: WebhookTarget;
  queue: WebhookDelivery[];
  busy: boolean;
}

/**
 * Sends JSON deliveries to receivers. Each receiver has its own lane: deliveries to it go out
 * one at a time, in order, and a receiver that is down (or slow) only ever delays its own lane.
 * A lane holds at most `queueLimit` deliveries, so a dead receiver cannot grow memory; every
 * delivery gives up after `maxAttempts`. Nothing here touches the chat store.
 */
export class WebhookSender {
  private readonly lanes = new Map<string, Lane>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly options: WebhookSenderOptions,
    private readonly onOutcome: (outcome: DeliveryOutcome) => void = logOutcome,
  ) {}

  /** Queue `body` (JSON text) for `target`; returns the delivery id. Never throws, never waits. */
  send(target: WebhookTarget, event: string, body: string): string {
    const delivery: WebhookDelivery = { id: randomUUID(), event, body, attempts: 0 };
    if (this.closed) return delivery.id;
    const key = `${target.url}\n${target.secret ?? ""}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { target, queue: [], busy: false };
      this.lanes.set(key, lane);
    }
    lane.queue.push(delivery);
    while (lane.queue.length > Math.max(1, this.options.queueLimit)) {
      // The oldest waiting one goes; the one in flight (the head of a busy lane) finishes its attempt.
      const [dropped] = lane.queue.splice(lane.busy ? 1 : 0, 1);
      if (dropped) this.onOutcome({ delivery: dropped, url: target.url, outcome: "dropped" });
    }
    if (!lane.busy) void this.drain(key, lane);
    return delivery.id;
  }

  /** Deliveries waiting or in flight, over every receiver. */
  get pending(): number {
    let count = 0;
    for (const lane of this.lanes.values()) count += lane.queue.length;
    return count;
  }

  /** Stop: queued deliveries are abandoned and retries are not scheduled. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.lanes.clear();
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    lane.busy = true;
    try {
      while (!this.closed && lane.queue.length > 0) {
        const delivery = lane.queue[0] as WebhookDelivery;
        delivery.attempts += 1;
        const result = await attempt(lane.target, delivery, this.options.timeoutMs);
        if (this.closed) return;
        const retryable =
          result.status === undefined || result.status >= 500 || [408, 425, 429].includes(result.status);
        if (result.ok || !retryable || delivery.attempts >= this.options.maxAttempts) {
          lane.queue.shift();
          if (result.ok) {
            this.onOutcome({ delivery, url: lane.target.url, outcome: "delivered", status: result.status as number });
          } else {
            this.onOutcome({
              delivery,
              url: lane.target.url,
              outcome: "failed",
              status: result.status,
              error: result.error,
            });
          }
          continue;
        }
        await this.sleep(backoff(this.options.retryBaseMs, delivery.attempts));
      }
    } finally {
      lane.busy = false;
      if (lane.queue.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }
}

/** base × 2^(attempt−1), capped at 64 × base, with ±20% jitter so many lanes do not retry in step. */
export function backoff(baseMs: number, attempt: number): number {
  const raw = baseMs * 2 ** Math.min(attempt - 1, 6);
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

interface AttemptResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/** One POST; resolves (never rejects) with the status or the network error. */
function attempt(target: WebhookTarget, delivery: WebhookDelivery, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      resolve({ ok: false, status: 400, error: "invalid URL" });
      return;
    }
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string | number> = {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(delivery.body),
      "user-agent": "Haetae-Webhook/1",
      "x-haetae-delivery": delivery.id,
      "x-haetae-event": delivery.event,
      "x-haetae-attempt": delivery.attempts,
      "x-haetae-timestamp": timestamp,
    };
    if (target.secret) headers[SIGNATURE_HEADER] = signWebhook(target.secret, timestamp, delivery.body);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const options: RequestOptions = { method: "POST", headers, timeout: timeoutMs, agent: false };
    if (target.lookup) options.lookup = target.lookup;
    const req = send(url, options, (res) => {
      res.resume(); // the body is not needed; reading it frees the socket
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, status });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ ok: false, error: error.message }));
    req.end(delivery.body);
  });
}

/** Log what did not arrive (with the receiver's origin only). */
export function logOutcome(outcome: DeliveryOutcome): void {
  if (outcome.outcome === "delivered") return;
  const why = outcome.outcome === "failed" ? (outcome.error ?? `HTTP ${outcome.status}`) : "queue full";
  console.warn(
    `webhook ${outcome.delivery.event} ${outcome.delivery.id} to ${redact(outcome.url)} ${outcome.outcome} ` +
      `after ${outcome.delivery.attempts} attempt(s): ${why}`,
  );
}

/** Webhook URLs often carry their secret in the path (Slack's do): log only the origin. */
export function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return "(invalid URL)";
  }
}
