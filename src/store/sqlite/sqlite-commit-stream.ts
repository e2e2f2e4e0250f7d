/** @module Something a SQLite node holds only while its group commits stream (a thread and its isolate), opened on a stream and closed after a quiet spell. */

/** How long group commits must follow one another, without a pause of the stream's interval, before it counts as a stream: longer than a probe run's handful of writes. */
export const COMMIT_STREAM_MS = 1000;
/** How long what a stream opened stays after the last stream before it is closed. */
export const COMMIT_STREAM_IDLE_MS = 60_000;

/**
 * Opens its resource when group commits follow one another without a pause of `intervalMs` for
 * `streamMs` (a stream of sends, or one long batch), and closes it once `idleMs` passed with no
 * stream and no batch under way. Group commits report each batch (`batchStarted`,
 * `batchEnded`); a node carrying only the probes' writes every few seconds never streams, and
 * holds nothing.
 */
export class WhileCommitsStream<T extends { close(): Promise<void> }> {
  private resource: T | undefined;
  private closing: Promise<void> = Promise.resolve();
  private inBatch = false;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private streamStart = 0;
  private busyAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly open: () => T,
    private readonly streamMs = COMMIT_STREAM_MS,
    private readonly idleMs = COMMIT_STREAM_IDLE_MS,
    private readonly intervalMs: number,
    /** Whether work the stream was not told of holds the resource now (it is then closed later). */
    private readonly busy: () => boolean = () => false,
  ) {
    this.timer = setInterval(() => this.closeWhenQuiet(), Math.min(1000, idleMs)).unref();
  }

  /** What the last stream opened, while it is open. */
  get current(): T | undefined {
    return this.resource;
  }

  /** A group commit starts. */
  batchStarted(now = Date.now()): void {
    // After a pause a new stream starts here.
    if (!this.inBatch && now - this.lastEnd >= this.intervalMs) this.streamStart = now;
    this.inBatch = true;
    this.openOnStream(now);
  }

  /** The group commit ended (committed or rolled back). */
  batchEnded(now = Date.now()): void {
    this.inBatch = false;
    this.lastEnd = now;
    this.openOnStream(now);
  }

  /** Open it now, as a stream would (tests); it closes after the same quiet spell. */
  openNow(now = Date.now()): T {
    this.busyAt = now;
    this.resource ??= this.open();
    return this.resource;
  }

  private openOnStream(now: number): void {
    if (now - this.streamStart >= this.streamMs) this.openNow(now);
  }

  private closeWhenQuiet(): void {
    if (!this.resource || this.inBatch || this.busy() || Date.now() - this.busyAt < this.idleMs) return;
    const resource = this.resource;
    this.resource = undefined;
    this.closing = resource.close();
  }

  /** Close it, if open, and stop watching. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const resource = this.resource;
    this.resource = undefined;
    await Promise.all([this.closing, resource?.close()]);
  }
}
