/** @module The WAL checkpointer: a thread of its own that copies committed pages from the WAL into the database file, so the writer's COMMIT does not have to. */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointer copies what the WAL holds into the database file. */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * The writer's own automatic checkpoint, in WAL pages: only a backstop now, for a checkpointer
 * that fell behind or died. SQLite's default (1,000 pages, 4 MB) made a COMMIT copy the WAL into
 * the database file and fsync it whenever the WAL passed 4 MB — under load, nearly every group
 * commit (one of ~250 messages dirtied ~5 MB of pages).
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 20_000;

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
 * If the thread dies, the writer's backstop checkpoint (`WRITER_AUTOCHECKPOINT_PAGES`) keeps the
 * WAL bounded.
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
