/**
 * @module Benchmark: messages committed per second and commit latency of the store's write path
 * (group commit) on SQLite and PostgreSQL, at several numbers of concurrent writers, against the
 * peer it replaces: one transaction per message, measured in the same run. On PostgreSQL also the
 * ceiling: plain multi-row INSERTs into a scratch table (256 rows a statement, 4 connections), and
 * the group commit's ratio to it.
 *
 * Usage: npm run bench:store -- [--seconds 3] [--postgres postgres://postgres@127.0.0.1:5432/test] [--postgres-only]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres/postgres-store.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { Store } from "../src/store/store.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    "postgres-only": { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = [1, 16, 256];
/**
 * More writers, for the PostgreSQL group commit only: 256 writers with one append each in flight
 * offer fewer rows at once than the ceiling has in flight (4 connections × 256 rows).
 */
const HIGH_CONCURRENCY = [1024, 4096];

interface Row {
  store: string;
  writers: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** `writers` loops, each appending one message at a time for SECONDS; latency from call to commit. */
async function drive(
  name: string,
  writers: number,
  append: (writer: number, n: number) => Promise<unknown>,
): Promise<Row> {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const started = performance.now();
        await append(w, n);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    store: name,
    writers,
    perSecond: latencies.length / SECONDS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

/**
 * `writers` loops on each concurrency setting, each appending to a conversation of its own; with
 * several stores (nodes on one database), writer w goes through store w mod n.
 */
async function benchStore(
  name: string,
  one: Store | Store[],
  tag: string,
  concurrency: readonly number[] = CONCURRENCY,
): Promise<Row[]> {
  const stores = Array.isArray(one) ? one : [one];
  const store = stores[0] as Store;
  const userId = `bench-${tag}`;
  await store.createUser({
    id: userId,
    username: userId,
    displayName: "bench",
    passwordHash: "x",
    createdAt: new Date().toISOString(),
  });
  const rows: Row[] = [];
  for (const writers of concurrency) {
    // One conversation per writer, as users in different chats; seq allocation never waits on another writer.
    const conversations = Array.from({ length: writers }, (_, w) => `${tag}-${writers}-${w}`);
    await Promise.all(
      conversations.map((id) =>
        store.createGroup({
          id,
          kind: "group",
          memberIds: [userId],
          createdAt: new Date().toISOString(),
          createdBy: userId,
        }),
      ),
    );
    rows.push(
      await drive(name, writers, (w, n) =>
        (stores[w % stores.length] as Store).appendMessage({
          id: `${tag}-${writers}-${w}-${n}`,
          conversationId: conversations[w] as string,
          senderId: userId,
          clientMsgId: `${tag}-${writers}-${w}-${n}`,
          text: `benchmark message ${n}`,
          createdAt: new Date().toISOString(),
          mentions: [],
          mentionsAll: false,
        }),
      ),
    );
  }
  return rows;
}

const TABLE =
  "CREATE TABLE IF NOT EXISTS peer_messages (id TEXT PRIMARY KEY, conversation_id TEXT, text TEXT, created_at TEXT)";

/** The peer: one INSERT, one transaction, one durable commit per message. */
async function sqlitePeer(dir: string, writers: number): Promise<Row> {
  const db = new Database(join(dir, "peer.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(TABLE);
  const insert = db.prepare("INSERT INTO peer_messages VALUES (?, ?, ?, ?)");
  const row = await drive("sqlite, bare INSERT per transaction (peer)", writers, async (w, n) => {
    insert.run(`${writers}-${w}-${n}`, `c${w}`, `benchmark message ${n}`, new Date().toISOString());
  });
  db.close();
  return row;
}

async function postgresPeer(url: string, schema: string, writers: number): Promise<Row> {
  const pool = new pg.Pool({ connectionString: url, max: Math.min(writers, 10), options: `-c search_path=${schema}` });
  await pool.query(TABLE);
  const row = await drive("postgres, bare INSERT per transaction (peer)", writers, (w, n) =>
    pool.query("INSERT INTO peer_messages VALUES ($1, $2, $3, $4)", [
      `${writers}-${w}-${n}`,
      `c${w}`,
      `benchmark message ${n}`,
      new Date().toISOString(),
    ]),
  );
  await pool.end();
  return row;
}

/** Rows a statement and connections of the batched-INSERT ceiling. */
const CEILING_ROWS = 256;
const CEILING_CONNECTIONS = 4;

/**
 * The ceiling: what PostgreSQL takes as plain multi-row INSERTs (CEILING_ROWS rows a statement,
 * each statement its own durable commit, CEILING_CONNECTIONS connections at once) into a scratch
 * table with the messages table's two unique keys. Reported as rows/s; "writers" is connections.
 */
async function postgresCeiling(url: string, schema: string): Promise<Row> {
  const pool = new pg.Pool({ connectionString: url, max: CEILING_CONNECTIONS, options: `-c search_path=${schema}` });
  await pool.query(
    "CREATE TABLE IF NOT EXISTS ceiling_messages (conversation_id TEXT, seq INTEGER, id TEXT UNIQUE, sender_id TEXT, client_msg_id TEXT, text TEXT, created_at TEXT, PRIMARY KEY (conversation_id, seq))",
  );
  await pool.query("CREATE UNIQUE INDEX IF NOT EXISTS ceiling_client ON ceiling_messages (sender_id, client_msg_id)");
  const values = Array.from({ length: CEILING_ROWS }, (_, r) => {
    const k = r * 7;
    return `($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, $${k + 6}, $${k + 7})`;
  }).join(", ");
  const sql = `INSERT INTO ceiling_messages VALUES ${values}`;
  const latencies: number[] = [];
  let rowsWritten = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CEILING_CONNECTIONS }, async (_, c) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const params: unknown[] = [];
        const at = new Date().toISOString();
        for (let r = 0; r < CEILING_ROWS; r++) {
          const seq = n * CEILING_ROWS + r + 1;
          params.push(`c${c}`, seq, `m${c}-${seq}`, "bench", `k${c}-${seq}`, `benchmark message ${seq}`, at);
        }
        const started = performance.now();
        await pool.query(sql, params);
        latencies.push(performance.now() - started);
        rowsWritten += CEILING_ROWS;
      }
    }),
  );
  await pool.end();
  latencies.sort((a, b) => a - b);
  return {
    store: `postgres, batched INSERT of ${CEILING_ROWS} rows (ceiling)`,
    writers: CEILING_CONNECTIONS,
    perSecond: rowsWritten / SECONDS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

const dir = mkdtempSync(join(tmpdir(), "haetae-bench-store-"));
const schema = `haetae_bench_${Date.now()}`;
const rows: Row[] = [];
try {
  if (!values["postgres-only"]) await benchSqlite();
  const url = new URL(values.postgres);
  url.searchParams.set("schema", schema);
  const postgres = await openPostgresStore(url.toString());
  rows.push(...(await benchStore("postgres (group commit)", postgres, "p", [...CONCURRENCY, ...HIGH_CONCURRENCY])));
  // Three nodes' stores on the one database, the 256 writers spread over them.
  const three = [postgres, await openPostgresStore(url.toString()), await openPostgresStore(url.toString())];
  rows.push(...(await benchStore("postgres (group commit), 3 stores", three, "p3", [256])));
  for (const store of three) await store.close();
  const postgresSingle = await openPostgresStore(url.toString(), { maxBatch: 1 });
  rows.push(...(await benchStore("postgres (same append, one commit per message)", postgresSingle, "p1")));
  await postgresSingle.close();
  for (const writers of CONCURRENCY) rows.push(await postgresPeer(values.postgres, schema, writers));
  rows.push(await postgresCeiling(values.postgres, schema));
} finally {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: values.postgres });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

