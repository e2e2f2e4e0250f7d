/** @module Spreads every tower change: status page, in-app banner, staff webhooks, subscriber webhooks, staff chat — each on its own. */
import type { ChatContext } from "../../chat/context.js";
import type { StatusPage } from "../status/status-page.js";
import type { StatusSnapshot, TowerChange, TowerFeed } from "../tower/model.js";
import { IncidentBanner } from "./incident-banner.js";
import { StaffChat } from "./staff-chat.js";
import { type SignupOptions, SubscriberSignups } from "./subscriber-signups.js";
import type { Subscriber, SubscriberStore } from "./subscriber-store.js";
import { changeComponents, plainText, slackPayload, staffPayload, subscriberPayload } from "./webhook-payloads.js";
import { type DeliveryOutcome, logOutcome, WebhookSender, type WebhookSenderOptions } from "./webhook-sender.js";

/** Subscribers queued per turn of the event loop. */
const FANOUT_BATCH = 200;

/** The settings propagation takes from the configuration. */
export interface PropagationOptions extends WebhookSenderOptions {
  /** Receivers of the generic staff JSON. */
  staffWebhookUrls: string[];
  /** Receivers of Slack-compatible `{text, blocks}` messages. */
  staffSlackWebhookUrls: string[];
  /** Signs staff deliveries when not empty. */
  webhookSecret: string;
  /** Sign-up limits, confirmation, and whether subscribers may use private addresses. */
  signups: SignupOptions;
  /** The staff conversation's title (a label; it is bound by id in the store); empty turns staff chat off. */
  staffChatConversation: string;
}

export interface PropagationDeps {
  options: PropagationOptions;
  page: StatusPage;
  /**
   * The sessions of this process, for the banner: it greets new sessions with the open incidents
   * and reaches every connected one. Absent in a process that holds no sessions (the watcher).
   */
  sessions?: {
    addGreeting(greet: () => string[]): () => void;
    /** Hand one frame to every session the banner is for. */
    broadcast(frame: string): void;
  };
  /** The chat store, for the staff chat; absent in a process without it (then nothing posts there). */
  ctx?: ChatContext;
  /**
   * The subscriber file: subscriber webhooks and sign-ups live where it is (the tower's process).
   * Absent on a node whose tower runs elsewhere: that tower notifies them.
   */
  subscribers?: SubscriberStore;
  /** Whether staff webhooks go out from here: only where the tower runs, so each goes out once. */
  staffWebhooks: boolean;
  now?: () => Date;
  /** Hears every webhook outcome (tests, metrics); failures are logged either way. */
  onDelivery?: (outcome: DeliveryOutcome) => void;
}

/** A comma-separated setting as a list, blanks dropped. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The fan-out of the control tower. Every path is independent: each runs in its own `try`, and
 * the slow ones (webhooks, staff chat) only queue here and deliver in the background, so a dead
 * receiver or a broken chat store never delays the banner or the status page. Nothing but the
 * staff chat touches the chat store.
 */
export class Propagation {
  readonly banner: IncidentBanner | undefined;
  readonly staffChat: StaffChat | undefined;
  /** Public sign-ups, where the subscriber file is; their confirmation requests share the subscribers' sender and its limits. */
  readonly signups: SubscriberSignups | undefined;
  private readonly staffWebhooks: WebhookSender;
  private readonly subscriberWebhooks: WebhookSender;
  private readonly listeners = new Set<(outcome: DeliveryOutcome) => void>();
  /** The subscriber fan-out in progress; the next one waits for it. */
  private fanout: Promise<void> = Promise.resolve();
  private readonly now: () => Date;
  private readonly detach: (() => void)[] = [];
  private feedOff: (() => void) | undefined;

  private get subscribers(): SubscriberStore | undefined {
    return this.deps.subscribers;
  }

  constructor(private readonly deps: PropagationDeps) {
    const log = deps.onDelivery;
    const report = (outcome: DeliveryOutcome) => {
      log?.(outcome);
      for (const listener of this.listeners) listener(outcome);
      logOutcome(outcome);
    };
    this.staffWebhooks = new WebhookSender(deps.options, report);
    this.subscriberWebhooks = new WebhookSender(deps.options, report);
    if (deps.subscribers) {
      this.signups = new SubscriberSignups(deps.subscribers, this.subscriberWebhooks, deps.options.signups);
    }
    this.now = deps.now ?? (() => new Date());
    if (deps.ctx && deps.options.staffChatConversation) {
      this.staffChat = new StaffChat(deps.ctx, { title: deps.options.staffChatConversation });
    }
    const sessions = deps.sessions;
    if (sessions) {
      const banner = new IncidentBanner((frame) => sessions.broadcast(frame));
      this.banner = banner;
      this.detach.push(sessions.addGreeting(() => banner.greeting()));
    }
  }

