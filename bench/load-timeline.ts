/**
 * @module A load generator's figures over time, in buckets of a fixed length from the start of
 * its schedule (for `bench:surge`): sends offered, accepted and refused, deliveries, and the
 * latencies of the messages first sent in each bucket. Also the schedule itself: a list of
 * phases, each with its own rate.
 */

/** One bucket's figures. Counts are by the time the event happened; latencies by first send. */
export interface TimelineBucket {
  /** Sends the schedule made due (messages a user pressed "send" on). */
  offered: number;
  /** Acks received (first ack of each message). */
  accepted: number;
  /** message.new received by members other than the sender. */
  delivered: number;
  /** Refusals with `retryAfterMs`, by error code (`overloaded`, `rate_limited`). */
  refused: Record<string, number>;
  /** Sum of the `retryAfterMs` the refusals asked for. */
  retryAfterMsSum: number;
  /** Messages first sent in this bucket: first send → ack (retries and waits included), ms. */
  ack: number[];
  /** The same messages: send of the attempt that was accepted → its ack, ms. */
  attempt: number[];
  /** The same messages: first send → delivery, per recipient, ms. */
  deliver: number[];
}

/** A stretch of the schedule at one rate (messages per second of this generator). */
export interface Phase {
  seconds: number;
  rate: number;
}

/** Sends due `elapsedMs` into a schedule of `phases` (after the last phase: all of them). */
export function dueAt(phases: Phase[], elapsedMs: number): number {
  let due = 0;
  let left = elapsedMs / 1000;
  for (const phase of phases) {
    const span = Math.min(left, phase.seconds);
    due += span * phase.rate;
    left -= span;
    if (left <= 0) break;
  }
  return Math.floor(due);
}

/** The rate of the phase `elapsedMs` falls in (the last phase's after the end). */
export function rateAt(phases: Phase[], elapsedMs: number): number {
  let end = 0;
  for (const phase of phases) {
    end += phase.seconds * 1000;
    if (elapsedMs < end) return phase.rate;
  }
  return phases[phases.length - 1]?.rate ?? 0;
}

/** Collects buckets of `bucketMs` from `start` (a performance.now() time). */
export class Timeline {
  readonly buckets: TimelineBucket[] = [];

  constructor(
    readonly start: number,
    readonly bucketMs: number,
  ) {}

  private at(time: number): TimelineBucket {
    const index = Math.max(0, Math.floor((time - this.start) / this.bucketMs));
    while (this.buckets.length <= index) {
      this.buckets.push({
        offered: 0,
        accepted: 0,
        delivered: 0,
        refused: {},
        retryAfterMsSum: 0,
        ack: [],
        attempt: [],
        deliver: [],
      });
    }
    return this.buckets[index] as TimelineBucket;
  }

  offered(time: number): void {
    this.at(time).offered += 1;
  }

  /** A message first sent at `sentAt`, whose accepted attempt went out at `attemptAt`, acked `now`. */
  accepted(now: number, sentAt: number, attemptAt: number | undefined): void {
    this.at(now).accepted += 1;
    const bucket = this.at(sentAt);
    bucket.ack.push(now - sentAt);
    if (attemptAt !== undefined) bucket.attempt.push(now - attemptAt);
  }

  refused(now: number, code: string, retryAfterMs: number): void {
    const bucket = this.at(now);
    bucket.refused[code] = (bucket.refused[code] ?? 0) + 1;
    bucket.retryAfterMsSum += retryAfterMs;
  }

  delivered(now: number, sentAt: number): void {
    this.at(now).delivered += 1;
    this.at(sentAt).deliver.push(now - sentAt);
  }

  /** A message never acked by the end: its wait so far counts (a lower bound), per recipient too. */
  censored(end: number, sentAt: number, recipients: number): void {
    const bucket = this.at(sentAt);
    bucket.ack.push(end - sentAt);
    for (let k = 0; k < recipients; k++) bucket.deliver.push(end - sentAt);
  }
}
