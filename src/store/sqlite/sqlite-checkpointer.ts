/** @module The WAL checkpointer: a thread of its own, started while writes keep the writer busy, that copies committed pages from the WAL into the database file, so the writer's COMMIT does not have to. */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointer copies what the WAL holds into the database file. */
export const CHECKPOINT_INTERVAL_MS = 250;

/** The driver's entry point, resolved here so the thread needs neither tsx nor the working directory. */
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

/**
 * Plain CommonJS, run with `eval`: the thread is a dozen lines and needs no TypeScript loader.
 * PASSIVE never waits for and never blocks the writer or a reader; it copies the frames it can
 * and leaves the rest for the next round. A busy database (another checkpoint running) is normal
 * and not reported; anything else is, once.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
let reported = false;
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    if (error && error.code === "SQLITE_BUSY") return;
    if (!reported) parentPort.postMessage(String((error && error.message) || error));
    reported = true;
  }
}, workerData.intervalMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Runs `wal_checkpoint(PASSIVE)` every `intervalMs` on a connection of its own, in a thread of
 * its own: the pages a group commit appended to the WAL reach the database file off the path of
 * every acknowledgement (a COMMIT still waits for its WAL frames to be on disk: G1 is unchanged).
 * If the thread dies, the writer's backstop checkpoint keeps the WAL bounded
 * (`WRITER_AUTOCHECKPOINT_PAGES`).
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, intervalMs = CHECKPOINT_INTERVAL_MS) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { file, driver: BETTER_SQLITE3, intervalMs } });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.on("message", (message) => console.error(`sqlite checkpointer: ${String(message)}`));
    this.worker.on("error", (error) => console.error(`sqlite checkpointer thread failed: ${error.message}`));
    // Like a timer that should not keep the process alive.
    this.worker.unref();
  }

  /** Stop the thread and close its connection. */
  async close(): Promise<void> {
    // Referenced while waiting: a process with nothing else to do would otherwise end here.
    this.worker.ref();
    this.worker.postMessage("close");
    await this.exited;
  }
}

/** How long group commits must follow one another without a pause of `CHECKPOINT_INTERVAL_MS` before the checkpointer thread starts: longer than a probe run's handful of writes. */
export const CHECKPOINTER_STREAM_MS = 1000;
/** How long the thread stays after the last such stream before it ends. */
export const CHECKPOINTER_IDLE_MS = 60_000;

/**
 * The checkpointer thread while the node writes steadily, none while it idles: the thread holds
 * a V8 isolate and a connection (10–16 MB), which a node carrying the probes' writes every few
 * seconds does not need, because the writer thread checkpoints in its own pauses (no request for
 * `CHECKPOINT_INTERVAL_MS`). When group commits follow one another without such a pause for
 * `CHECKPOINTER_STREAM_MS` (a stream of sends, or one long batch), the writer would not
 * checkpoint before its backstop, so the thread starts; `CHECKPOINTER_IDLE_MS` after the last
 * stream it ends.
 */
export class OnDemandCheckpointer {
  private thread: SqliteCheckpointer | undefined;
  private stopping: Promise<void> = Promise.resolve();
  private inBatch = false;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private streamStart = 0;
  private busyAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly streamMs = CHECKPOINTER_STREAM_MS,
    private readonly idleMs = CHECKPOINTER_IDLE_MS,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.endWhenQuiet(), Math.min(1000, idleMs)).unref();
  }

  /** Whether the thread runs now. */
  get running(): boolean {
    return this.thread !== undefined;
  }

  /** A group commit starts. */
  batchStarted(now = Date.now()): void {
    // After a pause the writer has checkpointed: a new stream starts here.
    if (!this.inBatch && now - this.lastEnd >= this.intervalMs) this.streamStart = now;
    this.inBatch = true;
    this.startOnStream(now);
  }

  /** The group commit ended (committed or rolled back). */
  batchEnded(now = Date.now()): void {
    this.inBatch = false;
    this.lastEnd = now;
    this.startOnStream(now);
  }

  private startOnStream(now: number): void {
    if (now - this.streamStart < this.streamMs) return;
    this.busyAt = now;
    this.thread ??= new SqliteCheckpointer(this.file, this.intervalMs);
  }

  private endWhenQuiet(): void {
    if (!this.thread || this.inBatch || Date.now() - this.busyAt < this.idleMs) return;
    const thread = this.thread;
    this.thread = undefined;
    this.stopping = thread.close();
  }

  /** End the thread, if it runs, and stop watching. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const thread = this.thread;
    this.thread = undefined;
    await Promise.all([this.stopping, thread?.close()]);
  }
}
