/**
 * @module The PostgreSQL writer thread: runs the group commits' transactions on a connection of
 * its own, so a batch's round trips to the database never wait for a busy event loop while it
 * holds the cluster's write lock.
 */
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import type { SqlExecutor } from "../sql/sql-driver.js";
import { serveWriter } from "../sql/writer-protocol.js";
import { StoreUnavailableError } from "../store-errors.js";
import { connectionSettings, isConnectionError, PgExecutor } from "./postgres-connection.js";

/** Start options, passed as `workerData`. */
export interface PgWriterData {
  url: string;
}

/** Held by every group commit for its whole transaction: feed event ids are then taken in commit order on every node. */
const FEED_LOCK = 7_366_002;

const port = parentPort;
if (!port) throw new Error("postgres-writer-thread runs only as a worker thread");
const { settings } = connectionSettings((workerData as PgWriterData).url);

let client: pg.Client | undefined;
let exec: PgExecutor | undefined;
/** Set once BEGIN and the lock both succeeded: statements and COMMIT are refused otherwise. */
let inTransaction = false;

/** Forget the connection (it failed, or may have): the next BEGIN opens a new one. */
function drop(): void {
  const lost = client;
  client = undefined;
  exec = undefined;
  inTransaction = false;
  lost?.end().catch(() => undefined);
}

async function connected(): Promise<PgExecutor> {
  if (exec) return exec;
  const fresh = new pg.Client(settings);
  // A connection that dies between batches must not end the thread; the next batch reconnects.
  fresh.on("error", () => {
    if (client === fresh) drop();
  });
  try {
    await fresh.connect();
  } catch (error) {
    fresh.end().catch(() => undefined);
    throw new StoreUnavailableError((error as Error).message);
  }
  client = fresh;
  exec = new PgExecutor(fresh);
  return exec;
}

/** Run `fn` on the connection; a failure that may have broken it drops it. */
async function on<T>(fn: (e: PgExecutor) => Promise<T>): Promise<T> {
  const e = exec;
  if (!e) throw new StoreUnavailableError("the writer's connection to PostgreSQL was lost");
  try {
    return await fn(e);
  } catch (error) {
    if (error instanceof StoreUnavailableError || isConnectionError(error)) drop();
    throw error;
  }
}

const current: SqlExecutor = {
  get: (sql, params) => on((e) => e.get(sql, params)),
  all: (sql, params) => on((e) => e.all(sql, params)),
  run: (sql, params) => on((e) => e.run(sql, params)),
};

serveWriter(port, {
  exec: current,
  inTransaction: () => inTransaction,
  begin: async () => {
    await connected();
    await on((e) => e.run("BEGIN"));
    try {
      // Keyed by schema as well: nodes of one deployment share a schema and so the lock, while
      // deployments (or test runs) in other schemas of the same database never wait on each other.
      await on((e) => e.get("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", [FEED_LOCK]));
    } catch (error) {
      // Never a transaction without the lock: its events could take ids out of commit order.
      await exec?.run("ROLLBACK").catch(() => drop());
      throw error;
    }
    inTransaction = true;
  },
  commit: async () => {
    try {
      await on((e) => e.run("COMMIT"));
    } finally {
      inTransaction = false;
    }
  },
  rollback: async () => {
    if (!inTransaction || !exec) return;
    inTransaction = false;
    await exec.run("ROLLBACK").catch(() => drop());
  },
  ping: async () => (await connected()).get("SELECT 1 AS one"),
  close: async () => {
    const last = client;
    client = undefined;
    exec = undefined;
    await last?.end().catch(() => undefined);
  },
});
