/** @module Send admission by time: a send is taken while the wait it would have (predicted from the sends in flight and their measured drain rate) stays under a target; the rest are refused at once with the drain time (CoDel's idea, applied before the queue). */

/** How the controller is set up. */
export interface SendAdmissionOptions {
  /** The longest a send should wait from arrival to commit, ms (`sendQueueTargetMs`). */
  targetMs: number;
  /** Sends in flight that are always admitted, whatever the prediction (see the class comment). */
  floor?: number;
  /** One measurement interval, ms: the drain rate and the standing delay are taken over it. */
  intervalMs?: number;
  /** A refusal's retry time is never below this, ms. */
  minRetryMs?: number;
  /** A refusal's retry time is never above this, ms (30 s by default). */
  maxRetryMs?: number;
  /** Clock in ms (performance.now by default; a fake one in tests). */
  now?: () => number;
}

/** An admitted send, handed back to `done` once its write has committed or failed. */
export interface AdmissionTicket {
  readonly at: number;
}

/** The answer for one send. */
export type AdmissionVerdict = { admitted: true; ticket: AdmissionTicket } | { admitted: false; retryAfterMs: number };

/** What the controller measured, for metrics and tests. */
export interface AdmissionState {
  inFlight: number;
  /** Sends per second this node commits while it has sends in flight; undefined before the first measure. */
  drainPerSecond: number | undefined;
  /** The wait a send admitted now is predicted to have, ms. */
  predictedWaitMs: number;
  /** The shortest arrival → commit time of the sends done in the last full interval, ms (CoDel's standing delay). */
  standingMs: number | undefined;
}

/** Weight of a new interval's rate in the running estimate. */
const RATE_WEIGHT = 0.3;
/** What is kept of the peak rate from one busy interval to the next (half of it after ~3.5 s of them). */
const PEAK_DECAY = 0.98;

/**
 * Keeps the time a send waits in this node (arrival → its write committed) under `targetMs`
 * whatever the offered load, by refusing at the door what would wait longer, instead of queueing
 * it and acknowledging late (G5). A count bound (`maxPendingWrites`) cannot do that: how long N
 * queued writes take depends on the machine, the store and the batch sizes.
 *
 * The prediction: a new send waits behind the `inFlight` sends already admitted, which leave at
 * the measured drain rate — sends done per second of time during which sends were in flight
 * (idle time does not lower it). Admitted while `(inFlight + 1) / rate ≤ target`, so the node
 * holds about `rate × target` sends at most. The check: CoDel's standing delay, the shortest
 * arrival → commit time of the sends done in the last interval; when even the quickest waited
 * longer than the target, the queue did not drain as predicted and new sends beyond the floor
 * are refused until an interval shows it draining.
 *
 * `floor` sends in flight are always admitted: enough to fill a group commit, so the store is
 * never starved and the rate keeps being measured. This is what an earlier count-free
 * admission lacked: when the node (its event loop, not the store) was slow, refusing more made
 * the batches smaller and the measured rate lower, which refused more still.
 *
 * A refusal says when to retry: each connection refused is given a slot of its own after the
 * queue in flight has drained, one commit (1 / rate) after the slot given before it, and each of
 * its sends refused in its retry time reserves one more commit (`reserveSlot`), so the next
 * connection's slot comes after the whole pipeline it has to send again. Told the same wait, the sends refused together
 * came back together and were refused again: with 100 clients each pipelining its backlog, ten
 * refusals per stored message, and the node's time went to refusing (a run stored 10,600
 * messages in 32 s against 7 s with no refusals at all). Given slots, they come back at the pace
 * the node commits. (One slot per send was tried: a connection's frames arrive in many reads,
 * interleaved with the others', so its last slot, the one it waits for, fell near the end of
 * everyone's, and the node sat idle for seconds while the clients waited.) Slots are spaced by the
 * peak drain rate, not a cap on the wait: capped at 2 s, a backlog of 38,000 sends was told to
 * come back within 2 s and the refusals stormed again.
 */
export class SendAdmission {
  private readonly targetMs: number;
  private readonly floor: number;
  private readonly intervalMs: number;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly now: () => number;
  /** The next free retry slot, ms on the clock. */
  private nextSlotAt = Number.NEGATIVE_INFINITY;
  private inFlight = 0;
  private rate: number | undefined;
  /** The fastest recent interval's rate, slowly forgotten: what the retry slots are spaced by. */
  private peakRate = 0;
  private standing: number | undefined;
  /** The interval under way: its start, time with sends in flight, sends done, shortest sojourn. */
  private intervalStart: number;
  private busyMs = 0;
  private doneCount = 0;
  private minSojourn = Number.POSITIVE_INFINITY;
  private lastAt: number;

