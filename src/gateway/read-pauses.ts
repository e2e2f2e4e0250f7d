/** @module Read pauses: connections left unread while the store's write queue is full (read again once it has drained to half), or for the retry time their refused send was given. */
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
  /** Each paused session, with the time (performance.now) it is read again, or undefined: once the queue has drained. */
  private readonly paused = new Map<Session, number | undefined>();
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
    this.paused.set(session, undefined);
    this.timer ??= setInterval(() => this.resumeWhenDrained(), CHECK_MS);
  }

  /**
   * Stop reading `session` for `ms`: its send was refused with that retry time, and the frames
   * it pipelined before it heard so would each cost a parse and a refusal — under a surge, more
   * of the node's time than the sends it stores. Unread, they wait in TCP's buffers and are read
   * when the client may send again. (A pause until the queue drains is not shortened.)
   */
  pauseFor(session: Session, ms: number): void {
    if (this.paused.has(session) && this.paused.get(session) === undefined) return;
    if (!session.readingPaused) this.metrics.readPauses.inc();
    session.pauseReading();
    this.paused.set(session, Math.max(this.paused.get(session) ?? 0, performance.now() + ms));
    this.timer ??= setInterval(() => this.resumeWhenDrained(), CHECK_MS);
  }

  /** A closed session: nothing to resume. */
  forget(session: Session): void {
    this.paused.delete(session);
  }

  /** Read every paused connection again, at once, when the node stops taking requests. */
  resumeWhenDrained(): void {
    const accepting = this.accepting();
    const drained = !accepting || this.store.pendingWrites <= this.maxPendingWrites / 2;
    const now = performance.now();
    for (const [session, until] of this.paused) {
      if (accepting && (until === undefined ? !drained : now < until)) continue;
      session.resumeReading();
      this.paused.delete(session);
    }
    if (this.paused.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
