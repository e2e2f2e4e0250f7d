/** @module Capped full-jitter exponential backoff: how long to wait before the next reconnect or retry. */

/** Tuning for {@link Backoff}; the defaults suit reconnecting to a messenger server. */
export interface BackoffOptions {
  /** The cap of the first delay, in ms (default 250). */
  baseMs?: number;
  /** No delay is ever longer than this, in ms (default 10 000). */
  maxMs?: number;
  /** A source of numbers in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first): a uniform random value in
 * [0, min(maxMs, baseMs * 2^attempt)]. Full jitter spreads the reconnects of many clients
 * that lost the same server at the same moment, so they do not return as one thundering herd.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 250;
  const maxMs = options.maxMs ?? 10_000;
  const random = options.random ?? Math.random;
  // Clamp the exponent: 2 ** 1100 is Infinity, and the cap is reached long before that anyway.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 52));
  return Math.floor(random() * (ceiling + 1));
}

/** A counter of consecutive failures that yields the next delay and is reset on success. */
export class Backoff {
  private attempts = 0;

  constructor(private readonly options: BackoffOptions = {}) {}

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next try; each call grows the ceiling until it reaches `maxMs`. */
  next(): number {
    const delay = backoffDelay(this.attempts, this.options);
    this.attempts += 1;
    return delay;
  }

  /** Start again from `baseMs`: call once a connection or request has proved healthy. */
  reset(): void {
    this.attempts = 0;
  }
}