  constructor(options: SendAdmissionOptions) {
    this.targetMs = options.targetMs;
    this.floor = options.floor ?? 32;
    this.intervalMs = options.intervalMs ?? 100;
    this.minRetryMs = options.minRetryMs ?? 50;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.now = options.now ?? (() => performance.now());
    this.intervalStart = this.now();
    this.lastAt = this.intervalStart;
  }

  /** Take a send (arriving now), or refuse it with the time to retry after. */
  admit(): AdmissionVerdict {
    const now = this.advance();
    if (this.inFlight >= this.floor) {
      const waitMs = this.predictedWaitMs();
      const standingTooLong = this.standing !== undefined && this.standing > this.targetMs;
      if (waitMs > this.targetMs || standingTooLong) {
        return {
          admitted: false,
          retryAfterMs: this.retryAfter(standingTooLong ? Math.max(waitMs, this.standing ?? 0) : waitMs),
        };
      }
    }
    this.inFlight += 1;
    return { admitted: true, ticket: { at: now } };
  }

  /**
   * A send refused without asking `admit` (its connection is inside the retry time of an earlier
   * refusal, which it is told again): its commit is reserved after the slots given so far, so
   * that the sends refused later come back after it.
   */
  reserveSlot(): void {
    this.advance();
    this.nextSlotAt += this.peakRate > 0 ? 1000 / this.peakRate : 0;
  }

  /** An admitted send's write committed or failed: it has left the queue. */
  done(ticket: AdmissionTicket): void {
    const now = this.advance();
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.doneCount += 1;
    this.minSojourn = Math.min(this.minSojourn, now - ticket.at);
  }

  get state(): AdmissionState {
    this.advance();
    return {
      inFlight: this.inFlight,
      drainPerSecond: this.rate,
      predictedWaitMs: this.predictedWaitMs(),
      standingMs: this.standing,
    };
  }

  /** The wait of a send admitted now, ms: 0 until a rate is known (the floor then bounds the queue). */
  private predictedWaitMs(): number {
    if (this.rate === undefined || this.rate <= 0) return this.inFlight >= this.floor ? Number.POSITIVE_INFINITY : 0;
    return ((this.inFlight + 1) / this.rate) * 1000;
  }

  /** The wait until this send's slot: after `drainMs` (the queue now in flight), one commit after the last slot. */
  private retryAfter(drainMs: number): number {
    const now = this.now();
    const base = Number.isFinite(drainMs) ? drainMs : Math.max(this.targetMs, this.standing ?? 0);
    // Spaced by the peak rate, not the running one: a rate underestimated (the node starved of
    // CPU for a moment) spread the slots so far that the node sat idle while its clients waited;
    // a little overbooking costs a few refusals more. Before any rate, slots are not spread.
    const slotMs = this.peakRate > 0 ? 1000 / this.peakRate : 0;
    this.nextSlotAt = Math.min(Math.max(this.nextSlotAt, now + base) + slotMs, now + this.maxRetryMs);
    return Math.ceil(Math.max(this.minRetryMs, this.nextSlotAt - now));
  }

  /** Account the time since the last call; close the intervals that ended. Returns now. */
  private advance(): number {
    const now = this.now();
    if (this.inFlight > 0) this.busyMs += now - this.lastAt;
    this.lastAt = now;
    if (now - this.intervalStart >= this.intervalMs) {
      // A rate from an interval mostly idle says little: only intervals busy a quarter of the time count.
      if (this.doneCount > 0 && this.busyMs >= this.intervalMs / 4) {
        const sample = (this.doneCount / this.busyMs) * 1000;
        this.rate = this.rate === undefined ? sample : this.rate * (1 - RATE_WEIGHT) + sample * RATE_WEIGHT;
        this.peakRate = Math.max(sample, this.peakRate * PEAK_DECAY);
      }
      // With nothing in flight there is no queue, whatever the last sends waited; with no send
      // done in the interval, the last standing delay holds.
      this.standing = this.inFlight === 0 ? undefined : this.doneCount > 0 ? this.minSojourn : this.standing;
      this.intervalStart = now;
      this.busyMs = 0;
      this.doneCount = 0;
      this.minSojourn = Number.POSITIVE_INFINITY;
    }
    return now;
  }
}
