/**
 * @module The SQLite writer on the calling thread: a node's writer while its writes trickle
 * (`SqliteWriterLanes`), and the only writer of a process that writes a few rows and ends (the
 * watcher claiming the page identity before its first fork, `haetae role`).
 */
import type Database from "better-sqlite3";
import type { BatchConnection } from "../sql/group-commit.js";
import type { WriterBackend } from "../sql/writer-protocol.js";
import { openWriterDatabase, writerBackend } from "./sqlite-writer-connection.js";

/** The page cache of the writer connection on the main thread, in KiB: SQLite's default. */
const INLINE_CACHE_KIB = 2_000;

/**
 * The writer connection on this thread: the same pragmas (G1: COMMIT returns once the WAL is on
 * disk) and the same group commit above it; a COMMIT's fsync stops this thread's event loop for
 * its duration (0.2–0.3 ms on this machine's disk, a few ms on a slow one), which a trickle of
 * writes does not notice.
 */
export class SqliteInlineWriter {
  private readonly db: Database.Database;
  private readonly backend: WriterBackend;

  constructor(file: string) {
    this.db = openWriterDatabase(file, INLINE_CACHE_KIB);
    this.backend = writerBackend(this.db);
  }

  /** A connection for the group commit; groups of writes run statement by statement. */
  connection(): BatchConnection {
    const backend = this.backend;
    return {
      exec: backend.exec,
      begin: () => backend.begin(),
      commit: () => backend.commit(),
      rollback: () => backend.rollback(),
      release: () => undefined,
    };
  }

  /**
   * Copy what the WAL holds into the database file, as the writer thread does in its pauses
   * (PASSIVE: it never waits for a reader); nothing while a transaction is open. A busy database
   * (a checkpoint running elsewhere) is left for the next pause.
   */
  checkpoint(): void {
    if (!this.db.open || this.db.inTransaction) return;
    try {
      this.db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // SQLITE_BUSY: the next pause tries again.
    }
  }

  async ping(): Promise<void> {
    await this.backend.ping();
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}
