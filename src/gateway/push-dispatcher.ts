/** @module Web Push for messages: a bounded queue with a concurrency limit and bounded retries kept across restarts, the first work shed under load (G5), never in a send's way. */
import { randomUUID } from "node:crypto";
import type { BusControl } from "../bus/bus.js";
import type { MessageNotifier } from "../chat/context.js";
import type { Config } from "../config/config.js";
import type { Metrics } from "../ops/metrics.js";
import { type Message, type PushPayload, shouldNotify } from "../protocol/index.js";
import type { PushSubscriptionRecord, Store } from "../store/store.js";
import { type PushOutcome, sendPush } from "./push-sender.js";
import { PushSubscriptionReads } from "./push-subscription-reads.js";
import type { VapidKeys } from "./vapid-keys.js";

/** The config slice of the push queue. */
export type PushConfig = Pick<
  Config,
  | "pushQueueLimit"
  | "pushConcurrency"
  | "pushTimeoutMs"
  | "pushPrivateEndpoints"
  | "pushRetries"
  | "pushRetryBaseMs"
  | "pushRetryMaxMs"
  | "pushHoldMs"
  | "pushHoldLimit"
>;

/** A stored message whose pushes are still to be worked out. */
interface MessageJob {
  kind: "message";
  message: Message;
  recipients: string[];
  /** When it was offered, right after its publish: the moment its devices got it. */
  offeredAt: Date;
  /** Only these endpoints (a held push found owed): the others were judged already. */
  endpoints?: ReadonlySet<string>;
}

/**
 * A push skipped because its device was attended, kept for `pushHoldMs`: the node holding the
 * device's tab may report that the message reached it just after it hid or closed (`heard`).
 */
interface HeldPush {
  message: Message;
  userId: string;
  deviceId: string;
  endpoint: string;
  offeredAt: Date;
}

/** One push to try again: its `attempt`th retry, kept in the store as `id` until a node takes it. */
interface RetryJob {
  kind: "retry";
  id: string;
  endpoint: string;
  userId: string;
  payload: PushPayload;
  attempt: number;
  /** Resolves once the store keeps the retry (true), or could not (false: it lives in memory only). */
  kept: Promise<boolean>;
}

type PushJob = MessageJob | RetryJob;

/** A node's report that a message reached no attending session of a device (`DeviceAttention.delivered`). */
export type MissedNews = Extract<BusControl, { kind: "attention.missed" }>;

function missedKey(deviceId: string, conversationId: string, seq: number): string {
  return `${deviceId}\n${conversationId}\n${seq}`;
}

/** Characters of a message's text a notification shows. */
const BODY_CHARS = 180;

/**
 * Takes each stored message (`offer`, called after its publish, synchronous: a send never waits
 * for a push) and pushes a notification to each subscribed device of its recipients that no one
 * is looking at — a device is skipped while it has a live, visible session on any node
 * (`attended`), whatever the user's other devices do — unless the chat is muted for them (a
 * mention may pass), it is their quiet hours (a mention passes only if they let it), or they hide
 * message text (then the push has no body).
 *
 * Bounded: at most `pushQueueLimit` jobs wait, counting retries waiting for their time (more are
 * dropped and counted), `pushConcurrency` are worked on at once. A push the push service could
 * not take for now (5xx, 429, no answer) is tried again up to `pushRetries` times, after a
 * backoff doubling from `pushRetryBaseMs` with jitter, or its `Retry-After`, never later than
 * `pushRetryMaxMs` (a longer `Retry-After` gives up: the notification would be stale). At
 * degradation level 1 and above nothing is queued, and what waits — retries included — is shed
 * when its turn comes, before typing and presence: a push is a courtesy, the message itself is
 * stored and reaches the device by sync. A subscription whose push service answers 404 or 410 is
 * removed at once.
 *
 * A push skipped because the device was attended is held (`pushHoldMs`, at most `pushHoldLimit`,
 * oldest forgotten first): this node judged by what it had heard, and a device whose tab hid or
 * closed on another node a moment ago is still attended here until that node's news crosses the
 * bus. That node reports each message it handed out for the device after the hide or close
 * (`attention.missed`, `DeviceAttention.delivered`); on the report (`heard`) the held push is
 * queued like any other: exactly one push for a message the tab did not show, none for one it
 * did, by the order of the tab's own node rather than by clocks. Nothing is held at load level 1
 * and above, and a push queued from the hold is shed like the rest.
 *
 * Each retry is also kept in the store until its time (`resume` takes them up at a start), so a
 * restart does not drop it; a node takes a kept retry by deleting it, so exactly one node tries
 * it, and looks its subscription up again (a device logged out meanwhile gets nothing). Shedding
 * writes nothing: a shed retry's row waits for the next start, which drops it once its time is
 * more than `pushRetryMaxMs` past.
 */
