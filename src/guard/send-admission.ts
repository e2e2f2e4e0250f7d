/** @module Send admission by time: a send is taken while the wait it would have (predicted from the sends in flight and their measured drain rate) stays under a target; the rest are refused at once with a retry slot after the drain (CoDel's idea, applied before the queue). */
import { RetryBook, type RetrySlot } from "./retry-slots.js";

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
  /** Uniform in [0, 1), the retry slots' jitter (Math.random by default). */
  random?: () => number;
}

/** An admitted send, handed back to `done` once its write has committed or failed. */
export interface AdmissionTicket {
  readonly at: number;
}

/** The answer for one send. */
export type AdmissionVerdict =
  | { admitted: true; ticket: AdmissionTicket }
  | { admitted: false; retryAfterMs: number; slot: RetrySlot };

/** What the controller measured, for metrics and tests. */
export interface AdmissionState {
  inFlight: number;
  /** Sends per second this node commits while it has sends in flight; undefined before the first measure. */
  drainPerSecond: number | undefined;
  /** The wait a send admitted now is predicted to have, ms. */
  predictedWaitMs: number;
  /** The shortest arrival → commit time of the sends done in the last full interval, ms (CoDel's standing delay). */
  standingMs: number | undefined;
  /** Sends that refused connections will bring back in slots still to come. */
  bookedSends: number;
}

/** Weight of a new interval's rate in the running estimate. */
const RATE_WEIGHT = 0.3;
/** The share of the target the prediction plans for; the rest is margin for what it cannot see. */
const PLAN_SHARE = 0.6;

/**
 * Keeps the time a send waits in this node (arrival → its write committed) under `targetMs`
 * whatever the offered load, by refusing at the door what would wait longer, instead of queueing
 * it and acknowledging late (G5). A count bound (`maxPendingWrites`) cannot do that: how long N
 * queued writes take depends on the machine, the store and the batch sizes.
 *
 * The prediction: a new send waits behind the `inFlight` sends already admitted, which leave at
 * the measured drain rate. Admitted while `(inFlight + 1) / rate` is within the plan, 60 % of the
 * target: the other 40 % is the margin for what the prediction does not see (an event-loop stall,
 * the reply's way out, a rate still being learned), so that the p99, not the mean, stays within
 * the target. The node then holds about `rate × plan` sends. The check: CoDel's standing delay,
 * the shortest arrival → commit time of the sends done in the last interval; when even the
 * quickest waited longer than the plan, the queue did not drain as predicted and new sends beyond
 * the floor are refused until an interval shows it draining.
 *
 * The rate is what the node can do, not what it was given: an interval counts only while the
 * node was backlogged (the floor in flight at least half of it). An interval with less work says
 * only that the node can do at least as much as it did, so it may raise the estimate, never lower
 * it. Measured on every busy interval, the rate followed the load down: retry slots spaced by it
 * brought clients back at the pace they had come, that pace was measured as the node's, and a
 * node that had committed 4,393 sends in one second was kept at 1,200–1,600 for the rest of a run.
 *
 * `floor` sends in flight are always admitted: enough to fill a group commit, so the store is
 * never starved and the rate keeps being measured. This is what an earlier count-free
 * admission lacked: when the node (its event loop, not the store) was slow, refusing more made
 * the batches smaller and the measured rate lower, which refused more still.
 *
 * A refusal says when to retry: each connection refused is booked in a `RetryBook` (see there)
 * with the sends it will bring back — its first refusal, and each of its sends refused in its
 * retry time (`reserveSlot`) — and its slot comes when the queue in flight and every send booked
 * ahead have drained at the rate measured now. Told the same wait, the sends refused together
 * came back together and were refused again: with 100 clients each pipelining its backlog, ten
 * refusals per stored message, and the node's time went to refusing. Slots handed out one after
 * the other, each one commit (at the peak rate seen) after the last, did not storm but left the
 * node idle: a slot once far out stayed far out when the node turned out faster or the clients
 * before it came back with less, and for ten seconds of a run the node waited for its clients.
 */
export class SendAdmission {
  private readonly targetMs: number;
  private readonly planMs: number;
  private readonly floor: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly book: RetryBook;
  private inFlight = 0;
  private rate: number | undefined;
  /** Whether an interval has measured the rate while backlogged (before that, it is a lower bound). */
  private backlogSeen = false;
  private readonly random: () => number;
  private standing: number | undefined;
  /** The interval under way: its start, time with sends in flight and with the floor in flight, sends done, shortest sojourn. */
  private intervalStart: number;
  private busyMs = 0;
  private backlogMs = 0;
  private doneCount = 0;
  private minSojourn = Number.POSITIVE_INFINITY;
  private lastAt: number;

