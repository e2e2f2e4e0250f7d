/** @module The driver interface under the SQL store: one per dialect (sqlite, postgres); everything above it is dialect-agnostic. */
import type { BatchableWrite } from "./group-commit.js";

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
 * after COMMIT returned (G1). Group-commit transactions are serialized across every node that
 * shares the database, so feed events get their ids in commit order (G4: a reader can never see
 * event n+1 before event n exists).
 */
export interface SqlDriver {
  readonly reader: SqlExecutor;
  write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Like `write`, for a write that may share statements with its neighbours of the same kind in the batch. */
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R>;
  /**
   * Run `fn` where each statement commits by itself, outside the group commit where the dialect
   * has more than one writer (PostgreSQL: a pooled connection, without the cluster's write lock);
   * SQLite, with its one writer, runs it in the group commit. Only for rows that no feed event
   * depends on and that need no transaction around several statements (the WebSocket tickets):
   * a reconnect storm's tickets then never queue behind, or ahead of, the messages being sent.
   */
  writeAlone<T>(fn: (db: SqlExecutor) => Promise<T>): Promise<T>;
  /** Writes waiting for a group commit (a load signal). */
  readonly pendingWrites: number;
  /** Reads waiting for a connection to the database (a load signal; 0 where reads never wait). */
  readonly queuedReads: number;
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
}

/** `?, ?, ?` for `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
