/** @module The scale-out store: the SQL store on the PostgreSQL driver. */
import type { DriverOptions } from "../sql/sql-driver.js";
import { SqlStore } from "../sql/sql-store.js";
import { openPostgresDriver } from "./postgres-driver.js";

/** Connect to `url` (postgres://…, optional `?schema=name`), migrating first. */
export async function openPostgresStore(url: string, options: DriverOptions = {}): Promise<SqlStore> {
  return new SqlStore(await openPostgresDriver(url, options));
}
