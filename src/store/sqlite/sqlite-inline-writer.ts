/**
 * @module The SQLite writer on the calling thread, for a process that writes a few rows and ends
 * (the watcher claiming the page identity before its first fork, `haetae role`): starting the
 * writer and checkpointer threads cost such a process more start-up time and memory than its
 * writes, and the memory stayed after the threads ended.
 */
import type { BatchConnection } from "../sql/group-commit.js";
import type { WriterBackend } from "../sql/writer-protocol.js";
import { openWriterDatabase, writerBackend } from "./sqlite-writer-connection.js";

/**
 * The writer connection on this thread: the same pragmas (G1: COMMIT returns once the WAL is on
 * disk) and the same group commit above it; a COMMIT's fsync stops this thread's event loop,
 * which a process without sessions does not notice. No checkpointer: closing the last
 * connection checkpoints the WAL.
 */
export class SqliteInlineWriter {
  private readonly backend: WriterBackend;

  constructor(file: string) {
    this.backend = writerBackend(openWriterDatabase(file));
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

  async ping(): Promise<void> {
    await this.backend.ping();
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}
