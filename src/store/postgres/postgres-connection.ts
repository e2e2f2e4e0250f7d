/** @module How Haetae talks to PostgreSQL, on the main thread and in the writer thread alike: connection settings, statements, and which failures mean "unavailable". */
import pg from "pg";
import { PLANNED_PER_CALL, type SqlExecutor } from "../sql/sql-driver.js";
import { StoreInvalidValueError, StoreUnavailableError } from "../store-errors.js";
import { HostListClient, type HostListConfig, parseHostList } from "./postgres-hosts.js";

/**
 * Failures that mean "the database is not there right now", answered `unavailable` (retry):
 * no SQLSTATE at all (a socket error), connection exceptions (08), operator intervention and
 * timeouts (57), a lock not granted in time (55P03), and serialization failures (40).
 */
export function isConnectionError(error: unknown): boolean {
  // Already classified by this driver: a refused value says nothing about the connection.
  if (error instanceof StoreInvalidValueError) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    // 25006: a write reached a server that is read-only now (a standby, or a demoted primary).
    return (
      code.startsWith("08") || code.startsWith("57") || code.startsWith("40") || code === "55P03" || code === "25006"
    );
  }
  return true;
}

/**
 * The store-level error a PostgreSQL failure is: `StoreUnavailableError` for a connection
 * failure, `StoreInvalidValueError` for a data exception (SQLSTATE class 22: a value out of range
 * or not valid in its type, which validation let through); anything else as it was thrown, its
 * SQLSTATE kept for the driver's own checks (a unique violation, 23505).
 */
export function storeError(error: unknown): unknown {
  if (isConnectionError(error)) return new StoreUnavailableError((error as Error).message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code))
    return new StoreInvalidValueError((error as Error).message);
  return error;
}

const int8 = (value: string) => Number(value);

/** A store URL's settings: for a pool (`Client` set when the URL lists several hosts) and for a client of one's own. */
export interface ConnectionSettings {
  settings: pg.ClientConfig & { Client?: typeof pg.Client };
  schema: string | null;
  /** A new unconnected client: over the host list when the URL has one. */
  newClient(): pg.Client;
}

/**
 * The store URL's connection settings, and the schema its `schema` query parameter names (not a
 * PostgreSQL parameter). A URL with several hosts (`h1:5432,h2:5432`) and `target_session_attrs`
 * connects as libpq would (postgres-hosts.ts).
 */
export function connectionSettings(url: string): ConnectionSettings {
  const list = parseHostList(url);
  const parsed = new URL(list.url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error("store: the schema parameter must be a lowercase identifier");
  }
  const settings: pg.ClientConfig = {
    connectionString: parsed.toString(),
    connectionTimeoutMillis: 3000,
    query_timeout: 10_000,
    keepAlive: true,
    // Pinned rather than inherited from the server: G1 needs durable commits; the group commit
    // assumes READ COMMITTED (each statement sees what committed before it, the rows it locked
    // included); and a node that freezes inside a batch (holding its conversations' row locks)
    // must not stop the other nodes' writes to them for longer than a few seconds.
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
  if (list.hosts.length === 1 && list.target === "any") {
    return { settings, schema, newClient: () => new pg.Client(settings) };
  }
  const listed: HostListConfig = { ...settings, hostList: list.hosts, targetSessionAttrs: list.target };
  return { settings: { ...listed, Client: HostListClient }, schema, newClient: () => new HostListClient(listed) };
}

/** Runs statements with `?` placeholders numbered for PostgreSQL, each as a named prepared statement. */
export class PgExecutor implements SqlExecutor {
  private static readonly names = new Map<string, { name: string; text: string }>();
  constructor(private readonly target: pg.Pool | pg.PoolClient | pg.Client) {}

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
    // Transaction control and savepoints carry no parameters and are not worth preparing; a
    // statement planned per call runs unnamed, planned with its parameters each time.
    const config =
      params.length === 0 && !/^\s*SELECT/i.test(sql)
        ? { text: sql }
        : sql.startsWith(PLANNED_PER_CALL)
          ? { text: PgExecutor.prepared(sql).text, values: [...params] }
          : { ...PgExecutor.prepared(sql), values: [...params] };
    try {
      return await this.target.query<T>(config);
    } catch (error) {
      throw storeError(error);
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
