/** @module The SQLite driver: better-sqlite3 in WAL with synchronous=FULL, a writer thread for group commits and a reader on the main thread. */
import { join } from "node:path";
import Database from "better-sqlite3";
import { makePrivateFolder } from "../data-folder.js";
import { openPrivateDatabase } from "../private-database.js";
import { feedByIds } from "../sql/feed-queries.js";
import { type BatchableWrite, GroupCommit } from "../sql/group-commit.js";
import { SQLITE_LOWER_FUNCTION } from "../sql/search-queries.js";
import type { DriverOptions, SqlDriver, SqlExecutor } from "../sql/sql-driver.js";
import type { FeedPage } from "../store.js";
import { StoreUnavailableError } from "../store-errors.js";
import { SqliteExecutor } from "./sqlite-executor.js";
import { migrate } from "./sqlite-migrate.js";
import { prepareSearchIndex, SEARCH_SCHEMA, searchIndexFile } from "./sqlite-search-file.js";
import { type FeedPosition, SqliteSearchIndexer } from "./sqlite-search-indexer.js";
import type { SqliteWriter } from "./sqlite-writer.js";
import { SqliteWriterLanes } from "./sqlite-writer-lanes.js";

/** Options of the SQLite driver beside every driver's. */
export interface SqliteDriverOptions extends DriverOptions {
  /**
   * Write on the calling thread only, never starting the writer or checkpointer thread: for a
   * process that makes a few writes and ends (the watcher's page identity, `haetae role`), never
   * for a node.
   */
  inlineWriter?: boolean;
  /** How long the writer thread (and the checkpointer's) stays after the last stream of writes (`COMMIT_STREAM_IDLE_MS` unless given): tests. */
  writerThreadIdleMs?: number;
  /** Index the feed for search only when asked (`searchIndexer.indexNow()`), not in the background: tests. */
  searchIndexOnDemand?: boolean;
  /**
   * No indexer thread: the index falls behind (searches read what it lacks outright) until a
   * store opened with one catches up. The send benchmark's "index off"; never for a node.
   */
  searchIndexOff?: boolean;
  /**
   * How long events may wait past the index before a thread is started for them, and how long a
   * quiet feed keeps the thread (`SEARCH_INDEX_START_WAIT_MS`, `SEARCH_INDEX_IDLE_EXIT_MS`
   * unless given): tests.
   */
  searchIndexStartWaitMs?: number;
  searchIndexIdleExitMs?: number;
}

