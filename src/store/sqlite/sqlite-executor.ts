/** @module Runs SQL on one better-sqlite3 connection, compiling each SQL text once (the reader on the main thread, the writer in its thread). */
import type Database from "better-sqlite3";
import type { SqlExecutor } from "../sql/sql-driver.js";

/** Runs statements on one better-sqlite3 connection, compiling each SQL text once. */
export class SqliteExecutor implements SqlExecutor {
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
