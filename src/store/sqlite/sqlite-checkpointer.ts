/** @module The WAL checkpointer: a thread of its own, started while writes keep the writer busy, that copies committed pages from the WAL into the database file, so the writer's COMMIT does not have to. */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { COMMIT_STREAM_IDLE_MS, COMMIT_STREAM_MS, WhileCommitsStream } from "./sqlite-commit-stream.js";

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

/**
 * The checkpointer thread while the node writes steadily, none while it idles: the thread holds
 * a V8 isolate and a connection (10–16 MB), which a node carrying the probes' writes every few
 * seconds does not need, because the writer checkpoints in its own pauses (no write for
 * `CHECKPOINT_INTERVAL_MS`). When group commits stream (`WhileCommitsStream`), the writer would
 * not checkpoint before its backstop, so the thread starts; a quiet spell after the last stream
 * ends it.
 */
export class OnDemandCheckpointer extends WhileCommitsStream<SqliteCheckpointer> {
  constructor(
    file: string,
    streamMs = COMMIT_STREAM_MS,
    idleMs = COMMIT_STREAM_IDLE_MS,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    super(() => new SqliteCheckpointer(file, intervalMs), streamMs, idleMs, intervalMs);
  }

  /** Whether the thread runs now. */
  get running(): boolean {
    return this.current !== undefined;
  }
}