async function benchSqlite(): Promise<void> {
  const sqlite = openSqliteStore(dir);
  rows.push(...(await benchStore("sqlite (group commit)", sqlite, "s")));
  await sqlite.close();
  const sqliteSingle = openSqliteStore(dir, { maxBatch: 1 });
  rows.push(...(await benchStore("sqlite (same append, one commit per message)", sqliteSingle, "s1")));
  await sqliteSingle.close();
  for (const writers of CONCURRENCY) rows.push(await sqlitePeer(dir, writers));
}

console.log(`seconds=${SECONDS} per setting; latency = call to commit`);
console.log(
  "| store | writers | messages/s | p50 ms | p99 ms | group commit vs one commit per message |\n|---|---|---|---|---|---|",
);
for (const row of rows) {
  const dialect = row.store.split(/[ ,]/)[0] as string;
  const single = rows.find(
    (r) => r.writers === row.writers && r.store.startsWith(dialect) && r.store.includes("one commit per"),
  );
  const ratio = row.store.includes("group commit") && single ? `${(row.perSecond / single.perSecond).toFixed(1)}×` : "";
  console.log(
    `| ${row.store} | ${row.writers} | ${row.perSecond.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${ratio} |`,
  );
}
const ceiling = rows.find((r) => r.store.includes("(ceiling)"));
if (ceiling) {
  console.log(
    `\npostgres group commit vs the batched-INSERT ceiling (${ceiling.perSecond.toFixed(0)} rows/s, target ≥ 0.5×):`,
  );
  for (const row of rows.filter((r) => r.store.startsWith("postgres (group commit)"))) {
    console.log(
      `  ${row.store.includes("3 stores") ? "3 stores, " : ""}${row.writers} writers: ${row.perSecond.toFixed(0)} appends/s = ${(row.perSecond / ceiling.perSecond).toFixed(2)}×`,
    );
  }
}
