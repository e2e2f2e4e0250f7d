/** @module Readiness for /readyz: one check of the store and bus at a time, answered within a deadline from the last success when the check waits behind chat work. */

/**
 * A store that is busy is still reachable. The store's ping waits in line with chat work (behind
 * a running group commit in SQLite's writer thread; for a free connection of PostgreSQL's pool),
 * so under a surge /readyz answered as late as the chat did, and a load balancer or the watcher
 * took a busy node for a dead one. Here a check that fails fails at once (a node whose store is
 * unreachable says so at the next ask), but one that is merely slow is answered after
 * `answerWithinMs` from the last success, while that is recent (`freshMs`). Concurrent asks
 * share one check, so asking often adds no work behind the chat.
 */
export class Readiness {
  private running: Promise<void> | undefined;
  private lastOkAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Resolves when the store and bus answer; rejects (its own timeout included) otherwise. */
    private readonly check: () => Promise<void>,
    private readonly answerWithinMs = 500,
    private readonly freshMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when the node can take traffic; rejects with the reason when not. */
  async ready(): Promise<void> {
    if (!this.running) {
      const started = this.check().then(() => {
        this.lastOkAt = this.now();
      });
      this.running = started;
      started
        .finally(() => {
          if (this.running === started) this.running = undefined;
        })
        .catch(() => undefined);
    }
    const check = this.running;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.answerWithinMs);
    });
    try {
      const first = await Promise.race([check.then(() => "done" as const), late]);
      if (first === "late" && this.now() - this.lastOkAt > this.freshMs) await check;
    } finally {
      clearTimeout(timer);
    }
  }
}
