/** @module The one schema source: released migrations keep their text, each dialect's runner (what a store runs as it opens) applies a version once, and both dialects end with the same tables, columns and indexes. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../../../test/services.js";
import { connectionSettings } from "../postgres/postgres-connection.js";
import { migrate as migratePostgresClient } from "../postgres/postgres-migrate.js";
import { openPostgresStore } from "../postgres/postgres-store.js";
import { migrate as migrateSqlite } from "../sqlite/sqlite-migrate.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import { POSTGRES_SCHEMA, SQLITE_SCHEMA } from "./schema-dialect.js";
import { migrationsAfter, migrationsFor, SCHEMA_MIGRATIONS } from "./schema-migrations.js";

/**
 * The start of the SHA-256 of each released version's SQL as each dialect runs it. A database
 * at version n never runs version n again, so an edit to a released migration would make new
 * databases differ from old ones without anyone noticing; append a version instead.
 */
const RELEASED = {
  sqlite: [
    "a621fa18dcebc9aa",
    "71986ab588c75631",
    "95beb04abde8a7d7",
    "6d9733fab8aa714d",
    "71ee4b9e03285b4f",
    "9065d8bba8d015d2",
    "7508e45110824b4c",
    "d23577badd05d741",
    "341f3d2f01d39187",
  ],
  postgres: [
    "00a393faa80f4a48",
    "5a209bf364550372",
    "001ea5010df4fcf4",
    "6d9733fab8aa714d",
    "71ee4b9e03285b4f",
    "ada08a0397478f0b",
    "7508e45110824b4c",
    "d23577badd05d741",
    "c7283f1f214ac0c0",
  ],
};

/** A schema as both dialects can describe it: per table, its columns, primary key, unique keys and indexes. */
type SchemaShape = Record<string, { columns: string[]; primaryKey: string[]; uniques: string[]; indexes: string[] }>;

/** 32- and 64-bit integers are one type here: SQLite's INTEGER is 64-bit, PostgreSQL names the two. */
function normalType(type: string): string {
  const lower = type.toLowerCase();
  return lower === "bigint" || lower === "integer" ? "integer" : lower;
}

/**
 * A column as "name type null|not null". A primary-key column counts as not null: PostgreSQL
 * makes it so, SQLite only in a WITHOUT ROWID table or for the rowid; the store never writes a null key.
 */
function columnText(name: string, type: string, notNull: boolean): string {
  return `${name} ${normalType(type)} ${notNull ? "not null" : "null"}`;
}

function indexText(name: string, unique: boolean, columns: string[]): string {
  return `${unique ? "unique " : ""}${name} (${columns.join(", ")})`;
}

/** Read from sqlite_master and the table and index pragmas. */
function sqliteShape(file: string): SchemaShape {
  const db = new Database(file, { readonly: true });
  try {
    const shape: SchemaShape = {};
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const { name: table } of tables) {
      // The search index is each dialect's own (schema-dialect.ts `searchIndex`): on SQLite the
      // conversations' keys into the FTS5 table, and the token and watermark of its file.
      if (
        table === "search_keys" ||
        table === "search_index" ||
        table === "message_search" ||
        table.startsWith("message_search_")
      )
        continue;
      const columns = db.pragma(`table_info(${table})`) as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[];
      const uniques: string[] = [];
      const indexes: string[] = [];
      for (const index of db.pragma(`index_list(${table})`) as { name: string; unique: number; origin: string }[]) {
        const indexed = (db.pragma(`index_info(${index.name})`) as { seqno: number; name: string }[])
          .sort((a, b) => a.seqno - b.seqno)
          .map((c) => c.name);
        // origin: "pk" backs the primary key (read from table_info), "u" a UNIQUE constraint, "c" a CREATE INDEX.
        if (index.origin === "u") uniques.push(indexed.join(", "));
        if (index.origin === "c") indexes.push(indexText(index.name, index.unique === 1, indexed));
      }
      shape[table] = {
        columns: columns.map((c) => columnText(c.name, c.type, c.notnull === 1 || c.pk > 0)),
        primaryKey: columns
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        uniques: uniques.sort(),
        indexes: indexes.sort(),
      };
    }
    return shape;
  } finally {
    db.close();
  }
}

/** Read from information_schema (tables, columns, key constraints) and pg_indexes (the other indexes). */
async function postgresShape(schema: string): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const shape: SchemaShape = {};
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [schema],
    );
    for (const { table_name } of tables.rows)
      shape[table_name] = { columns: [], primaryKey: [], uniques: [], indexes: [] };
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [schema],
    );
    for (const c of columns.rows) {
      shape[c.table_name]?.columns.push(columnText(c.column_name, c.data_type, c.is_nullable === "NO"));
    }
    const keys = await client.query<{
      table_name: string;
      constraint_name: string;
      constraint_type: string;
      columns: string[];
    }>(
      `SELECT tc.table_name, tc.constraint_name, tc.constraint_type,
              array_agg(kcu.column_name::text ORDER BY kcu.ordinal_position) AS columns
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu
         ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
       WHERE tc.table_schema = $1 AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
       GROUP BY tc.table_name, tc.constraint_name, tc.constraint_type`,
      [schema],
    );
    for (const key of keys.rows) {
      const table = shape[key.table_name];
      if (!table) continue;
      if (key.constraint_type === "PRIMARY KEY") table.primaryKey = key.columns;
      else table.uniques.push(key.columns.join(", "));
    }
    const constraintNames = new Set(keys.rows.map((k) => k.constraint_name));
    const indexes = await client.query<{ tablename: string; indexname: string; indexdef: string }>(
      "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1",
      [schema],
    );
    for (const index of indexes.rows) {
      if (constraintNames.has(index.indexname)) continue; // a key constraint's index, read above
      // Only PostgreSQL reads events by transaction (its feed's snapshot cursors); SQLite's tx is always 0.
      if (index.indexname === "events_transaction") continue;
      // The search index is each dialect's own: on PostgreSQL a GIN trigram index on lower(text).
      if (index.indexname === "messages_text_trgm") continue;
      // Only PostgreSQL's search walks a chat's messages by time (search-walk.ts).
      if (index.indexname === "messages_conversation_time") continue;
      const parsed = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING btree \((.+)\)$/.exec(index.indexdef);
      if (!parsed?.[2]) throw new Error(`an index this test cannot read: ${index.indexdef}`);
      shape[index.tablename]?.indexes.push(indexText(index.indexname, parsed[1] !== undefined, parsed[2].split(", ")));
    }
    for (const table of Object.values(shape)) {
      table.uniques.sort();
      table.indexes.sort();
    }
    return shape;
  } finally {
    await client.end();
  }
}

