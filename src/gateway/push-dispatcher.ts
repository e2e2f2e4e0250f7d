/** @module Web Push for messages: a bounded queue with a concurrency limit, the first work shed under load (G5), never in a send's way. */
import type { MessageNotifier } from "../chat/context.js";
import type { Config } from "../config/config.js";
import type { Metrics } from "../ops/metrics.js";
import { type Message, type PushPayload, shouldNotify } from "../protocol/index.js";
import type { Store } from "../store/store.js";
import { type PushOutcome, sendPush } from "./push-sender.js";
import type { VapidKeys } from "./vapid-keys.js";

/** The config slice of the push queue. */
export type PushConfig = Pick<Config, "pushQueueLimit" | "pushConcurrency" | "pushTimeoutMs" | "pushPrivateEndpoints">;

interface PushJob {
  message: Message;
  recipients: string[];
}

/** Characters of a message's text a notification shows. */
const BODY_CHARS = 180;

/**
 * Takes each stored message (`offer`, called after its publish, synchronous: a send never waits
 * for a push) and, for the recipients with no live session on any node, pushes a notification to
 * each subscribed device — unless the chat is muted for them (a mention may pass), it is their
 * quiet hours, or they hide message text (then the push has no body). Bounded: at most
 * `pushQueueLimit` messages wait (more are dropped and counted), `pushConcurrency` are worked on at
 * once. At degradation level 1 and above nothing is queued and what waits is shed, before typing
 * and presence: a push is a courtesy, the message itself is stored and reaches the device by sync.
 * A subscription whose push service answers 404 or 410 is removed at once.
 */
export class PushDispatcher implements MessageNotifier {
  private readonly queue: PushJob[] = [];
  private active = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly config: PushConfig,
    readonly vapid: VapidKeys,
    private readonly metrics: Pick<Metrics, "pushes">,
    private readonly load: { readonly level: number },
    /** True while the user has a live session on any node (their devices hear the message there). */
    private readonly online: (userId: string) => boolean,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Messages waiting for a worker. */
  get waiting(): number {
    return this.queue.length;
  }

  offer(message: Message, audience: readonly string[]): void {
    if (this.closed || message.deleted) return;
    const recipients = audience.filter((id) => id !== message.senderId && !this.online(id));
    if (recipients.length === 0) return;
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" }, recipients.length);
      return;
    }
    if (this.queue.length >= this.config.pushQueueLimit) {
      this.metrics.pushes.inc({ outcome: "dropped" }, recipients.length);
      return;
    }
    this.queue.push({ message, recipients });
    this.pump();
  }

  /** Resolves when nothing waits and nothing is in flight (tests, shutdown). */
  settled(): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  /** Stop taking messages and drop what waits; pushes in flight end by their timeout. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.active < this.config.pushConcurrency && this.queue.length > 0) {
      const job = this.queue.shift() as PushJob;
      this.active++;
      this.run(job)
        .catch((error: Error) => console.error("haetae: push failed:", error.message))
        .finally(() => {
          this.active--;
          this.pump();
          if (this.active === 0 && this.queue.length === 0) {
            for (const resolve of this.idle) resolve();
            this.idle.clear();
          }
        });
    }
  }

  private async run(job: PushJob): Promise<void> {
    const { message } = job;
    // Load may have risen while the job waited: shed it now, before it reads the store.
    if (this.load.level >= 1) {
      this.metrics.pushes.inc({ outcome: "shed" }, job.recipients.length);
      return;
    }
    const now = this.now();
    const [subscriptions, prefs, senders, conversation] = await Promise.all([
      this.store.pushSubscriptions(job.recipients, now.toISOString()),
      this.store.notifyPrefs(job.recipients, message.conversationId),
      this.store.getUsers([message.senderId]),
      this.store.getConversation(message.conversationId),
    ]);
    if (subscriptions.length === 0) return;
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
      sends.push(
        sendPush(subscription, payload, {
          vapid: this.vapid,
          timeoutMs: this.config.pushTimeoutMs,
          allowPrivate: this.config.pushPrivateEndpoints,
        }).then((outcome) => this.settle(subscription.endpoint, outcome)),
      );
    }
    await Promise.all(sends);
  }

  private async settle(endpoint: string, outcome: PushOutcome): Promise<void> {
    this.metrics.pushes.inc({ outcome: outcome.outcome });
    if (outcome.outcome === "gone") {
      // The browser unsubscribed or the push service dropped it: never post there again.
      await this.store.removePushSubscription(endpoint, null);
    } else if (outcome.outcome === "failed") {
      console.warn(`haetae: push to ${new URL(endpoint).host} failed: ${outcome.error}`);
    }
  }
}
