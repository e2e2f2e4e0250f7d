/** @module Retry slots: when a refused client should come back, so that refused clients return one admission slot apart instead of all at once. */

/**
 * Hands each refused caller its own future slot, `1000 / ratePerSecond` ms after the slot handed
 * out before it. A token bucket alone tells every caller refused in the same moment the same
 * wait (until its next token), so a storm of clients refused together comes back together and
 * is refused again; with slots, N refused clients are told waits spread over N / rate seconds,
 * the pace at which the bucket can admit them. Waits never exceed `maxWaitMs`: past that, every
 * caller is told `maxWaitMs` (and the client's own jitter spreads them).
 */
export class RetrySlots {
  private nextSlotAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ratePerSecond: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The wait in ms until this caller's slot. */
  next(): number {
    const now = this.now();
    this.nextSlotAt = Math.min(Math.max(this.nextSlotAt, now) + 1000 / this.ratePerSecond, now + this.maxWaitMs);
    return Math.max(1, Math.ceil(this.nextSlotAt - now));
  }
}
