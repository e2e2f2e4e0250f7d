/** @module Public sign-ups for status notifications: rate limits per address and overall, double opt-in by the target, confirmation and unsubscribe links. */
import { AddressLimiter } from "../../guard/address-limiter.js";
import { TokenBucket } from "../../guard/token-bucket.js";
import { type AddressPolicy, checkWebhookUrl, publicAddressRefusal } from "../../guard/url-policy.js";
import { HaetaeError } from "../../protocol/index.js";
import { type Subscriber, type SubscriberStore, unsubscribeToken } from "./subscriber-store.js";
import type { DeliveryOutcome, WebhookSender } from "./webhook-sender.js";

/** The settings sign-ups take from the configuration. */
export interface SignupOptions {
  /** Sign-ups one client address may make per hour (its burst too). */
  perHourPerAddress: number;
  /** Sign-ups per minute from everyone together (its burst too). */
  perMinute: number;
  /** How long a subscription waits for its target's confirmation. */
  confirmTtlMs: number;
  /** At most one confirmation request to the same URL within this window. */
  confirmIntervalMs: number;
  /** Confirmation requests to one host per hour, whatever the URLs (its burst too). */
  confirmsPerHostPerHour: number;
  /** Subscribers may use loopback and private addresses (tests, closed networks). */
  allowPrivate: boolean;
}

/** The confirmation request's body, sent once to the subscriber's URL (event `subscription.confirm`). */
export interface ConfirmationRequest {
  type: "subscription.confirm";
  subscription: { id: string; components: string[] };
  /** Answer 2xx with exactly this text as the body (or JSON `{"challenge": …}`) to confirm at once. */
  challenge: string;
  /** Or POST this link (opened with GET it shows a button that does): for targets that show the message to a person. */
  confirmUrl: string;
  expiresAt: string;
}

/** How many confirmation URLs are remembered at most (older ones are forgotten first). */
const MAX_REMEMBERED_URLS = 100_000;

/**
 * The public side of subscriptions. A stranger's sign-up costs little and is capped four ways
 * (per address, overall, one confirmation request per target URL per window, and a rate per
 * target host), and it buys
 * nothing until the target itself proves it wants the notifications — by echoing the random
 * challenge of the one confirmation request, or by following its link. The confirmation goes
 * through the same bounded, concurrency-limited sender as notifications, sent once, never
 * retried, so sign-ups cannot be turned into a flood against a third party.
 */
export class SubscriberSignups {
  private readonly byAddress: AddressLimiter;
  private readonly overall: TokenBucket;
  private readonly byHost: AddressLimiter;
  /** URL → when its last confirmation request went out. */
  private readonly confirmationsSent = new Map<string, number>();
  readonly policy: AddressPolicy | undefined;

  constructor(
    readonly store: SubscriberStore,
    private readonly sender: WebhookSender,
    private readonly options: SignupOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.byAddress = new AddressLimiter(options.perHourPerAddress / 3600, options.perHourPerAddress);
    this.overall = new TokenBucket(options.perMinute / 60, options.perMinute);
    this.byHost = new AddressLimiter(options.confirmsPerHostPerHour / 3600, options.confirmsPerHostPerHour);
    this.policy = options.allowPrivate ? undefined : publicAddressRefusal;
  }

  /**
   * Take a sign-up from `address` and send its target the confirmation request. Throws
   * `rate_limited` (with `retryAfterMs`) past a limit or while the URL's window is still open,
   * `invalid_request` for a refused URL, `subscriber_limit_exceeded` when confirmed ones fill the cap.
   * `baseUrl` is the status page's own public address (never the request's Host header, which
   * the caller chooses).
   */
  signUp(rawUrl: string, components: string[], address: string, baseUrl: string): Subscriber {
    const url = checkWebhookUrl(rawUrl, this.options.allowPrivate);
    const at = this.now();
    const lastSent = this.confirmationsSent.get(url);
    const windowLeft = lastSent === undefined ? 0 : lastSent + this.options.confirmIntervalMs - at.getTime();
    if (windowLeft > 0) {
      throw new HaetaeError(
        "rate_limited",
        "A confirmation request went to this URL a short while ago; answer it or try again later.",
        windowLeft,
      );
    }
    const wait = this.byAddress.take(address) || this.overall.take();
    if (wait > 0) throw new HaetaeError("rate_limited", "Too many sign-ups; retry after retryAfterMs.", wait);
    // URL variants (paths, queries, ports) on one host share this, so a host cannot be flooded through them.
    // Counted by the host, not by its spelling: "host.example." (fully qualified) is "host.example".
    const hostWait = this.byHost.take(new URL(url).hostname.replace(/\.+$/, ""));
    if (hostWait > 0) {
      throw new HaetaeError("rate_limited", "Too many confirmation requests to this host; retry later.", hostWait);
    }
    const { subscriber, token } = this.store.addPending(url, components, at, this.options.confirmTtlMs);
    this.remember(url, at.getTime());
    const request: ConfirmationRequest = {
      type: "subscription.confirm",
      subscription: { id: subscriber.id, components: subscriber.components },
      challenge: token,
      confirmUrl: `${baseUrl}/status/subscribers/${subscriber.id}/confirm?token=${token}`,
      expiresAt: subscriber.expiresAt,
    };
    this.sender.send(
      { url, secret: subscriber.secret, policy: this.policy },
      "subscription.confirm",
      JSON.stringify(request),
      { maxAttempts: 1, readBody: true, onDone: (outcome) => this.answered(subscriber.id, token, outcome) },
    );
    return subscriber;
  }

  /** Confirm through the link; see `SubscriberStore.confirm` for the errors. */
  confirm(id: string, token: string): Subscriber {
    return this.store.confirm(id, token, this.now());
  }

  /** Remove through the unsubscribe link of a notification. */
  unsubscribe(id: string, token: string): void {
    this.store.removeWithToken(id, token);
  }

  /** The link every notification to `subscriber` carries. */
  unsubscribeUrl(baseUrl: string, subscriber: Subscriber): string {
    return `${baseUrl}/status/subscribers/${subscriber.id}/unsubscribe?token=${unsubscribeToken(subscriber)}`;
  }

  /** The confirmation request's answer: its body confirms when it echoes the challenge. */
  private answered(id: string, challenge: string, outcome: DeliveryOutcome): void {
    if (outcome.outcome !== "delivered" || !echoes(outcome.responseBody ?? "", challenge)) return;
    try {
      this.store.confirm(id, challenge, this.now());
    } catch (error) {
      // Expired, removed, or the cap filled meanwhile: the sign-up simply did not take.
      console.warn(`status subscriber ${id} not confirmed: ${(error as Error).message}`);
    }
  }

  private remember(url: string, at: number): void {
    this.confirmationsSent.delete(url);
    this.confirmationsSent.set(url, at);
    if (this.confirmationsSent.size <= MAX_REMEMBERED_URLS) return;
    const cutoff = at - this.options.confirmIntervalMs;
    for (const [key, sentAt] of this.confirmationsSent) {
      // Oldest first (insertion order): stop at the first one still inside its window, unless over the bound.
      if (sentAt > cutoff && this.confirmationsSent.size <= MAX_REMEMBERED_URLS) break;
      this.confirmationsSent.delete(key);
    }
  }
}

/** True when an answer's body is the challenge itself, or JSON carrying it as `challenge`. */
function echoes(body: string, challenge: string): boolean {
  const text = body.trim();
  if (text === challenge) return true;
  try {
    const json = JSON.parse(text) as { challenge?: unknown };
    return typeof json === "object" && json !== null && json.challenge === challenge;
  } catch {
    return false;
  }
}