/**
 * Writes go only through the group commit on the writer connection, so no statement can slip
 * into an open write transaction; reads use a second connection, which in WAL mode sees only
 * committed data — a reader never shows a message before its commit. While writes stream, the
 * writer connection lives in its own thread (`SqliteWriter`): better-sqlite3 is synchronous, and
 * back-to-back COMMITs with their fsyncs on the event loop would stop every socket for their
 * duration; while the thread commits one batch, the event loop reads frames and queues the next.
 * While they trickle, the writer is on the main thread and no thread is held
 * (`SqliteWriterLanes`). The WAL is checkpointed by the writer in its pauses, and by a thread of
 * its own while writes leave it none. The search index is a file of its own, attached to the
 * reader and written by the indexer's thread.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly reader: SqlExecutor;
  private readonly writes: SqliteWriterLanes;
  private readonly readerDb: Database.Database;
  private readonly commits: GroupCommit;
  /** The search indexer's thread; none for a short-lived process (`inlineWriter`), whose messages the next node indexes. */
  readonly searchIndexer: SqliteSearchIndexer | undefined;
  private closed = false;

  constructor(file: string, options: SqliteDriverOptions = {}) {
    // Migrations run here, before any thread starts, so a schema newer than this build stops the
    // start at once. Their commits need not wait for the disk: nothing has been acknowledged yet,
    // a crash leaves the database at an earlier version (migrated again at the next start), and
    // closing this, the only connection, checkpoints the WAL into the database file and syncs
    // it. A fresh data folder's 17 migrations took 154 ms with an fsync each, 35 ms without.
    const setupDb = openPrivateDatabase(file);
    setupDb.pragma("journal_mode = WAL");
    setupDb.pragma("synchronous = NORMAL");
    setupDb.pragma("busy_timeout = 5000");
    migrate(setupDb);
    prepareSearchIndex(setupDb, file);
    setupDb.close();
    this.writes = new SqliteWriterLanes(file, {
      threads: !options.inlineWriter,
      ...(options.writerThreadIdleMs !== undefined ? { idleMs: options.writerThreadIdleMs } : {}),
    });
    this.readerDb = new Database(file);
    this.readerDb.pragma("busy_timeout = 5000");
    // Searches read outright fold case as the index does, beyond ASCII (search-queries.ts).
    this.readerDb.function(SQLITE_LOWER_FUNCTION, { deterministic: true }, (text: unknown) =>
      typeof text === "string" ? text.toLowerCase() : text,
    );
    // The search index lives in a file of its own (sqlite-search-indexer.ts says why).
    this.readerDb.prepare(`ATTACH DATABASE ? AS ${SEARCH_SCHEMA}`).run(searchIndexFile(file));
    this.reader = new SqliteExecutor(this.readerDb);
    this.commits = new GroupCommit(
      async () => {
        if (this.closed) throw new StoreUnavailableError("the store is closed");
        // One lane, no locks: the one writer's transactions never overlap.
        return this.writes.connection();
      },
      undefined,
      options.maxBatch,
      options.maxPendingWrites,
    );
    const feedPosition = this.readerDb.prepare(
      "SELECT coalesce((SELECT max(id) FROM events), 0) AS newest, (SELECT indexed_through FROM search_index) AS recorded",
    );
    this.searchIndexer =
      options.inlineWriter || options.searchIndexOff
        ? undefined
        : new SqliteSearchIndexer(
            file,
            (fn) => this.write(fn),
            () => feedPosition.get() as FeedPosition,
            {
              background: !options.searchIndexOnDemand,
              ...(options.searchIndexStartWaitMs !== undefined ? { startWaitMs: options.searchIndexStartWaitMs } : {}),
              ...(options.searchIndexIdleExitMs !== undefined ? { idleExitMs: options.searchIndexIdleExitMs } : {}),
            },
          );
  }

  /** The writer thread, started now as a stream of writes would, once it takes the writes (tests stop it to check what a crash does to writes in flight). */
  writerThread(): Promise<SqliteWriter> {
    return this.writes.writerThread();
  }

  /** Whether the writer thread takes the writes now (tests). */
  get writerThreadRunning(): boolean {
    return this.writes.threadTakesWrites;
  }

  /** No write queued or under way (tests take the write lock from outside only then). */
  get writesIdle(): boolean {
    return this.commits.idle;
  }

  /** Whether the checkpointer thread runs now (tests). */
  get checkpointerRunning(): boolean {
    return this.writes.checkpointerRunning;
  }

  write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.commits.run(fn);
  }
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R> {
    return this.commits.runBatchable(write, input);
  }
  /** SQLite has one writer: the statements join the next group commit and share its fsync. */
  writeAlone<T>(fn: (db: SqlExecutor) => Promise<T>): Promise<T> {
    return this.commits.run(fn);
  }

  /** Reads run on the main thread as they come: none ever waits for a connection. */
  readonly queuedReads = 0;

  get pendingWrites(): number {
    return this.commits.pending;
  }

  /** One writer: event ids are taken in commit order, so the last id read is the whole cursor. */
  feed(userId: string, cursor: string | undefined, limit: number): Promise<FeedPage> {
    return feedByIds(this.reader, userId, cursor, limit);
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: string }).code;
    return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
  }

  async ping(): Promise<void> {
    await this.reader.get("SELECT 1 AS one");
    await this.writes.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.searchIndexer?.close();
    await this.commits.drain();
    this.closed = true;
    this.readerDb.close();
    await this.writes.close();
  }
}

/** Open (creating if needed) `haetae.db` in the data folder, schema brought up to date. */
export function openSqliteDriver(dataDir: string, options: SqliteDriverOptions = {}): SqliteDriver {
  makePrivateFolder(dataDir);
  return new SqliteDriver(join(dataDir, "haetae.db"), options);
}
