/** @module Outgoing webhooks: one bounded queue per receiver, a concurrency limit over all, retries with exponential backoff, checked redirects, a delivery id and an HMAC signature. */
import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { type AddressPolicy, hostRefusal, policyLookup } from "../../guard/url-policy.js";

/** Where a delivery goes and how it is signed. */
export interface WebhookTarget {
  url: string;
  /** Signs each delivery with HMAC-SHA256 when set. */
  secret?: string | undefined;
  /**
   * Which addresses this target (and every redirect it answers with) may reach; none checks
   * nothing (the operator's own staff receivers). Subscriber URLs get the public policy.
   */
  policy?: AddressPolicy | undefined;
}

/** One queued delivery. */
export interface WebhookDelivery {
  /** Same id on every attempt, so a receiver can drop a retry it already took. */
  id: string;
  event: string;
  /** JSON text, or how to make it: built when the first attempt starts, so a waiting delivery holds no body. */
  body: string | (() => string);
  attempts: number;
}

/** Per-delivery choices. */
export interface SendOptions {
  /** Attempts for this delivery instead of `maxAttempts` (a confirmation request is sent once). */
  maxAttempts?: number;
  /** Keep the first 4 KiB of the answer's body in the outcome (a confirmation's echoed challenge). */
  readBody?: boolean;
  /** Hears this delivery's final outcome. */
  onDone?: (outcome: DeliveryOutcome) => void;
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
  /** Attempts in flight at once over every receiver: the sockets this sender may hold open. */
  concurrency: number;
  /** Deliveries waiting over every receiver; past it a new one is dropped. */
  pendingLimit: number;
}

/** What happened to a delivery, for logs, metrics and tests. */
export type DeliveryOutcome = { delivery: WebhookDelivery; url: string } & (
  | { outcome: "delivered"; status: number; responseBody?: string }
  | { outcome: "failed"; status?: number; error?: string }
  /** The address policy refused the target or a redirect: never retried. */
  | { outcome: "refused"; error: string }
  | { outcome: "dropped" }
);

const SIGNATURE_HEADER = "x-haetae-signature";
/** Redirects followed per attempt, each one checked against the target's policy. */
export const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RESPONSE_BODY_LIMIT = 4096;

/**
 * The signature a receiver recomputes: HMAC-SHA256 over `<timestamp>.<body>` with the shared
 * secret, hex. The timestamp is signed too, so a captured delivery cannot be replayed later.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

interface Queued {
  delivery: WebhookDelivery;
  options: SendOptions | undefined;
}

interface Lane {
  target: WebhookTarget;
  queue: Queued[];
  busy: boolean;
}

/**
 * Sends JSON deliveries to receivers. Each receiver has its own lane: deliveries to it go out
 * one at a time, in order, and a receiver that is down (or slow) only ever delays its own lane.
 * Over all lanes at most `concurrency` attempts are in flight — lanes wait their turn in a FIFO
 * — so ten thousand subscribers mean ten thousand small queue entries, not ten thousand
 * sockets. A lane holds at most `queueLimit` deliveries and all lanes at most `pendingLimit`,
 * so a dead receiver or a huge audience cannot grow memory; every delivery gives up after
 * `maxAttempts`, and one refused by the address policy or answered with a 4xx (but 408, 425,
 * 429) is not retried at all. Nothing here touches the chat store.
 */
export class WebhookSender {
  private readonly lanes = new Map<string, Lane>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly slots: Slots;
  private queued = 0;
  private closed = false;

  constructor(
    private readonly options: WebhookSenderOptions,
    private readonly onOutcome: (outcome: DeliveryOutcome) => void = logOutcome,
  ) {
    this.slots = new Slots(options.concurrency);
  }

