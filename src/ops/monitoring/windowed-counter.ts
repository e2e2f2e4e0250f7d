/** @module Good and bad event counts over a sliding time window, in a fixed number of buckets. */

/**
 * Counts good and bad events over the last `windowMs`, kept in `buckets` time buckets: memory is
 * fixed however many events arrive (a 3-day window of a busy node holds 2 × `buckets` numbers,
 * not every event). The window is approximate to one bucket: `totals(now)` covers the bucket
 * holding `now` and the `buckets - 1` before it, so between (buckets - 1)/buckets and all of
 * `windowMs`. Events older than the window, or newer than the newest `now` seen by far, are dropped.
 */
export class WindowedCounter {
  readonly bucketMs: number;
  private readonly index: Float64Array;
  private readonly good: Float64Array;
  private readonly bad: Float64Array;

  constructor(
    readonly windowMs: number,
    readonly buckets = 60,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError("WindowedCounter: windowMs must be > 0 and buckets a positive integer");
    }
    this.bucketMs = windowMs / buckets;
    // -1 marks an empty slot: no real bucket index is negative (times are ms since the epoch).
    this.index = new Float64Array(buckets).fill(-1);
    this.good = new Float64Array(buckets);
    this.bad = new Float64Array(buckets);
  }

  /** Count one event (or `n`) at time `at` (ms since the epoch). */
  add(at: number, ok: boolean, n = 1): void {
    const index = Math.floor(at / this.bucketMs);
    const slot = index % this.buckets;
    const held = this.index[slot] as number;
    if (index < held) return; // older than the window: its slot already holds a newer bucket
    if (index > held) {
      this.index[slot] = index;
      this.good[slot] = 0;
      this.bad[slot] = 0;
    }
    if (ok) (this.good[slot] as number) += n;
    else (this.bad[slot] as number) += n;
  }

  /** Good and bad events of the window that ends at `now`. */
  totals(now: number): { good: number; bad: number } {
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.buckets + 1;
    let good = 0;
    let bad = 0;
    for (let slot = 0; slot < this.buckets; slot++) {
      const index = this.index[slot] as number;
      if (index < oldest || index > current) continue;
      good += this.good[slot] as number;
      bad += this.bad[slot] as number;
    }
    return { good, bad };
  }
}