export class PushDispatcher implements MessageNotifier {
  private readonly queue: PushJob[] = [];
  /** Retries waiting for their time, each by its timer. */
  private readonly delayed = new Map<ReturnType<typeof setTimeout>, RetryJob>();
  private active = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();
  /** Skipped pushes that may still be owed, in the order they were held (the oldest first; O(1) to drop). */
  private readonly held = new Set<HeldPush>();
  /** `attention.missed` reports that came before their push was judged, by `missedKey`, with when. */
  private readonly missed = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly config: PushConfig,
    readonly vapid: VapidKeys,
    private readonly metrics: Pick<Metrics, "pushes">,
    private readonly load: { readonly level: number },
    /**
     * True while the device has a live, visible session on any node (it shows the message there),
     * or, given `since`, had one at or after then.
     */
    private readonly attended: (deviceId: string, since?: Date) => boolean,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The recipients' subscriptions, read for all the jobs that start in one turn at once. */
  private readonly subscriptions = new PushSubscriptionReads((userIds) =>
    this.store.pushSubscriptions(userIds, this.now().toISOString()),
  );

  /** Jobs waiting for a worker or for their retry time. */
  get waiting(): number {
    return this.queue.length + this.delayed.size;
  }

  offer(message: Message, audience: readonly string[]): void {
    if (this.closed || message.deleted) return;
    const recipients = audience.filter((id) => id !== message.senderId);
    if (recipients.length === 0) return;
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" }, recipients.length);
      return;
    }
    if (this.waiting >= this.config.pushQueueLimit) {
      this.metrics.pushes.inc({ outcome: "dropped" }, recipients.length);
      return;
    }
    this.queue.push({ kind: "message", message, recipients, offeredAt: this.now() });
    this.pump();
  }

  /** Skipped pushes held in case a device's news of leaving is still on the bus (`pushHoldMs`). */
  get holding(): number {
    this.forgetExpired();
    return this.held.size;
  }

  /**
   * A node says a message reached no attending session of the device there, just after its last
   * one there was hidden or closed (`attention.missed`): the push held for it is owed, and queued
   * now. The report may come before this node judged the message (its push waited in a busy
   * queue), so it is kept as long as a hold is, and a push judged later is sent, not held.
   */
  heard(missed: MissedNews): void {
    if (this.closed || this.config.pushHoldMs === 0) return;
    this.forgetExpired();
    const { deviceId, conversationId, seq } = missed;
    let owed: HeldPush | undefined;
    for (const h of this.held) {
      if (h.deviceId === deviceId && h.message.conversationId === conversationId && h.message.seq === seq) owed = h;
    }
    if (!owed) {
      if (this.missed.size >= this.config.pushHoldLimit) this.missed.delete(this.missed.keys().next().value as string);
      this.missed.set(missedKey(deviceId, conversationId, seq), this.now().getTime());
      return;
    }
    this.held.delete(owed);
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" });
      return;
    }
    if (this.waiting >= this.config.pushQueueLimit) {
      this.metrics.pushes.inc({ outcome: "dropped" });
      return;
    }
    const { message, userId, endpoint, offeredAt } = owed;
    this.queue.push({ kind: "message", message, recipients: [userId], offeredAt, endpoints: new Set([endpoint]) });
    this.pump();
  }

  private hold(message: Message, subscription: PushSubscriptionRecord, offeredAt: Date): void {
    if (this.config.pushHoldMs === 0 || this.load.level >= 1 || this.closed) return;
    this.forgetExpired();
    if (this.held.size >= this.config.pushHoldLimit) {
      this.held.delete(this.held.values().next().value as HeldPush);
      this.metrics.pushes.inc({ outcome: "unheld" });
    }
    const { userId, deviceId, endpoint } = subscription;
    this.held.add({ message, userId, deviceId, endpoint, offeredAt });
  }

  /** Drop what is older than `pushHoldMs`: by then every node's news of the device has come. */
  private forgetExpired(): void {
    const since = this.now().getTime() - this.config.pushHoldMs;
    for (const h of this.held) {
      if (h.offeredAt.getTime() >= since) break;
      this.held.delete(h);
    }
    for (const [key, at] of this.missed) {
      if (at >= since) break;
      this.missed.delete(key);
    }
  }

  /** Resolves when nothing waits (retries included) and nothing is in flight (tests, shutdown). */
  settled(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  /** Stop taking messages and drop what waits, retries included; pushes in flight end by their timeout. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.held.clear();
    this.missed.clear();
    for (const timer of this.delayed.keys()) clearTimeout(timer);
    this.delayed.clear();
    this.wakeIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.delayed.size === 0 && this.active === 0;
  }

  private wakeIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  private pump(): void {
    while (this.active < this.config.pushConcurrency && this.queue.length > 0) {
      const job = this.queue.shift() as PushJob;
      this.active++;
      (job.kind === "message" ? this.run(job) : this.retry(job))
        .catch((error: Error) => console.error("haetae: push failed:", error.message))
        .finally(() => {
          this.active--;
          this.pump();
          this.wakeIdle();
        });
    }
  }

  private async run(job: MessageJob): Promise<void> {
    const { message } = job;
    // Load may have risen while the job waited: shed it now, before it reads the store.
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" }, job.recipients.length);
      return;
    }
    const now = this.now();
    // Devices someone is looking at show the message themselves: only the others are pushed to.
    // Judged as of the offer, not only now: a tab that was shown when the message reached it and
    // hid while this job waited notified by itself (it had not heard back yet), so a push would be
    // a second notification.
    // A device judged attended may have stopped on another node a moment ago, and this node not
    // heard yet: its push is held until that node can have reported the message missed it (`heard`).
    const subscriptions: PushSubscriptionRecord[] = [];
    for (const s of await this.subscriptions.of(job.recipients)) {
      if (job.endpoints) {
        // A held push found owed: sent unless someone opened the app on that device since.
        if (job.endpoints.has(s.endpoint) && !this.attended(s.deviceId)) subscriptions.push(s);
      } else if (!this.attended(s.deviceId, job.offeredAt)) {
        subscriptions.push(s);
      } else if (this.missed.delete(missedKey(s.deviceId, message.conversationId, message.seq))) {
        if (!this.attended(s.deviceId)) subscriptions.push(s);
      } else this.hold(message, s, job.offeredAt);
    }
    if (subscriptions.length === 0) return;
    const [prefs, senders, conversation] = await Promise.all([
      this.store.notifyPrefs([...new Set(subscriptions.map((s) => s.userId))], message.conversationId),
      this.store.getUsers([message.senderId]),
      this.store.getConversation(message.conversationId),
    ]);
    const senderName = senders[0]?.displayName ?? "";
    const title =
      conversation?.kind === "group" && conversation.title ? `${senderName} · ${conversation.title}` : senderName;
    const text = message.text || message.files?.[0]?.name || "";
    const sends: Promise<void>[] = [];
    for (const subscription of subscriptions) {
      const pref = prefs.get(subscription.userId);
      if (!pref) continue;
      const mentioned = message.mentionsAll || message.mentions.includes(subscription.userId);
      if (!shouldNotify({ mute: pref.mute, settings: pref.settings, mentioned }, now)) {
        this.metrics.pushes.inc({ outcome: "skipped" });
        continue;
      }
      const payload: PushPayload = { conversationId: message.conversationId, seq: message.seq, title };
      if (!pref.settings.hideText) payload.body = [...text].slice(0, BODY_CHARS).join("");
      sends.push(this.deliver(subscription, payload, 0));
    }
    await Promise.all(sends);
  }

  /**
   * Take the kept retries (of this node before a restart, or of any node: the store hands each
   * to one taker) and try each at its time. At most what fits in the queue; those whose time is
   * more than `pushRetryMaxMs` past are dropped as stale.
   */
  async resume(): Promise<number> {
    const room = this.config.pushQueueLimit - this.waiting;
    if (this.closed || room <= 0) return 0;
    const now = this.now().getTime();
    const kept = await this.store.pendingPushRetries(room, new Date(now - this.config.pushRetryMaxMs).toISOString());
    for (const retry of kept) {
      if (this.closed) break;
      this.delay({ kind: "retry", ...retry, kept: Promise.resolve(true) }, Math.max(0, Date.parse(retry.dueAt) - now));
    }
    if (kept.length > 0) this.metrics.pushes.inc({ outcome: "resumed" }, kept.length);
    return kept.length;
  }

  private async retry(job: RetryJob): Promise<void> {
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" });
      return;
    }
    // Taken by another node (it resumed the same kept retry): that one tries it.
    if ((await job.kept) && !(await this.store.claimPushRetry(job.id))) return;
    // Looked up again: the browser may have unsubscribed, or the device been logged out, meanwhile.
    const subscription = (await this.subscriptions.of([job.userId])).find((s) => s.endpoint === job.endpoint);
    // Someone opened the app on that device meanwhile: it shows the message there.
    if (!subscription || this.attended(subscription.deviceId)) return;
    await this.deliver(subscription, job.payload, job.attempt);
  }

  private async deliver(subscription: PushSubscriptionRecord, payload: PushPayload, attempt: number): Promise<void> {
    const outcome = await sendPush(subscription, payload, {
      vapid: this.vapid,
      timeoutMs: this.config.pushTimeoutMs,
      allowPrivate: this.config.pushPrivateEndpoints,
    });
    if (outcome.outcome === "transient" && this.scheduleRetry(subscription, payload, attempt + 1, outcome)) return;
    await this.settle(subscription.endpoint, outcome);
  }

  /** Queue the push again after its backoff; false when it is not to be tried again (it then counts as failed). */
  private scheduleRetry(
    subscription: PushSubscriptionRecord,
    payload: PushPayload,
    attempt: number,
    outcome: Extract<PushOutcome, { outcome: "transient" }>,
  ): boolean {
    const { pushRetries, pushRetryBaseMs, pushRetryMaxMs, pushQueueLimit } = this.config;
    if (this.closed || attempt > pushRetries || this.load.level >= 1 || this.waiting >= pushQueueLimit) return false;
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > pushRetryMaxMs) return false;
    // Full jitter over the upper half, so pushes failed together do not come back together.
    const backoff = Math.min(pushRetryMaxMs, pushRetryBaseMs * 2 ** (attempt - 1));
    const delay = Math.max(outcome.retryAfterMs ?? 0, backoff / 2 + Math.random() * (backoff / 2));
    const wait = Math.min(delay, pushRetryMaxMs);
    const id = randomUUID();
    const { endpoint, userId } = subscription;
    const kept = this.store
      .addPushRetry({
        id,
        endpoint,
        userId,
        payload,
        attempt,
        dueAt: new Date(this.now().getTime() + wait).toISOString(),
      })
      .then(
        () => true,
        (error: Error) => {
          console.warn("haetae: a push retry is not kept across a restart:", error.message);
          return false;
        },
      );
    this.delay({ kind: "retry", id, endpoint, userId, payload, attempt, kept }, wait);
    this.metrics.pushes.inc({ outcome: "retried" });
    return true;
  }

  /** Queue a retry when its time comes (the job waits for its row to be kept before taking it). */
  private delay(job: RetryJob, wait: number): void {
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      if (this.closed) return this.wakeIdle();
      this.queue.push(job);
      this.pump();
    }, wait);
    timer.unref();
    this.delayed.set(timer, job);
  }

  private async settle(endpoint: string, outcome: PushOutcome): Promise<void> {
    const counted = outcome.outcome === "transient" ? "failed" : outcome.outcome;
    this.metrics.pushes.inc({ outcome: counted });
    if (outcome.outcome === "gone") {
      // The browser unsubscribed or the push service dropped it: never post there again.
      await this.store.removePushSubscription(endpoint, null);
    } else if (outcome.outcome === "failed" || outcome.outcome === "transient") {
      console.warn(`haetae: push to ${new URL(endpoint).host} failed: ${outcome.error}`);
    }
  }
}
