/**
 * @module SQLite's search indexer, the main thread's side: a thread of its own
 * (`sqlite-search-thread.ts`) indexes the queue (`search_pending`) into the index file, and the
 * store deletes the queue rows it reports indexed, in the store's own group commit.
 */
import type { Worker } from "node:worker_threads";
import type { SqlExecutor } from "../sql/sql-driver.js";
import { spawnThread, threadModuleUrl } from "../sql/writer-thread.js";
import type { SearchThreadData, SearchThreadReport, SearchThreadRequest } from "./sqlite-search-thread.js";

/** How often the indexer looks at the queue. */
export const SEARCH_INDEX_INTERVAL_MS = 250;
/** A round starts once this many changes are queued (sqlite-search-thread.ts says why rounds are large)… */
export const SEARCH_INDEX_ROUND_ROWS = 3_000;
/** …or once the oldest has waited this long: a message is in the index about this long after its ack, at most, when the queue is not behind (a search finds it from its ack on, in the queue). */
export const SEARCH_INDEX_MAX_WAIT_MS = 2_000;
/** After the thread stops on its own, this long before it is started again. */
const RESTART_DELAY_MS = 1_000;

type Round = { taken: number; through: number };

/**
 * Indexing used to run in the writer's transactions (a round joined the group commit), so its
 * FTS5 work, about two thirds of what the rest of a send costs, came out of the writer's
 * capacity. In a file of its own the index has its own write lock, and its rounds run on
 * another core while the writer commits sends; the writer's share is the queue row a send's
 * trigger adds and the batched delete of it here.
 */
export class SqliteSearchIndexer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly inFlight = new Map<number, { resolve: (round: Round) => void; reject: (e: Error) => void }>();
  private closing = false;
  /** The newest `through` reported, and the one the queue is deleted through. */
  private reported = 0;
  private deleted = 0;
  private deleting: Promise<void> | null = null;

  /** `background: false`: rounds only through `indexNow` (tests). */
  constructor(
    private readonly file: string,
    private readonly write: (fn: (tx: SqlExecutor) => Promise<unknown>) => Promise<unknown>,
    private readonly background = true,
  ) {
    this.start();
  }

  private start(): void {
    const data: SearchThreadData = {
      file: this.file,
      background: this.background,
      intervalMs: SEARCH_INDEX_INTERVAL_MS,
      roundRows: SEARCH_INDEX_ROUND_ROWS,
      maxWaitMs: SEARCH_INDEX_MAX_WAIT_MS,
    };
    const worker = spawnThread(threadModuleUrl(import.meta.url, "sqlite-search-thread"), data);
    worker.on("message", (report: SearchThreadReport) => {
      if ("error" in report) {
        this.inFlight.get(report.id)?.reject(new Error(report.error));
        this.inFlight.delete(report.id);
        return;
      }
      this.indexed(report.through);
      if (report.id === undefined) return;
      this.inFlight.get(report.id)?.resolve(report);
      this.inFlight.delete(report.id);
    });
    worker.on("error", (error) => console.error("the SQLite search indexer failed:", error.message));
    worker.on("exit", () => {
      if (worker !== this.worker) return;
      this.worker = undefined;
      for (const pending of this.inFlight.values()) pending.reject(new Error("the search indexer stopped"));
      this.inFlight.clear();
      // The queue is still there: a new thread picks up from the index file's own record.
      if (!this.closing) setTimeout(() => this.closing || this.start(), RESTART_DELAY_MS).unref();
    });
    // Like a socket's timer, the indexer alone never keeps the process alive.
    worker.unref();
    this.worker = worker;
  }

  /** The thread has indexed through `through`: delete those queue rows, one write at a time. */
  private indexed(through: number): void {
    if (through <= this.reported) return;
    this.reported = through;
    this.deleting ??= this.deleteIndexed();
  }

  private async deleteIndexed(): Promise<void> {
    while (this.deleted < this.reported) {
      const through = this.reported;
      try {
        await this.write((tx) => tx.run("DELETE FROM search_pending WHERE id <= ?", [through]));
        this.deleted = through;
      } catch {
        // The store is closing or unavailable: the thread reports these rows again at its next start.
        break;
      }
    }
    this.deleting = null;
  }

  private request(op: SearchThreadRequest["op"]): Promise<Round> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error("the search indexer is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      worker.postMessage({ id, op } satisfies SearchThreadRequest);
    });
  }

  /** One round now, its queue rows deleted: how many queued changes it took (tests). */
  async indexNow(): Promise<number> {
    const round = await this.request("round");
    await this.deleting;
    return round.taken;
  }

  /** Stop the thread (a round under way finishes first), and finish deleting what it indexed. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.ref();
      await this.request("close").catch(() => undefined);
      await exited;
    }
    await this.deleting;
  }
}
