/** @module Brings a PostgreSQL schema to the newest version (sql/schema-migrations.ts) under an advisory lock, one transaction per version. */
import type pg from "pg";
import { POSTGRES_SCHEMA } from "../sql/schema-dialect.js";
import { CREATE_MIGRATIONS_TABLE, migrationsAfter, migrationsFor } from "../sql/schema-migrations.js";

/** The schema's migrations as PostgreSQL runs them. */
export const POSTGRES_MIGRATIONS = migrationsFor(POSTGRES_SCHEMA);

/** Every node starts with this; the lock makes concurrent starts apply each migration once. */
const MIGRATION_LOCK = 7_366_001;

/** Apply every migration newer than the schema's version; returns the versions applied. */
export async function migrate(client: pg.PoolClient): Promise<number[]> {
  await client.query("SELECT pg_advisory_lock($1, hashtext(current_schema()))", [MIGRATION_LOCK]);
  try {
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
    const applied: number[] = [];
    for (const migration of migrationsAfter(rows[0]?.v ?? 0, POSTGRES_MIGRATIONS)) {
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      applied.push(migration.version);
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1, hashtext(current_schema()))", [MIGRATION_LOCK]);
  }
}
