/**
 * @module The PostgreSQL writer thread: runs the group commits' transactions on connections of
 * its own, one per lane, so a batch's round trips to the database never wait for a busy event
 * loop while it holds its conversations' row locks.
 */
import { parentPort, workerData } from "node:worker_threads";
import type pg from "pg";
import type { SqlExecutor } from "../sql/sql-driver.js";
import { serveWriter, type WriterBackend } from "../sql/writer-protocol.js";
import { StoreUnavailableError } from "../store-errors.js";
import { connectionSettings, isConnectionError, PgExecutor } from "./postgres-connection.js";
import { RECORD_EPOCH } from "./postgres-epochs.js";

/** Start options, passed as `workerData`. */
export interface PgWriterData {
  url: string;
}

const port = parentPort;
if (!port) throw new Error("postgres-writer-thread runs only as a worker thread");
const { newClient } = connectionSettings((workerData as PgWriterData).url);

/** One lane: a connection of its own, opened on the first BEGIN and again after it failed. */
class Lane implements WriterBackend {
  private client: pg.Client | undefined;
  private executor: PgExecutor | undefined;
  /** Set once BEGIN succeeded: statements and COMMIT are refused otherwise. */
  private open = false;
  /** RELEASE after a group would be a round trip more while the batch holds its locks. */
  readonly savepointsEndAtCommit = true;

  readonly exec: SqlExecutor = {
    get: (sql, params) => this.on((e) => e.get(sql, params)),
    all: (sql, params) => this.on((e) => e.all(sql, params)),
    run: (sql, params) => this.on((e) => e.run(sql, params)),
  };

  /** Forget the connection (it failed, or may have): the next BEGIN opens a new one. */
  private drop(): void {
    const lost = this.client;
    this.client = undefined;
    this.executor = undefined;
    this.open = false;
    lost?.end().catch(() => undefined);
  }

  private async connected(): Promise<PgExecutor> {
    if (this.executor) return this.executor;
    const fresh = newClient();
    // A connection that dies between batches must not end the thread; the next batch reconnects.
    fresh.on("error", () => {
      if (this.client === fresh) this.drop();
    });
    const executor = new PgExecutor(fresh);
    try {
      await fresh.connect();
      // Before the first batch on this connection: the timeline it writes on is recorded, with a
      // floor below every xid this connection's batches will take (postgres-epochs.ts).
      await executor.run(RECORD_EPOCH);
    } catch (error) {
      fresh.end().catch(() => undefined);
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError((error as Error).message);
    }
    this.client = fresh;
    this.executor = executor;
    return this.executor;
  }

  /** Run `fn` on the connection; a failure that may have broken it drops it. */
  private async on<T>(fn: (e: PgExecutor) => Promise<T>): Promise<T> {
    const e = this.executor;
    if (!e) throw new StoreUnavailableError("the writer's connection to PostgreSQL was lost");
    try {
      return await fn(e);
    } catch (error) {
      if (error instanceof StoreUnavailableError || isConnectionError(error)) this.drop();
      throw error;
    }
  }

  inTransaction(): boolean {
    return this.open;
  }

  async begin(): Promise<void> {
    await this.connected();
    // No lock across nodes: a batch locks only the rows of the conversations it changes.
    await this.on((e) => e.run("BEGIN"));
    this.open = true;
  }

  async commit(): Promise<void> {
    try {
      await this.on((e) => e.run("COMMIT"));
    } finally {
      this.open = false;
    }
  }

  async rollback(): Promise<void> {
    if (!this.open || !this.executor) return;
    this.open = false;
    await this.executor.run("ROLLBACK").catch(() => this.drop());
  }

  async ping(): Promise<unknown> {
    return (await this.connected()).get("SELECT 1 AS one");
  }

  async close(): Promise<void> {
    const last = this.client;
    this.client = undefined;
    this.executor = undefined;
    await last?.end().catch(() => undefined);
  }
}

serveWriter(port, () => new Lane());
