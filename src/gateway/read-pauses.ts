/** @module Read pauses: connections left unread while the store's write queue is full, read again once it has drained to half. */
import type { Metrics } from "../ops/metrics.js";
import type { Store } from "../store/store.js";
import type { Session } from "./session.js";

/** How often a pause checks the write queue. */
const CHECK_MS = 20;

/**
 * A send was refused because the store's write queue is full: its connection is not read until
 * the queue has drained to half. A client that pipelines its sends would otherwise have each of
 * them read, checked and refused in turn — at 16,000 sends/s offered, 1.5 million refusals in a
 * `bench:load` window, and the node spent its time on those instead of on commits. Unread, the
 * client's frames wait in TCP's buffers, and its retries with them.
 */
export class ReadPauses {
  private readonly paused = new Set<Session>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<Store, "pendingWrites">,
    private readonly maxPendingWrites: number,
    private readonly metrics: Pick<Metrics, "readPauses">,
    /** False once the node stops taking requests: then every pause ends at the next check. */
    private readonly accepting: () => boolean,
  ) {}

  /** Stop reading `session` until the write queue drains. */
  pause(session: Session): void {
    if (!session.readingPaused) this.metrics.readPauses.inc();
    session.pauseReading();
    this.paused.add(session);
    this.timer ??= setInterval(() => this.resumeWhenDrained(), CHECK_MS);
  }

  /** A closed session: nothing to resume. */
  forget(session: Session): void {
    this.paused.delete(session);
  }

  /** Read every paused connection again, at once, when the node stops taking requests. */
  resumeWhenDrained(): void {
    if (this.accepting() && this.store.pendingWrites > this.maxPendingWrites / 2) return;
    for (const session of this.paused) session.resumeReading();
    this.paused.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
