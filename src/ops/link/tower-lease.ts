/**
 * @module Who leads the tower in a cluster: a lease in a JetStream KV bucket whose entries live
 * `ttlMs` after their last write. A node takes the lease by creating the key (which fails while
 * another's entry lives), keeps it by updating it with the revision it last wrote (which fails
 * once anyone else wrote it), and steps down on its own before the entry can expire, so two
 * nodes never both believe they lead.
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { createOrOpenBucket } from "./nats-tower-link.js";

/** The key of the lease in its bucket. */
const KEY = "leader";

export interface LeaseOptions {
  /** This node, as the lease names it (for operators reading the bucket). */
  holder: string;
  /** How long the lease outlives its last renewal; a dead leader is replaced within about this. */
  ttlMs: number;
  /** Hears every change: true once this node leads, false once it stopped. */
  onChange: (leading: boolean) => void;
  now?: () => number;
}

/** What the lease holds: who, and when it was written (for operators). */
export interface LeaseValue {
  holder: string;
  at: string;
}

export class TowerLease {
  private revision = 0;
  /** This node counts itself the leader until then (ms since the epoch); 0 when it does not lead. */
  private deadline = 0;
  private timer: NodeJS.Timeout | undefined;
  private stepDownTimer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  private readonly now: () => number;

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Open (or create) the lease bucket, whose entries expire `ttlMs` after their last write. */
  static async open(nc: NatsConnection, bucket: string, options: LeaseOptions): Promise<TowerLease> {
    const kv = await createOrOpenBucket(nc, bucket, { history: 1, ttl: options.ttlMs });
    return new TowerLease(kv, options);
  }

  /**
   * Whether this node leads now. It stops counting itself the leader a third of the TTL before
   * the entry it last wrote can expire (measured from before the write was sent), so a paused
   * process that wakes up finds itself no longer leading before it acts.
   */
  leads(): boolean {
    return this.deadline !== 0 && this.now() < this.deadline;
  }

  /** Start contending: try to take the lease at once, then every third of the TTL (renewing while it leads). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.round();
    this.timer = setInterval(() => void this.round(), Math.max(100, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** Stop contending; a leader gives the lease up at once (deleting it with its revision), so another takes it without waiting for the TTL. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    const leading = this.leads();
    const revision = this.revision;
    this.stepDown();
    if (leading) {
      try {
        await this.kv.delete(KEY, { previousSeq: revision });
      } catch {
        // another already holds it, or NATS is away: the entry expires by itself
      }
    }
  }

  private async round(): Promise<void> {
    if (this.busy || !this.running) return;
    this.busy = true;
    if (this.deadline !== 0 && !this.leads()) this.stepDown(); // its time ran out (a pause, a slow NATS)
    const sentAt = this.now();
    const value = new TextEncoder().encode(
      JSON.stringify({ holder: this.options.holder, at: new Date(sentAt).toISOString() } satisfies LeaseValue),
    );
    try {
      if (this.leads()) {
        this.revision = await this.kv.update(KEY, value, this.revision);
        this.extend(sentAt);
      } else {
        this.revision = await this.kv.create(KEY, value);
        this.extend(sentAt);
        if (this.running) this.options.onChange(true);
      }
    } catch (error) {
      // Taken by another, or written by another since (fenced by revision): not ours.
      if (this.leads() && isConflict(error)) this.stepDown();
      // Otherwise (NATS away, a timeout) a leader keeps trying until its deadline passes.
    } finally {
      this.busy = false;
    }
    if (!this.running && this.leads()) this.stepDown();
  }

  /** Lead until a third of the TTL before the entry written at `sentAt` can expire. */
  private extend(sentAt: number): void {
    const margin = Math.floor(this.options.ttlMs / 3);
    this.deadline = sentAt + this.options.ttlMs - margin;
    clearTimeout(this.stepDownTimer);
    this.stepDownTimer = setTimeout(
      () => {
        if (!this.leads()) this.stepDown();
      },
      this.deadline - this.now() + 1,
    );
    this.stepDownTimer.unref();
  }

  private stepDown(): void {
    clearTimeout(this.stepDownTimer);
    const was = this.deadline !== 0;
    this.deadline = 0;
    this.revision = 0;
    if (was) this.options.onChange(false);
  }
}

/** A write refused because the key is not at the revision given (JetStream error 10071, "wrong last sequence"). */
function isConflict(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /wrong last sequence|10071|key exists/i.test(message);
}
