/** @module The embedded default store: the SQL store on the SQLite driver, in the data folder. */
import { SqlStore } from "../sql/sql-store.js";
import { openSqliteDriver, type SqliteDriverOptions } from "./sqlite-driver.js";

/** Open the store in `dataDir/haetae.db`, migrating it first. */
export function openSqliteStore(dataDir: string, options: SqliteDriverOptions = {}): SqlStore {
  return new SqlStore(openSqliteDriver(dataDir, options));
}
