/** @module The PostgreSQL driver: a pool for reads, a connection of its own for group commits, serialized across nodes by an advisory lock. */
import pg from "pg";
import { type BatchableWrite, type BatchConnection, GroupCommit } from "../sql/group-commit.js";
import { type DriverOptions, type SqlDriver, type SqlExecutor, StoreUnavailableError } from "../sql/sql-driver.js";
import { migrate } from "./migrations.js";

/** Held by every group commit for its whole transaction: feed event ids are then taken in commit order on every node. */
const FEED_LOCK = 7_366_002;

/**
 * Failures that mean "the database is not there right now", answered `unavailable` (retry):
 * no SQLSTATE at all (a socket error), connection exceptions (08), operator intervention and
 * timeouts (57), a lock not granted in time (55P03), and serialization failures (40).
 */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    return code.startsWith("08") || code.startsWith("57") || code.startsWith("40") || code === "55P03";
  }
  return true;
}

const int8 = (value: string) => Number(value);

/** Runs statements with `?` placeholders numbered for PostgreSQL, each as a named prepared statement. */
class PgExecutor implements SqlExecutor {
  private static readonly names = new Map<string, { name: string; text: string }>();
  constructor(private readonly target: pg.Pool | pg.PoolClient) {}

  private static prepared(sql: string): { name: string; text: string } {
    let entry = PgExecutor.names.get(sql);
    if (!entry) {
      let i = 0;
      entry = { name: `h${PgExecutor.names.size}`, text: sql.replace(/\?/g, () => `$${++i}`) };
      PgExecutor.names.set(sql, entry);
    }
    return entry;
  }

  private async query<T extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[],
  ): Promise<pg.QueryResult<T>> {
    // Transaction control and savepoints carry no parameters and are not worth preparing.
    const config =
      params.length === 0 && !/^\s*SELECT/i.test(sql)
        ? { text: sql }
        : { ...PgExecutor.prepared(sql), values: [...params] };
    try {
      return await this.target.query<T>(config);
    } catch (error) {
      if (isConnectionError(error)) throw new StoreUnavailableError((error as Error).message);
      throw error;
    }
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  readonly reader: SqlExecutor;
  private readonly commits: GroupCommit;
  private closed = false;

  /**
   * `pool` serves reads; `writePool` (one connection) only the group commit, which runs one
   * batch at a time. Sharing one pool, a reconnect storm's syncs and logins filled it and a
   * batch of sends waited behind them for a connection, holding up every send of the node (and
   * failing them all when the wait passed the pool's timeout).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly writePool: pg.Pool,
    options: DriverOptions = {},
  ) {
    this.reader = new PgExecutor(pool);
    this.commits = new GroupCommit(
      () => this.batchConnection(),
      (error) => (isConnectionError(error) ? new StoreUnavailableError((error as Error).message) : error),
      options.maxBatch,
      options.maxPendingWrites,
    );
  }

  private async batchConnection(): Promise<BatchConnection> {
    if (this.closed) throw new StoreUnavailableError("the store is closed");
    let client: pg.PoolClient;
    try {
      client = await this.writePool.connect();
    } catch (error) {
      throw new StoreUnavailableError((error as Error).message);
    }
    // pg-pool drops its idle error listener while a client is checked out; a connection that
    // dies mid-batch would then emit an unhandled `error` and end the process.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on("error", onError);
    const exec = new PgExecutor(client);
    return {
      exec,
      begin: async () => {
        await exec.run("BEGIN");
        // Keyed by schema as well: nodes of one deployment share a schema and so the lock, while
        // deployments (or test runs) in other schemas of the same database never wait on each other.
        await exec.get("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", [FEED_LOCK]);
      },
      commit: async () => {
        await exec.run("COMMIT");
      },
      rollback: async () => {
        await exec.run("ROLLBACK");
      },
      release: (error?: unknown) => {
        client.off("error", onError);
        client.release(lost ?? (error instanceof Error && isConnectionError(error) ? error : undefined));
      },
    };
  }

  write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.commits.run(fn);
  }
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R> {
    return this.commits.runBatchable(write, input);
  }

  get pendingWrites(): number {
    return this.commits.pending;
  }

  get queuedReads(): number {
    return this.pool.waitingCount;
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
    await Promise.all([this.pool.end(), this.writePool.end()]);
  }
}

/**
 * Connect to `url` and bring the schema up to date. A `schema` query parameter (not a
 * PostgreSQL one) puts every table in that schema, created if needed: tests use a fresh one
 * per run.
 */
export async function openPostgresDriver(url: string, options: DriverOptions = {}): Promise<PostgresDriver> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error("store: the schema parameter must be a lowercase identifier");
  }
  const settings: pg.PoolConfig = {
    connectionString: parsed.toString(),
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    query_timeout: 10_000,
    keepAlive: true,
    // Pinned rather than inherited from the server: G1 needs durable commits; the group commit
    // assumes READ COMMITTED; and a node that freezes inside a batch (holding the cluster's
    // write lock) must not stop every other node for longer than a few seconds.
    options: [
      schema ? `-c search_path=${schema}` : "",
      "-c synchronous_commit=on",
      "-c default_transaction_isolation=read\\ committed",
      "-c idle_in_transaction_session_timeout=5000",
      "-c statement_timeout=10000",
      "-c lock_timeout=10000",
    ]
      .filter(Boolean)
      .join(" "),
    types: { getTypeParser: (oid, format) => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format)) },
  };
  const pool = new pg.Pool({ ...settings, max: 10 });
  const writePool = new pg.Pool({ ...settings, max: 1 });
  // An idle connection that dies must not crash the process; the next query reports it.
  for (const p of [pool, writePool])
    p.on("error", (error) => console.error("postgres connection lost:", error.message));
  const client = await pool.connect();
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(client);
  } finally {
    client.release();
  }
  return new PostgresDriver(pool, writePool, options);
}