  /** Queue `body` (JSON text, or a function making it) for `target`; returns the delivery id. Never throws, never waits. */
  send(target: WebhookTarget, event: string, body: string | (() => string), options?: SendOptions): string {
    const delivery: WebhookDelivery = { id: randomUUID(), event, body, attempts: 0 };
    if (this.closed) return delivery.id;
    if (this.queued >= this.options.pendingLimit) {
      this.finish({ delivery, options }, target.url, { outcome: "dropped" });
      return delivery.id;
    }
    const key = `${target.url}\n${target.secret ?? ""}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { target, queue: [], busy: false };
      this.lanes.set(key, lane);
    }
    lane.queue.push({ delivery, options });
    this.queued += 1;
    while (lane.queue.length > Math.max(1, this.options.queueLimit)) {
      // The oldest waiting one goes; the one in flight (the head of a busy lane) finishes its attempt.
      const [dropped] = lane.queue.splice(lane.busy ? 1 : 0, 1);
      this.queued -= 1;
      if (dropped) this.finish(dropped, target.url, { outcome: "dropped" });
    }
    if (!lane.busy) void this.drain(key, lane);
    return delivery.id;
  }

  /** Deliveries waiting or in flight, over every receiver. */
  get pending(): number {
    return this.queued;
  }

  /** Attempts in flight now (never above `concurrency`). */
  get inFlight(): number {
    return this.slots.active;
  }

  /** Stop: queued deliveries are abandoned and retries are not scheduled. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.lanes.clear();
    this.queued = 0;
    this.slots.close();
  }

  private finish(queued: Queued, url: string, result: DistributiveOmit<DeliveryOutcome, "delivery" | "url">): void {
    const outcome = { delivery: queued.delivery, url, ...result } as DeliveryOutcome;
    this.onOutcome(outcome);
    queued.options?.onDone?.(outcome);
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    lane.busy = true;
    try {
      while (!this.closed && lane.queue.length > 0) {
        const head = lane.queue[0] as Queued;
        const { delivery } = head;
        await this.slots.acquire();
        if (this.closed) return;
        let result: AttemptResult;
        try {
          delivery.attempts += 1;
          // A body that cannot be made is a failed delivery, not a lane that stops.
          if (typeof delivery.body === "function") delivery.body = delivery.body();
          result = await attempt(lane.target, delivery, this.options.timeoutMs, head.options?.readBody === true);
        } catch (error) {
          result = { ok: false, final: true, error: `no body: ${(error as Error).message}` };
        } finally {
          this.slots.release();
        }
        if (this.closed) return;
        const maxAttempts = head.options?.maxAttempts ?? this.options.maxAttempts;
        const retryable =
          !result.refused &&
          !result.final &&
          (result.status === undefined || result.status >= 500 || [408, 425, 429].includes(result.status));
        if (result.ok || !retryable || delivery.attempts >= maxAttempts) {
          lane.queue.shift();
          this.queued -= 1;
          const url = lane.target.url;
          if (result.ok) {
            const status = result.status as number;
            this.finish(head, url, { outcome: "delivered", status, responseBody: result.body });
          } else if (result.refused) {
            this.finish(head, url, { outcome: "refused", error: result.error ?? "refused" });
          } else {
            this.finish(head, url, { outcome: "failed", status: result.status, error: result.error });
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A counting semaphore with a FIFO of waiters (a head index, so ten thousand waiters cost no shifting). */
class Slots {
  active = 0;
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  acquire(): Promise<void> {
    if (this.active < Math.max(1, this.limit)) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hand the slot straight to the longest waiter, or free it. */
  release(): void {
    const next = this.waiting[this.head];
    if (next) {
      this.waiting[this.head] = undefined as unknown as () => void;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active -= 1;
    }
  }

  /** Wake every waiter so its lane sees the sender closed and ends. */
  close(): void {
    const waiting = this.waiting.slice(this.head);
    this.waiting = [];
    this.head = 0;
    for (const wake of waiting) wake();
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
  /** The policy refused an address: final. */
  refused?: boolean;
  /** Failed in a way another attempt cannot change. */
  final?: boolean;
  body?: string;
}

/**
 * One attempt: a POST, following at most `MAX_REDIRECTS` redirects by hand so each new URL is
 * checked against the target's policy like the first (a literal address here, the resolved
 * addresses in the lookup). Resolves, never rejects.
 */
async function attempt(
  target: WebhookTarget,
  delivery: WebhookDelivery,
  timeoutMs: number,
  readBody: boolean,
): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return { ok: false, status: 400, error: "invalid URL" };
  }
  for (let hop = 0; ; hop++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return { ok: false, refused: true, error: `redirect to ${url.protocol} refused` };
    }
    const refusal = target.policy ? hostRefusal(url, target.policy) : undefined;
    if (refusal) return { ok: false, refused: true, error: `address refused: ${refusal}` };
    const result = await post(url, target, delivery, timeoutMs, readBody);
    if (result.location === undefined || !REDIRECTS.has(result.status ?? 0)) return result;
    if (hop >= MAX_REDIRECTS) return { ok: false, refused: true, error: `more than ${MAX_REDIRECTS} redirects` };
    try {
      url = new URL(result.location, url);
    } catch {
      return { ok: false, refused: true, error: "redirect to an invalid URL" };
    }
  }
}

/** One POST to one URL; resolves with the status (and Location, and the body when asked) or the network error. */
function post(
  url: URL,
  target: WebhookTarget,
  delivery: WebhookDelivery,
  timeoutMs: number,
  readBody: boolean,
): Promise<AttemptResult & { location?: string }> {
  return new Promise((resolve) => {
    const body = delivery.body as string;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string | number> = {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "user-agent": "Haetae-Webhook/1",
      "x-haetae-delivery": delivery.id,
      "x-haetae-event": delivery.event,
      "x-haetae-attempt": delivery.attempts,
      "x-haetae-timestamp": timestamp,
    };
    if (target.secret) headers[SIGNATURE_HEADER] = signWebhook(target.secret, timestamp, body);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const options: RequestOptions = { method: "POST", headers, timeout: timeoutMs, agent: false };
    if (target.policy) options.lookup = policyLookup(target.policy);
    const req = send(url, options, (res) => {
      const status = res.statusCode ?? 0;
      const location = typeof res.headers.location === "string" ? res.headers.location : undefined;
      const ok = status >= 200 && status < 300;
      if (!readBody || !ok) {
        res.resume(); // the body is not needed; reading it frees the socket
        resolve({ ok, status, location });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_BODY_LIMIT) res.destroy();
      });
      const done = () =>
        resolve({ ok, status, body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString("utf8") });
      res.on("end", done);
      res.on("close", done);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error: Error & { code?: string }) =>
      resolve({ ok: false, error: error.message, refused: error.code === "ERR_ADDRESS_REFUSED" }),
    );
    req.end(body);
  });
}

/** Log what did not arrive (with the receiver's origin only). */
export function logOutcome(outcome: DeliveryOutcome): void {
  if (outcome.outcome === "delivered") return;
  const why =
    outcome.outcome === "failed"
      ? (outcome.error ?? `HTTP ${outcome.status}`)
      : outcome.outcome === "refused"
        ? outcome.error
        : "queue full";
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
