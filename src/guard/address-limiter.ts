/** @module A token bucket per key (an IP address, a user id), with idle buckets forgotten so the map stays bounded. */
import { TokenBucket } from "./token-bucket.js";

/** Buckets idle this long are full again anyway, so they are dropped. */
const IDLE_MS = 10 * 60 * 1000;
/** At most this many addresses are tracked; past it the oldest are dropped first. */
const MAX_KEYS = 100_000;

/** Token buckets by key (an address for logins and connections, a user id for requests), each `ratePerSecond` with `burst`. */
export class AddressLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** 0 when `key` may go on, or the milliseconds until it may. */
  take(key: string): number {
    const now = Date.now();
    let entry = this.buckets.get(key);
    if (!entry) {
      if (this.buckets.size >= MAX_KEYS) this.forget(now);
      entry = { bucket: new TokenBucket(this.ratePerSecond, this.burst), usedAt: now };
      this.buckets.set(key, entry);
    }
    entry.usedAt = now;
    return entry.bucket.take();
  }

  private forget(now: number): void {
    for (const [key, entry] of this.buckets) {
      if (now - entry.usedAt > IDLE_MS || this.buckets.size >= MAX_KEYS) this.buckets.delete(key);
      if (this.buckets.size < MAX_KEYS * 0.9) break;
    }
  }
}
