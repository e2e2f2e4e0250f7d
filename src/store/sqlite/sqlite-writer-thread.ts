/** @module The SQLite writer thread: runs the group commits' transactions on its own connection, so COMMIT and its fsync never stop the event loop. */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveWriter } from "../sql/writer-protocol.js";
import { WRITER_AUTOCHECKPOINT_PAGES } from "./sqlite-checkpointer.js";
import { SqliteExecutor } from "./sqlite-executor.js";

/** Start options, passed as `workerData`. */
export interface WriterData {
  file: string;
}

const port = parentPort;
if (!port) throw new Error("sqlite-writer-thread runs only as a worker thread");
const { file } = workerData as WriterData;
const db = new Database(file);
db.pragma("journal_mode = WAL");
// G1: COMMIT returns only after the WAL is on disk; the ack waits for this thread's reply.
db.pragma("synchronous = FULL");
db.pragma("foreign_keys = ON");
db.pragma("busy_timeout = 5000");
// The checkpointer thread copies the WAL into the database file; the writer's own automatic
// checkpoint, inside a COMMIT, is only its backstop.
db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
// The writer's page cache, 64 MiB (SQLite's default is 2 MiB): the search index's inserts and
// merges touch pages all over a large FTS5 table, and with 2 MiB each write read them again.
db.pragma("cache_size = -65536");
const exec = new SqliteExecutor(db);
const backend = {
  exec,
  inTransaction: () => db.inTransaction,
  begin: async () => {
    await exec.run("BEGIN IMMEDIATE");
  },
  commit: async () => {
    await exec.run("COMMIT");
  },
  rollback: async () => {
    if (db.inTransaction) await exec.run("ROLLBACK");
  },
  ping: () => exec.get("SELECT 1 AS one"),
  close: async () => {
    db.close();
  },
};
// One connection, one lane: SQLite has one writer.
serveWriter(port, () => backend);