  constructor(options: SendAdmissionOptions) {
    this.targetMs = options.targetMs;
    this.planMs = options.targetMs * PLAN_SHARE;
    this.floor = options.floor ?? 32;
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.book = new RetryBook({
      minWaitMs: options.minRetryMs ?? 50,
      maxWaitMs: options.maxRetryMs ?? 30_000,
      // Spread over half the plan: the queue the slot lands on holds about the plan's work.
      jitterMs: this.planMs / 2,
      now: this.now,
      random: this.random,
    });
    this.intervalStart = this.now();
    this.lastAt = this.intervalStart;
  }

  /**
   * Take a send (arriving now), or refuse it with the time to retry after and its booked slot.
   * `lastSlot`: the slot its connection was last booked in, if any (a connection back in its
   * slot keeps its place in the book).
   */
  admit(lastSlot?: RetrySlot): AdmissionVerdict {
    const now = this.advance();
    if (this.inFlight >= this.floor) {
      const waitMs = this.predictedWaitMs();
      const standingTooLong = this.standing !== undefined && this.standing > this.planMs;
      if (waitMs > this.planMs || standingTooLong) {
        // Back in its slot and served some: the rest keeps its place. Refused outright in its
        // slot, the book was ahead of the node (it slowed down): after the others, as anyone.
        const back =
          lastSlot?.placed === true &&
          lastSlot.served > 0 &&
          now >= lastSlot.dueAt &&
          now - lastSlot.dueAt <= this.targetMs;
        return { admitted: false, ...this.retrySlot(back) };
      }
    }
    this.inFlight += 1;
    if (lastSlot && now >= lastSlot.dueAt) lastSlot.served += 1;
    return { admitted: true, ticket: { at: now } };
  }

  /**
   * A send refused without asking `admit` (its connection is inside the retry time of an earlier
   * refusal, which it is told again): it comes back with that connection, so `slot` brings one
   * send more and the connections refused later are booked after it.
   */
  reserveSlot(slot: RetrySlot): void {
    this.book.reserve(slot);
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
      bookedSends: this.book.booked,
    };
  }

  /** The wait of a send admitted now, ms: 0 until a rate is known (the floor then bounds the queue). */
  private predictedWaitMs(): number {
    if (this.rate === undefined || this.rate <= 0) return this.inFlight >= this.floor ? Number.POSITIVE_INFINITY : 0;
    return ((this.inFlight + 1) / this.rate) * 1000;
  }

  /**
   * This refusal's slot: after the queue in flight and the sends booked ahead, at the rate now,
   * landing while a quarter of the plan's work is still queued (and spread over half the plan);
   * `inPlace`, after the queue only (see `RetryBook.book`). Until the node has been seen
   * backlogged, its rate is a guess (one send at a time measures the commit's latency, not the
   * rate): a refusal is told between the target and twice it, not booked.
   */
  private retrySlot(inPlace: boolean): { retryAfterMs: number; slot: RetrySlot } {
    const { slot, waitMs } =
      this.rate === undefined || !this.backlogSeen
        ? this.book.unbooked(Math.max(this.targetMs, this.standing ?? 0) * (1 + this.random()))
        : this.book.book(this.inFlight, this.rate, this.planMs / 4, inPlace);
    return { retryAfterMs: waitMs, slot };
  }

  /** Account the time since the last call; close the intervals that ended. Returns now. */
  private advance(): number {
    const now = this.now();
    if (this.inFlight > 0) this.busyMs += now - this.lastAt;
    if (this.inFlight >= this.floor) this.backlogMs += now - this.lastAt;
    this.lastAt = now;
    if (now - this.intervalStart >= this.intervalMs) {
      // A rate from an interval mostly idle says little: only intervals busy a quarter of the
      // time count, but any is better than none (a surge's first floor may commit in a few ms,
      // then its refused clients wait out their retry time).
      if (this.doneCount > 0 && this.busyMs > 0 && (this.busyMs >= this.intervalMs / 4 || this.rate === undefined)) {
        const sample = (this.doneCount / this.busyMs) * 1000;
        const backlogged = this.backlogMs >= (now - this.intervalStart) / 2;
        if (backlogged) this.backlogSeen = true;
        if (this.rate === undefined) this.rate = sample;
        else if (backlogged || sample > this.rate) this.rate = this.rate * (1 - RATE_WEIGHT) + sample * RATE_WEIGHT;
      }
      // With nothing in flight there is no queue, whatever the last sends waited; with no send
      // done in the interval, the last standing delay holds.
      this.standing = this.inFlight === 0 ? undefined : this.doneCount > 0 ? this.minSojourn : this.standing;
      this.intervalStart = now;
      this.busyMs = 0;
      this.backlogMs = 0;
      this.doneCount = 0;
      this.minSojourn = Number.POSITIVE_INFINITY;
    }
    return now;
  }
}
