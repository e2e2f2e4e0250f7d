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

/** Group commits within one second that start the checkpointer thread: a probe run's handful does not, a stream of sends does at once. */
export const CHECKPOINTER_START_COMMITS = 20;
/** How long the thread stays without such a second before it ends. */
export const CHECKPOINTER_IDLE_MS = 60_000;

/**
 * The checkpointer thread while the node writes steadily, none while it idles: the thread holds
 * a V8 isolate and a connection (about 10 MB), which a node carrying the probes' writes every few
 * seconds does not need, because the writer thread checkpoints in its own pauses. Writes that
 * leave the writer no pause (`CHECKPOINTER_START_COMMITS` commits within a second) start the
 * thread at once; `CHECKPOINTER_IDLE_MS` without another such second ends it.
 */
export class OnDemandCheckpointer {
  private thread: SqliteCheckpointer | undefined;
  private stopping: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private windowCommits = 0;
  private busyAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly startCommits = CHECKPOINTER_START_COMMITS,
    private readonly idleMs = CHECKPOINTER_IDLE_MS,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.endWhenQuiet(), Math.min(1000, idleMs)).unref();
  }

  /** Whether the thread runs now. */
  get running(): boolean {
    return this.thread !== undefined;
  }

  /** A group commit is about to run. */
  noteCommit(now = Date.now()): void {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCommits = 0;
    }
    if (++this.windowCommits < this.startCommits) return;
    this.busyAt = now;
    this.thread ??= new SqliteCheckpointer(this.file, this.intervalMs);
  }

  private endWhenQuiet(): void {
    if (!this.thread || Date.now() - this.busyAt < this.idleMs) return;
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
