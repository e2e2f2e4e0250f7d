/** @module The embedded default store: the SQL store on the SQLite driver, in the data folder. */
import type { DriverOptions } from "../sql/sql-driver.js";
import { SqlStore } from "../sql/sql-store.js";
import { openSqliteDriver } from "./sqlite-driver.js";

/** Open the store in `dataDir/haetae.db`, migrating it first. */
export function openSqliteStore(dataDir: string, options: DriverOptions = {}): SqlStore {
  return new SqlStore(openSqliteDriver(dataDir, options));
}
