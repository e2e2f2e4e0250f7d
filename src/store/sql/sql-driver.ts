/** @module The driver interface under the SQL store: one per dialect (sqlite, postgres); everything above it is dialect-agnostic. */
import type { FeedPage } from "../store.js";
import type { BatchableWrite } from "./group-commit.js";

/**
 * A statement that starts with this is planned with its parameters at every call (PostgreSQL:
 * an unnamed statement), never from a cached generic plan. For statements whose best plan hangs
 * on the values, as a text search's on its words: PostgreSQL switches a named statement to a
 * generic plan after five calls, and a search for a word no message holds then cost 130 ms by
 * the generic plan where its own plan took 30 (docs/benchmarks.md). SQLite reads it as a comment.
 */
export const PLANNED_PER_CALL = "/* planned per call */ ";

/** Runs SQL with `?` placeholders (a postgres driver numbers them). */
export interface SqlExecutor {
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

/**
 * A dialect's connection management. `reader` sees committed data only. `write` runs its
 * function inside the next group commit: many writes share one transaction (one fsync), each
 * inside its own savepoint so a failing write undoes only itself, and the promise resolves only
 * after COMMIT returned (G1). A write that changes a conversation names it in `locks`: its
 * batch locks those conversations before any write runs, so the changes of one conversation
 * (and the ids of its feed events) follow one another in commit order on every node, while
 * batches on other conversations commit beside it (PostgreSQL; SQLite has one writer anyway).
 */
export interface SqlDriver {
  /** Which SQL it speaks, for the few reads whose SQL differs (the message search). */
  readonly dialect: "sqlite" | "postgres";
  readonly reader: SqlExecutor;
  write<T>(fn: (tx: SqlExecutor) => Promise<T>, locks?: readonly string[]): Promise<T>;
  /** Like `write`, for a write that may share statements with its neighbours of the same kind in the batch. */
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R>;
  /**
   * Run `fn` where each statement commits by itself, outside the group commit where the dialect
   * has more than one writer (PostgreSQL: a pooled connection);
   * SQLite, with its one writer, runs it in the group commit. Only for rows that no feed event
   * depends on and that need no transaction around several statements (the WebSocket tickets):
   * a reconnect storm's tickets then never queue behind, or ahead of, the messages being sent.
   */
  writeAlone<T>(fn: (db: SqlExecutor) => Promise<T>): Promise<T>;
  /** Writes waiting for a group commit (a load signal). */
  readonly pendingWrites: number;
  /** Reads waiting for a connection to the database (a load signal; 0 where reads never wait). */
  readonly queuedReads: number;
  /**
   * A page of `userId`'s feed after `cursor` (`Store.feed`), by the dialect's cursors: the last
   * event id where ids are taken in commit order (SQLite), transaction snapshots where batches
   * commit side by side (PostgreSQL).
   */
  feed(userId: string, cursor: string | undefined, limit: number): Promise<FeedPage>;
  /** True when the error is a unique-key violation. */
  isUniqueViolation(error: unknown): boolean;
  ping(): Promise<void>;
  /** Commit what is queued, then close. */
  close(): Promise<void>;
}

/** Options every driver takes. */
export interface DriverOptions {
  /** Most writes in one group commit; 1 turns group commit off (benchmarks compare the two). */
  maxBatch?: number;
  /** Most writes waiting for a commit; more are refused with `overloaded`. */
  maxPendingWrites?: number;
  /** Connections that serve reads, where a dialect pools them (PostgreSQL; SQLite reads on one). */
  readPoolSize?: number;
  /** Group commits in flight at once, each on a connection of its own (PostgreSQL; SQLite has one writer). */
  writeLanes?: number;
}

/** `?, ?, ?` for `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
