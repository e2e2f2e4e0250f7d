/** @module The SQLite driver: better-sqlite3 in WAL with synchronous=FULL, a writer connection for group commits and a reader. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type BatchableWrite, type BatchConnection, GroupCommit } from "../sql/group-commit.js";
import type { DriverOptions, SqlDriver, SqlExecutor } from "../sql/sql-driver.js";
import { migrate } from "./migrations.js";

/** Runs statements on one better-sqlite3 connection, compiling each SQL text once. */
class SqliteExecutor implements SqlExecutor {
  private readonly statements = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return this.statement(sql).get(...params) as T | undefined;
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.statement(sql).all(...params) as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: this.statement(sql).run(...params).changes };
  }
}

/**
 * Writes go only through the group commit on the writer connection, so no statement can slip
 * into an open write transaction; reads use a second connection, which in WAL mode sees only
 * committed data — a reader never shows a message before its commit.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  readonly reader: SqlExecutor;
  private readonly writer: SqliteExecutor;
  private readonly readerDb: Database.Database;
  private readonly commits: GroupCommit;

  constructor(file: string, options: DriverOptions = {}) {
    const writerDb = new Database(file);
    writerDb.pragma("journal_mode = WAL");
    writerDb.pragma("synchronous = FULL");
    writerDb.pragma("foreign_keys = ON");
    writerDb.pragma("busy_timeout = 5000");
    migrate(writerDb);
    this.writer = new SqliteExecutor(writerDb);
    this.readerDb = new Database(file);
    this.readerDb.pragma("busy_timeout = 5000");
    this.reader = new SqliteExecutor(this.readerDb);
    const connection: BatchConnection = {
      exec: this.writer,
      begin: async () => {
        await this.writer.run("BEGIN IMMEDIATE");
      },
      commit: async () => {
        await this.writer.run("COMMIT");
      },
      rollback: async () => {
        if (writerDb.inTransaction) await this.writer.run("ROLLBACK");
      },
      release: () => undefined,
    };
    this.commits = new GroupCommit(
      async () => {
        if (!writerDb.open) throw new Error("the store is closed");
        return connection;
      },
      undefined,
      options.maxBatch,
      options.maxPendingWrites,
    );
  }

  write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.commits.run(fn);
  }
  writeBatched<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R> {
    return this.commits.runBatchable(write, input);
  }

  get pendingWrites(): number {
    return this.commits.pending;
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: string }).code;
    return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
  }

  async ping(): Promise<void> {
    await this.reader.get("SELECT 1 AS one");
  }

  async close(): Promise<void> {
    if (!this.writer.db.open) return;
    await this.commits.drain();
    this.readerDb.close();
    this.writer.db.close();
  }
}

/** Open (creating if needed) `haetae.db` in the data folder, schema brought up to date. */
export function openSqliteDriver(dataDir: string, options: DriverOptions = {}): SqliteDriver {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteDriver(join(dataDir, "haetae.db"), options);
}
