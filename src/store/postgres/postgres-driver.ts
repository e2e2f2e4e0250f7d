/** @module The PostgreSQL driver: a pool for reads on the main thread, group commits in a writer thread of their own, several batches at once, each locking only the conversations it changes. */
import pg from "pg";
import { type BatchableWrite, GroupCommit } from "../sql/group-commit.js";
import type { DriverOptions, SqlDriver, SqlExecutor } from "../sql/sql-driver.js";
import { threadModuleUrl, WriterThread } from "../sql/writer-thread.js";
import type { FeedPage } from "../store.js";
import { StoreUnavailableError } from "../store-errors.js";
import { connectionSettings, PgExecutor, storeError } from "./postgres-connection.js";
import { StoreEpochs } from "./postgres-epochs.js";
import { feedBySnapshots } from "./postgres-feed.js";
import { migrate } from "./postgres-migrate.js";
import type { PgWriterData } from "./postgres-writer-thread.js";

/** Batches in flight at once by default, each on a connection of the writer thread. */
const DEFAULT_WRITE_LANES = 4;

/**
 * A batch's conversation rows, locked in id order (the rows are locked as the sort emits them),
 * so two batches wanting some of the same rows never wait for each other in a cycle.
 */
const LOCK_CONVERSATIONS = "SELECT id FROM conversations WHERE id = ANY(?) ORDER BY id FOR UPDATE";

/**
 * Those of a batch's conversation rows that no other transaction holds now, locked without
 * waiting for the others: a batch leaves the writes of a conversation another node is writing to
 * its next batch (group-commit.ts, `lockFree`), instead of waiting for that node's commit while
 * holding all its own conversations, which made every node wait for every other.
 */
const LOCK_FREE_CONVERSATIONS = `WITH locked AS (
    SELECT id FROM conversations WHERE id = ANY(?) ORDER BY id FOR UPDATE SKIP LOCKED
  )
  SELECT id FROM locked
  UNION ALL
  SELECT k FROM unnest(CAST(? AS text[])) AS k WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = k)`;

export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres";
  readonly reader: SqlExecutor;
  private readonly commits: GroupCommit;
  /** The PostgreSQL timeline the feed's cursors are read on (postgres-epochs.ts). */
  private readonly epochs = new StoreEpochs();
  private closed = false;

  /**
   * `pool` serves reads; `writer`, a thread with one connection per lane, only the group commit.
   * A batch holds its conversations' row locks from its first statement to COMMIT; run from the
   * main thread, each of its round trips would wait for the event loop, and in a reconnect storm
   * (loop lag in the hundreds of milliseconds) the locks would be held for as long.
   */
  constructor(
    private readonly pool: pg.Pool,
    /** The writer thread (tests stop it, or cut its connection, to check what that does to writes). */
    readonly writer: WriterThread,
    options: DriverOptions = {},
  ) {
    this.reader = new PgExecutor(pool);
    this.commits = new GroupCommit(
      async (lane) => {
        if (this.closed) throw new StoreUnavailableError("the store is closed");
        const connection = this.writer.connection(lane);
        connection.lock = async (keys) => {
          await connection.exec.all(LOCK_CONVERSATIONS, [keys]);
        };
        connection.lockFree = async (keys) => {
          // A conversation with no row has nothing to wait for: it comes back as locked, as the
          // waiting lock lets it through (its write then finds no conversation and is refused).
          const rows = await connection.exec.all<{ id: string }>(LOCK_FREE_CONVERSATIONS, [keys, keys]);
          return rows.map((r) => r.id);
        };
        return connection;
      },
      storeError,
      options.maxBatch,
      options.maxPendingWrites,
      options.writeLanes ?? DEFAULT_WRITE_LANES,
    );
  }

  write<T>(fn: (tx: SqlExecutor) => Promise<T>, locks?: readonly string[]): Promise<T> {
    return this.commits.run(fn, locks);
  }
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R> {
    return this.commits.runBatchable(write, input);
  }
  /** On the read pool, each statement its own transaction: no wait for a batch. */
  writeAlone<T>(fn: (db: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the store is closed"));
    return fn(this.reader);
  }

  get pendingWrites(): number {
    return this.commits.pending;
  }

  get queuedReads(): number {
    return this.pool.waitingCount;
  }

  /** Batches commit side by side, out of id order: the feed is read by snapshot cursors. */
  feed(userId: string, cursor: string | undefined, limit: number): Promise<FeedPage> {
    return feedBySnapshots(this.reader, this.epochs, userId, cursor, limit);
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string }).code === "23505";
  }

  async ping(): Promise<void> {
    await this.reader.get("SELECT 1 AS one");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.drain();
    this.closed = true;
    await Promise.all([this.pool.end(), this.writer.close()]);
  }
}

/**
 * Create the schema unless it exists. Two nodes starting at once on a fresh schema both run
 * `CREATE SCHEMA IF NOT EXISTS`, and PostgreSQL lets the loser fail on the catalogue's unique
 * index (23505) instead of skipping: that error means the other node made it, which is all we want.
 */
async function createSchema(client: pg.PoolClient, schema: string): Promise<void> {
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    if ((error as { code?: string }).code !== "23505") throw error;
  }
}

/**
 * Connect to `url` and bring the schema up to date. A `schema` query parameter (not a
 * PostgreSQL one) puts every table in that schema, created if needed: tests use a fresh one
 * per run.
 */
export async function openPostgresDriver(url: string, options: DriverOptions = {}): Promise<PostgresDriver> {
  const { settings, schema } = connectionSettings(url);
  const pool = new pg.Pool({ ...settings, max: options.readPoolSize ?? 10, idleTimeoutMillis: 30_000 });
  // An idle connection that dies must not crash the process; the next query reports it.
  pool.on("error", (error) => console.error("postgres connection lost:", error.message));
  const client = await pool.connect();
  try {
    if (schema) await createSchema(client, schema);
    await migrate(client);
  } catch (error) {
    client.release();
    await pool.end();
    throw error;
  }
  client.release();
  const writer = new WriterThread(
    threadModuleUrl(import.meta.url, "postgres-writer-thread"),
    { url } satisfies PgWriterData,
    "the PostgreSQL writer thread",
  );
  return new PostgresDriver(pool, writer, options);
}
