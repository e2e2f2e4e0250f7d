/**
 * @module SQLite's search indexer, the main thread's side: a thread of its own
 * (`sqlite-search-thread.ts`) indexes the store's feed (`events`) into the index file, and the
 * store records the last event it reports indexed (`search_index.indexed_through`), in the
 * store's own group commit: searches read what is past it outright.
 */
import type { Worker } from "node:worker_threads";
import type { SqlExecutor } from "../sql/sql-driver.js";
import { spawnThread, threadModuleUrl } from "../sql/writer-thread.js";
import type { SearchThreadData, SearchThreadReport, SearchThreadRequest } from "./sqlite-search-thread.js";

/** How often the indexer looks at the feed. */
export const SEARCH_INDEX_INTERVAL_MS = 250;
/** A round starts once this many events are past the index (sqlite-search-thread.ts says why rounds are large)… */
export const SEARCH_INDEX_ROUND_ROWS = 3_000;
/** …or once the oldest has waited this long: a message is in the index about this long after its ack, at most, when the index is not behind (a search finds it from its ack on, read outright). */
export const SEARCH_INDEX_MAX_WAIT_MS = 2_000;
/**
 * With no thread running, the feed is looked at this often on the main thread (one read of two
 * numbers), and a thread is started once `SEARCH_INDEX_ROUND_ROWS` events are past the index or
 * the oldest of them has waited `SEARCH_INDEX_START_WAIT_MS`: a search reads them outright
 * meanwhile, and a few hundred cost it little.
 */
export const SEARCH_INDEX_CHECK_MS = 1_000;
export const SEARCH_INDEX_START_WAIT_MS = 60_000;
/**
 * A thread started for a backlog ends after this long in which fewer than
 * `SEARCH_INDEX_ROUND_ROWS` events came, once it has indexed them; one started for a trickle
 * that waited `SEARCH_INDEX_START_WAIT_MS` ends as soon as it has indexed it. An idle node
 * holds no indexer's isolate but for those moments.
 */
export const SEARCH_INDEX_IDLE_EXIT_MS = 30_000;
/** After the thread stopped, at least this long before another is started. */
const RESTART_DELAY_MS = 1_000;

type Round = { taken: number; messages: number; through: number };

/** Where the feed and the index stand, as the store's reader sees them. */
export interface FeedPosition {
  /** The newest event's id. */
  newest: number;
  /** The last event the store counts as indexed (`search_index.indexed_through`). */
  recorded: number;
}

/** How the indexer runs. */
export interface SearchIndexerOptions {
  /** Rounds on their own (false: only through `indexNow`, tests). */
  background: boolean;
  /** `SEARCH_INDEX_START_WAIT_MS` and `SEARCH_INDEX_IDLE_EXIT_MS` unless given (tests). */
  startWaitMs?: number;
  idleExitMs?: number;
}

/**
 * Indexing used to run in the writer's transactions (a round joined the group commit), so its
 * FTS5 work, about two thirds of what the rest of a send costs, came out of the writer's
 * capacity. In a file of its own the index has its own write lock, and its rounds run on
 * another core while the writer commits sends. A send writes nothing for the index: the thread
 * reads the feed, and the writer's share is one row updated per round (`indexed`).
 */
