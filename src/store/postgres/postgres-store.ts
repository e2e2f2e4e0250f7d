/** @module The scale-out store: the SQL store on the PostgreSQL driver. */
import { SqlStore } from "../sql/sql-store.js";
import { openPostgresDriver } from "./postgres-driver.js";

/** Connect to `url` (postgres://…, optional `?schema=name`), migrating first. */
export async function openPostgresStore(url: string): Promise<SqlStore> {
  return new SqlStore(await openPostgresDriver(url));
}