/** The same shape with its tables in name order, so a difference reads as a diff of one table. */
function sorted(shape: SchemaShape): SchemaShape {
  return Object.fromEntries(Object.entries(shape).sort(([a], [b]) => a.localeCompare(b)));
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

describe("schema migrations", () => {
  const versions = SCHEMA_MIGRATIONS.map((m) => m.version);
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  /** A fresh SQLite file, its folder removed after the file's tests. */
  function sqliteFile(): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), "haetae-schema-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return { dir, file: join(dir, "haetae.db") };
  }
  /** A fresh PostgreSQL schema and a pool whose connections use it, both gone after the file's tests. */
  async function postgresSchema(): Promise<{ schema: string; url: string; pool: pg.Pool }> {
    const schema = freshSchema();
    const url = postgresUrlWithSchema(schema);
    const pool = new pg.Pool(connectionSettings(url).settings);
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => pool.end());
    await pool.query(`CREATE SCHEMA ${schema}`);
    return { schema, url, pool };
  }
  /** Run the PostgreSQL migrations on one connection of `pool`, as a starting node does. */
  async function migratePostgres(pool: pg.Pool): Promise<number[]> {
    const client = await pool.connect();
    try {
      return await migratePostgresClient(client);
    } finally {
      client.release();
    }
  }

  it("numbers versions from 1 without gaps and keeps every released version's text on both dialects", () => {
    expect(versions).toEqual(SCHEMA_MIGRATIONS.map((_, i) => i + 1));
    for (const [dialect, released] of [
      [SQLITE_SCHEMA, RELEASED.sqlite],
      [POSTGRES_SCHEMA, RELEASED.postgres],
    ] as const) {
      const rendered = migrationsFor(dialect).map((m) => sha(m.sql));
      expect(rendered.slice(0, released.length), dialect.name).toEqual(released);
    }
  });

  it("runs only the versions a database lacks, and refuses a database newer than the build", () => {
    const migrations = migrationsFor(SQLITE_SCHEMA);
    const newest = migrations.length;
    expect(migrationsAfter(0, migrations).map((m) => m.version)).toEqual(versions);
    expect(migrationsAfter(newest - 1, migrations).map((m) => m.version)).toEqual([newest]);
    expect(migrationsAfter(newest, migrations)).toEqual([]);
    expect(() => migrationsAfter(newest + 1, migrations)).toThrow(/newer than this build/);
  });

  it("records each version once on SQLite, and a store refuses to open a database newer than the build", () => {
    const { dir, file } = sqliteFile();
    const db = new Database(file);
    expect(migrateSqlite(db)).toEqual(versions);
    expect(migrateSqlite(db)).toEqual([]); // a second start applies nothing new
    const recorded = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as {
      version: number;
    }[];
    expect(recorded.map((v) => v.version)).toEqual(versions);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    expect(() => openSqliteStore(dir)).toThrow(/newer than this build/);
  });

  it("records each version once on PostgreSQL with nodes starting together, and refuses a newer schema", async () => {
    const { schema, url, pool } = await postgresSchema();
    const together = await Promise.all([migratePostgres(pool), migratePostgres(pool)]);
    expect(together.flat().sort((a, b) => a - b)).toEqual(versions);
    expect(await migratePostgres(pool)).toEqual([]);
    const { rows } = await pool.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY 1`,
    );
    expect(rows.map((r) => r.version)).toEqual(versions);
    await pool.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (999, 'f', 'x')`);
    await expect(openPostgresStore(url)).rejects.toThrow(/newer than this build/);
  });

  it("leaves SQLite and PostgreSQL with the same tables, columns, keys and indexes", async () => {
    const { file } = sqliteFile();
    const db = new Database(file);
    migrateSqlite(db);
    db.close();
    const { schema, pool } = await postgresSchema();
    await migratePostgres(pool);
    const [onSqlite, onPostgres] = [sorted(sqliteShape(file)), sorted(await postgresShape(schema))];
    expect(Object.keys(onSqlite)).toContain("messages");
    expect(onSqlite.messages?.indexes).toEqual(["unique messages_client_msg (sender_id, client_msg_id)"]);
    expect(onSqlite.events?.primaryKey).toEqual(["id"]);
    expect(onPostgres).toEqual(onSqlite);
  });
});