export class SqliteSearchIndexer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly inFlight = new Map<number, { resolve: (round: Round) => void; reject: (e: Error) => void }>();
  private closing = false;
  /** The newest `through` reported, and the one the store records. */
  private reported = 0;
  private recorded = 0;
  private recording: Promise<void> | null = null;
  private readonly checker: NodeJS.Timeout | undefined;
  /** Since when events have waited past the index with no thread running (0: none wait). */
  private waitingSince = 0;
  private stoppedAt = 0;
  /** The index file was removed under the running node: no thread is started again (the next start rebuilds it). */
  private lost = false;
  private readonly startWaitMs: number;

  /**
   * No thread at first: `check` starts one when there is enough to index, and it ends when the
   * feed goes quiet. Events already past the index at start (a node stopped before it caught
   * up, the watcher's own writes before its first fork) wait like any others: a search reads
   * them outright, and a node just started has other work.
   */
  constructor(
    private readonly file: string,
    private readonly write: (fn: (tx: SqlExecutor) => Promise<unknown>) => Promise<unknown>,
    private readonly position: () => FeedPosition,
    private readonly options: SearchIndexerOptions,
  ) {
    this.startWaitMs = options.startWaitMs ?? SEARCH_INDEX_START_WAIT_MS;
    if (!options.background) return;
    this.checker = setInterval(() => this.check(), SEARCH_INDEX_CHECK_MS);
    // Like a socket's timer, the indexer alone never keeps the process alive.
    this.checker.unref();
  }

  /** Whether a thread runs now (tests, and what an idle node's memory holds). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** With no thread: start one once enough events are past the index, or the oldest waited long enough. */
  private check(): void {
    if (this.worker || this.closing || this.lost) return;
    let at: FeedPosition;
    try {
      at = this.position();
    } catch {
      return; // the store is closing
    }
    if (at.newest <= at.recorded) {
      this.waitingSince = 0;
      return;
    }
    const now = Date.now();
    if (this.waitingSince === 0) this.waitingSince = now;
    const many = at.newest - at.recorded >= SEARCH_INDEX_ROUND_ROWS;
    if ((many || now - this.waitingSince >= this.startWaitMs) && now - this.stoppedAt >= RESTART_DELAY_MS)
      this.start(many);
  }

  /** `many`: started for a backlog (it stays while the feed keeps coming), not for a trickle that waited (it ends once that is indexed). */
  private start(many = true): void {
    this.waitingSince = 0;
    const data: SearchThreadData = {
      file: this.file,
      background: this.options.background,
      intervalMs: SEARCH_INDEX_INTERVAL_MS,
      roundRows: SEARCH_INDEX_ROUND_ROWS,
      maxWaitMs: SEARCH_INDEX_MAX_WAIT_MS,
      idleExitMs: many ? (this.options.idleExitMs ?? SEARCH_INDEX_IDLE_EXIT_MS) : 0,
    };
    const worker = spawnThread(threadModuleUrl(import.meta.url, "sqlite-search-thread"), data);
    worker.on("message", (report: SearchThreadReport) => {
      if ("lost" in report) {
        this.lost = true;
        console.error(
          "the SQLite search index file was removed while the node runs: searches read what the index lacks outright, and the next start builds it again",
        );
        return;
      }
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
      this.stoppedAt = Date.now();
      for (const pending of this.inFlight.values()) pending.reject(new Error("the search indexer stopped"));
      this.inFlight.clear();
      // Ended when the feed went quiet, or died: `check` starts a new one when there is work,
      // and it picks up from the index file's own record.
    });
    // Like a socket's timer, the indexer alone never keeps the process alive.
    worker.unref();
    this.worker = worker;
  }

  /** The thread has indexed through `through`: the store records it, one write at a time. */
  private indexed(through: number): void {
    if (through <= this.reported) return;
    this.reported = through;
    this.recording ??= this.record();
  }

  private async record(): Promise<void> {
    while (this.recorded < this.reported) {
      const through = this.reported;
      try {
        // Never backwards: a rebuild (a new token) sets it to 0 before any thread starts.
        await this.write((tx) =>
          tx.run("UPDATE search_index SET indexed_through = ? WHERE indexed_through < ?", [through, through]),
        );
        this.recorded = through;
      } catch {
        // The store is closing or unavailable: the thread reports this again at its next start,
        // and that report must not be taken for one already recorded.
        this.reported = this.recorded;
        break;
      }
    }
    this.recording = null;
  }

  private request(op: SearchThreadRequest["op"]): Promise<Round> {
    if (this.lost)
      return Promise.reject(new Error("the search index file was removed; the next start builds it again"));
    if (!this.worker && op === "round" && !this.closing) this.start();
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error("the search indexer is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      worker.postMessage({ id, op } satisfies SearchThreadRequest);
    });
  }

  /** One round now, recorded by the store: how many messages' entries it changed (tests). */
  async indexNow(): Promise<number> {
    // A thread that ended on its own as this was asked: once more, on a new one.
    const round = await this.request("round").catch(() => this.request("round"));
    await this.recording;
    return round.messages;
  }

  /** Stop the thread (a round under way finishes first), and finish recording what it indexed. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.checker);
    const worker = this.worker;
    if (worker) {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.ref();
      await this.request("close").catch(() => undefined);
      await exited;
    }
    await this.recording;
  }
}
