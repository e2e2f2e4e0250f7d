/**
 * @module A PostgreSQL schema that `bench:search -- --keep` loaded, opened again by
 * `bench/search-cpu.ts` and `bench/search-trace.ts`: one connection on it, the store's queries
 * run through it (`?` placeholders numbered, unnamed statements), and that connection's backend
 * CPU time, read from `/proc` (the database runs on this machine).
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import type { SqlExecutor } from "../src/store/sql/sql-driver.js";

export interface KeptSchema {
  client: pg.Client;
  /** The store's statements on `client`. */
  db: SqlExecutor;
  /** `?` placeholders as PostgreSQL's `$1, $2, …`. */
  numbered(sql: string): string;
  /** What `f` took: its value, the backend's CPU time (user + system, in 10 ms ticks) and the wall time, in ms. */
  timed<T>(f: () => Promise<T>): Promise<{ value: T; cpu: number; wall: number }>;
}

/** Connect to `schema` in `postgres`; `onRows` sees each statement `db.all` runs (the trace lists them). */
export async function openKeptSchema(
  postgres: string,
  schema: string | undefined,
  onRows: (sql: string) => void = () => undefined,
): Promise<KeptSchema> {
  if (!schema) throw new Error("--schema names a schema that bench:search --keep loaded");
  const client = new pg.Client({ connectionString: postgres });
  await client.connect();
  await client.query(`SET search_path = ${schema}, public`);
  const pid = Number((await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid);
  const numbered = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  const db: SqlExecutor = {
    get: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rows[0],
    all: async (sql, params = []) => {
      onRows(sql);
      return (await client.query(numbered(sql), [...params])).rows;
    },
    run: async (sql, params = []) => ({ changes: (await client.query(numbered(sql), [...params])).rowCount ?? 0 }),
  };
  const backendCpuMs = () => {
    const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const timed = async <T>(f: () => Promise<T>) => {
    const [c0, t0] = [backendCpuMs(), performance.now()];
    const value = await f();
    return { value, cpu: backendCpuMs() - c0, wall: performance.now() - t0 };
  };
  return { client, db, numbered, timed };
}
