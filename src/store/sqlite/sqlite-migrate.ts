/** @module Brings a SQLite database to the newest schema (sql/schema-migrations.ts), one transaction per version. */
import type Database from "better-sqlite3";
import { SQLITE_SCHEMA } from "../sql/schema-dialect.js";
import { CREATE_MIGRATIONS_TABLE, migrationsAfter, migrationsFor } from "../sql/schema-migrations.js";

/** The schema's migrations as SQLite runs them. */
export const SQLITE_MIGRATIONS = migrationsFor(SQLITE_SCHEMA);

/** Apply every migration newer than the database's version; returns the versions applied. */
export function migrate(db: Database.Database): number[] {
  db.exec(CREATE_MIGRATIONS_TABLE);
  const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null };
  const applied: number[] = [];
  for (const migration of migrationsAfter(row.v ?? 0, SQLITE_MIGRATIONS)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
    applied.push(migration.version);
  }
  return applied;
}