  /**
   * Listen to a tower: take its current snapshot at once (the page serves it, new sessions are
   * greeted with its open incidents), then spread every change. Returns the way to stop.
   * Attaching another feed replaces this one.
   */
  attach(feed: TowerFeed): () => void {
    // One tower per node: a second attach replaces the first, so two feeds never fight over the page.
    this.feedOff?.();
    const snapshot = feed.snapshot();
    this.banner?.prime(snapshot);
    void this.deps.page.update(snapshot);
    const off = feed.subscribe((change, next) => this.spread(change, next));
    this.feedOff = off;
    return off;
  }

  /** Take a whole new state without announcing it (a linked tower's first state, or a new leader's): the page and what new sessions are greeted with. */
  refresh(snapshot: StatusSnapshot): void {
    this.banner?.prime(snapshot);
    void this.deps.page.update(snapshot);
  }

  /** Spread one change; never throws. */
  spread(change: TowerChange, snapshot: StatusSnapshot): void {
    const at = this.now();
    const steps: [string, () => void][] = [
      ["status page", () => void this.deps.page.update(snapshot)],
      ["banner", () => this.banner?.onChange(change, snapshot)],
      ["staff webhooks", () => this.toStaff(change, snapshot, at)],
      ["subscriber webhooks", () => this.toSubscribers(change, snapshot, at)],
      ["staff chat", () => this.staffChat?.post(plainText(change, snapshot), changeKey(change))],
    ];
    for (const [name, step] of steps) {
      try {
        step();
      } catch (error) {
        console.error(`propagation: ${name} failed for ${change.kind}:`, error);
      }
    }
  }

  private toStaff(change: TowerChange, snapshot: StatusSnapshot, at: Date): void {
    const { options } = this.deps;
    if (!this.deps.staffWebhooks) return;
    const secret = options.webhookSecret || undefined;
    if (options.staffWebhookUrls.length > 0) {
      const body = JSON.stringify(staffPayload(change, snapshot, at));
      for (const url of options.staffWebhookUrls) this.staffWebhooks.send({ url, secret }, change.kind, body);
    }
    if (options.staffSlackWebhookUrls.length > 0) {
      const body = JSON.stringify(slackPayload(change, snapshot));
      for (const url of options.staffSlackWebhookUrls) this.staffWebhooks.send({ url, secret }, change.kind, body);
    }
  }

  /**
   * Queue one delivery per confirmed subscriber, `FANOUT_BATCH` at a time with a turn of the
   * event loop between batches, so ten thousand subscribers never stall it. Fan-outs run one
   * after another, so every subscriber hears changes in the order they happened. Each body is
   * made only when its turn comes (it differs per subscriber by the unsubscribe link), so a
   * large audience queues small entries, and the sender's concurrency limit decides how many
   * sockets are open.
   */
  private toSubscribers(change: TowerChange, snapshot: StatusSnapshot, at: Date): void {
    const { signups, subscribers } = this;
    if (!signups || !subscribers) return;
    const base = snapshot.page.url.replace(/\/+$/, "");
    const { policy } = signups;
    const audience = subscribers.forComponents(changeComponents(change));
    this.fanout = this.fanout.then(async () => {
      for (let i = 0; i < audience.length; i++) {
        if (i > 0 && i % FANOUT_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
        const subscriber = audience[i] as Subscriber;
        const body = () =>
          JSON.stringify(subscriberPayload(change, snapshot, at, signups.unsubscribeUrl(base, subscriber)));
        this.subscriberWebhooks.send({ url: subscriber.url, secret: subscriber.secret, policy }, change.kind, body);
      }
    });
  }

  /** Hear every webhook outcome, staff and subscribers (metrics, tests); returns the way to stop. */
  onDelivery(listener: (outcome: DeliveryOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscriber deliveries (confirmations included) in flight now; never above `concurrency`. */
  get subscriberDeliveriesInFlight(): number {
    return this.subscriberWebhooks.inFlight;
  }

  /** Deliveries still queued or in flight, staff and subscribers together. */
  get pendingDeliveries(): number {
    return this.staffWebhooks.pending + this.subscriberWebhooks.pending;
  }

  close(): void {
    this.feedOff?.();
    for (const off of this.detach.splice(0)) off();
    this.staffWebhooks.close();
    this.subscriberWebhooks.close();
    this.staffChat?.close();
  }
}

/** The same change always gives the same key, so a retried chat post is stored once (G2). */
function changeKey(change: TowerChange): string {
  if (change.kind === "component.changed") {
    return `${change.kind}:${change.component.id}:${change.component.status}:${change.component.updatedAt}`;
  }
  if ("maintenance" in change) {
    const m = change.maintenance;
    return `${change.kind}:${m.id}:${m.updates?.length ?? 0}:${m.cancelledAt ?? ""}`;
  }
  const i = change.incident;
  return `${change.kind}:${i.id}:${i.status}:${i.severity}:${i.updates.length}:${change.text}`;
}
