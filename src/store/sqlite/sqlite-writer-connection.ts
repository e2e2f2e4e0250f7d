/** @module The SQLite writer connection as both writers open it: WAL, `synchronous = FULL`, foreign keys; and its backend for the writer protocol. */
import Database from "better-sqlite3";
import type { WriterBackend } from "../sql/writer-protocol.js";
import { SqliteExecutor } from "./sqlite-executor.js";

/**
 * The writer's own automatic checkpoint, in WAL pages: only a backstop, for a checkpointer that
 * fell behind or died. SQLite's default (1,000 pages, 4 MB) made a COMMIT copy the WAL into the
 * database file and fsync it whenever the WAL passed 4 MB — under load, nearly every group commit
 * (one of ~250 messages dirtied ~5 MB of pages).
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 20_000;

/**
 * Open the writer connection on `file`. `cacheKiB`: its page cache's bound (the writer thread's
 * 64 MiB unless given; on the main thread, where writes only trickle, SQLite's 2 MiB).
 */
export function openWriterDatabase(file: string, cacheKiB = 65_536): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // G1: COMMIT returns only after the WAL is on disk; an ack waits for the COMMIT.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Checkpoints run beside the writer (the idle writer's own, the checkpointer thread's); the
  // automatic one inside a COMMIT is only the backstop.
  db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
  // The writer thread's page cache, at most 64 MiB (SQLite's default is 2 MiB), chosen when the
  // writer also wrote the search index, whose merges read pages all over a large FTS5 table.
  // Pages are held only once read, so a small database costs no more.
  db.pragma(`cache_size = -${cacheKiB}`);
  return db;
}

/** The writer protocol's backend on a writer connection. */
export function writerBackend(db: Database.Database): WriterBackend {
  const exec = new SqliteExecutor(db);
  return {
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
}
