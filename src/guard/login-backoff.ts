/** @module Failed-login backoff per key (an account, a device key): a few free failures, then one attempt per exponentially growing wait. */

/** The backoff's settings (`loginFailuresPer…`, `loginFailureWindowMs`, `loginBackoffBaseMs`, `loginBackoffMaxMs`). */
export interface LoginBackoffConfig {
  /** Failures allowed before the first wait. */
  freeFailures: number;
  /** A key with no attempt for this long (and no wait running) starts again from nothing. */
  windowMs: number;
  /** The first wait; each further failure doubles it… */
  baseMs: number;
  /** …up to this. */
  maxMs: number;
}

/** At most this many keys are remembered; past it the least recently tried are forgotten first. */
const MAX_KEYS = 100_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastAt: number;
}

/**
 * Counts failed logins per key, in this node's memory. Every attempt is counted as a failure
 * before its password is checked and forgiven when it succeeds, so a burst of attempts sent in
 * parallel cannot all slip in before the first failure is counted. While a key waits, attempts
 * are refused without checking anything and without lengthening the wait: a refusal tells the
 * attacker nothing and costs the owner nothing beyond the wait.
 */
export class LoginBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly config: LoginBackoffConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The milliseconds until `key` may try again (its attempt is refused), or 0 (counted as a failure until `succeeded`). */
  attempt(key: string): number {
    const now = this.clock();
    let entry = this.entries.get(key);
    if (entry && entry.lockedUntil > now) return entry.lockedUntil - now;
    if (entry && now - entry.lastAt > this.config.windowMs) entry = undefined;
    this.entries.delete(key); // re-inserted last: the map's order is least recently tried first
    if (!entry && this.entries.size >= MAX_KEYS) this.forgetOldest();
    entry ??= { failures: 0, lockedUntil: 0, lastAt: now };
    entry.failures += 1;
    entry.lastAt = now;
    const over = entry.failures - this.config.freeFailures;
    if (over >= 0) entry.lockedUntil = now + Math.min(this.config.maxMs, this.config.baseMs * 2 ** Math.min(over, 40));
    this.entries.set(key, entry);
    return 0;
  }

  /** The attempt was right: the key's failures are forgiven. */
  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Whether `key` is waiting now (without counting anything). */
  waiting(key: string): boolean {
    return (this.entries.get(key)?.lockedUntil ?? 0) > this.clock();
  }

  private forgetOldest(): void {
    for (const key of this.entries.keys()) {
      this.entries.delete(key);
      if (this.entries.size < MAX_KEYS * 0.9) break;
    }
  }
}
