/** @module Admission of message sends by the wait they would have in the store's queue (G5: refuse explicitly, never queue for seconds). */

/** Why a send was not admitted, and when to try again. */
export interface SendRefusal {
  retryAfterMs: number;
  expectedWaitMs: number;
}

/**
 * A send accepted into a store that is already seconds behind is acknowledged seconds later:
 * the client sees a spinner, retries nothing, and the queue (memory) keeps growing. Instead,
 * this admission estimates how long a new send would wait — the sends in flight divided by the
 * rate the store has been completing them — and refuses it with `retryAfterMs` when that exceeds
 * the target, so the accepted sends stay fast and the rest of the fleet backs off (the SDK waits
 * `retryAfterMs`, with jitter, and retries with the same clientMsgId).
 *
 * Never refuses while fewer than `minInFlight` sends are in flight (a quiet node with one slow
 * commit is not overloaded) or before a completion rate has been measured.
 */
export class SendAdmission {
  private inFlight = 0;
  /** Completions per ms, smoothed; 0 until the first interval ends. */
  private rate = 0;
  private completed = 0;
  private intervalStart: number;

  constructor(
    private readonly targetMs: number,
    private readonly minInFlight = 32,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = 250,
  ) {
    this.intervalStart = now();
  }

  /**
   * Admit a send (the caller must call `done` when its write settles), or say when to retry.
   * With `mayRefuse` false the send is counted but always admitted (sends are the last thing
   * refused: the caller allows refusals only once lighter work is already being shed).
   */
  admit(mayRefuse = true): SendRefusal | undefined {
    this.roll();
    if (mayRefuse && this.inFlight >= this.minInFlight && this.rate > 0) {
      const expectedWaitMs = (this.inFlight + 1) / this.rate; // behind those in flight, itself included
      if (expectedWaitMs > this.targetMs) {
        const retryAfterMs = Math.min(10_000, Math.max(100, Math.round(expectedWaitMs)));
        return { retryAfterMs, expectedWaitMs };
      }
    }
    this.inFlight += 1;
    return undefined;
  }

  /** A send admitted earlier settled (stored or failed). */
  done(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.completed += 1;
    this.roll();
  }

  /** Sends admitted and not yet settled. */
  get pending(): number {
    return this.inFlight;
  }

  /** The smoothed completion rate, per second. */
  get completionsPerSecond(): number {
    return this.rate * 1000;
  }

  private roll(): void {
    const now = this.now();
    const elapsed = now - this.intervalStart;
    if (elapsed < this.intervalMs) return;
    const measured = this.completed / elapsed;
    // An interval with sends waiting but none completed is a stalled store: the rate falls
    // towards zero and the expected wait grows, as it should. An idle interval says nothing.
    if (this.completed > 0 || this.inFlight > 0) {
      this.rate = this.rate === 0 ? measured : 0.5 * this.rate + 0.5 * measured;
    }
    this.completed = 0;
    this.intervalStart = now;
  }
}
