/**
 * @module Benchmark: messages committed per second and commit latency of the store's write path
 * (group commit) on SQLite and PostgreSQL, at several numbers of concurrent writers, against the
 * peer it replaces: one transaction per message, measured in the same run. On PostgreSQL also the
 * ceiling: plain multi-row INSERTs into a scratch table (256 rows a statement, 4 connections), and
 * the group commit's ratio to it.
 *
 * PostgreSQL's rows also give the CPU its backends spent per append (or per ceiling row), read
 * from /proc of the backends this run opened (found by their application_name): on a shared
 * machine a wall rate moves with whatever else runs, the work per append much less. Beside it,
 * this process's own CPU per append (all threads: the store's writer thread and batches, and the
 * bench's loops), and from the two the most appends a second this machine's cores could give at
 * that cost, against the ceiling measured the same way.
 *
 * Usage: npm run bench:store -- [--seconds 3] [--postgres postgres://postgres@127.0.0.1:5432/test] [--postgres-only] [--quick]
 * (`--quick`: PostgreSQL only, the group commit at 256 and 4,096 writers and the ceiling.
 * `--alter "<SQL>"`: run on the store's schema once it is made, to measure what a piece of it
 * costs, e.g. `--alter "DROP INDEX messages_text_trgm"`.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres/postgres-store.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { Store } from "../src/store/store.js";
import { APPLICATION, backendTicks, cpuBetween, walPosition } from "./pg-backend-usage.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    "postgres-only": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    alter: { type: "string" },
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
  /** PostgreSQL: backend CPU µs per append (per row for the ceiling). */
  cpuPerItem?: number;
  /** PostgreSQL: WAL bytes the whole server wrote per append (per row), other sessions' included. */
  walPerItem?: number;
  /**
   * PostgreSQL: this process's CPU µs per append (per row for the ceiling), all its threads: the
   * store's side of the work (the writer thread, the batches, the promises) and the bench's loops.
   */
  clientCpuPerItem?: number;
}

/** Set once PostgreSQL is benchmarked: the connection that reads the backends' CPU. */
let cpuReader: pg.Client | null = null;

/** `run`, with the backend CPU it cost per item counted (items: what `run` reports per second × SECONDS). */
async function withCpu(run: () => Promise<Row>): Promise<Row> {
  if (!cpuReader) return run();
  const before = await backendTicks(cpuReader);
  const walBefore = await walPosition(cpuReader);
  const clientBefore = process.cpuUsage();
  const row = await run();
  const client = process.cpuUsage(clientBefore);
  const used = cpuBetween(before, await backendTicks(cpuReader));
  const items = Math.max(1, row.perSecond * SECONDS);
  return {
    ...row,
    cpuPerItem: used / items,
    walPerItem: ((await walPosition(cpuReader)) - walBefore) / items,
    clientCpuPerItem: (client.user + client.system) / items,
  };
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
      await withCpu(() =>
        drive(name, writers, (w, n) =>
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
 * Each connection writes one conversation, keys rising, so every index takes its rows at its
 * right edge. `spread` (information, not the target's reference): the rows spread over that many
 * conversations instead, as the group commit's writers are, each index taking them on pages all
 * over it; its own scratch table.
 */
async function postgresCeiling(url: string, schema: string, spread = 0): Promise<Row> {
  const table = spread > 0 ? "ceiling_spread" : "ceiling_messages";
  const pool = new pg.Pool({
    connectionString: url,
    max: CEILING_CONNECTIONS,
    options: `-c search_path=${schema}`,
    application_name: APPLICATION,
  });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (conversation_id TEXT, seq INTEGER, id TEXT UNIQUE, sender_id TEXT, client_msg_id TEXT, text TEXT, created_at TEXT, PRIMARY KEY (conversation_id, seq))`,
  );
  await pool.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${table}_client ON ${table} (sender_id, client_msg_id)`);
  const values = Array.from({ length: CEILING_ROWS }, (_, r) => {
    const k = r * 7;
    return `($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, $${k + 6}, $${k + 7})`;
  }).join(", ");
  const sql = `INSERT INTO ${table} VALUES ${values}`;
  const latencies: number[] = [];
  let rowsWritten = 0;
  // Connected before the CPU is first read, so that every backend's ticks are counted from there.
  await Promise.all(Array.from({ length: CEILING_CONNECTIONS }, () => pool.query("SELECT 1")));
  const before = cpuReader ? await backendTicks(cpuReader) : null;
  const walBefore = cpuReader ? await walPosition(cpuReader) : 0;
  const clientBefore = process.cpuUsage();
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CEILING_CONNECTIONS }, async (_, c) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const params: unknown[] = [];
        const at = new Date().toISOString();
        for (let r = 0; r < CEILING_ROWS; r++) {
          const seq = n * CEILING_ROWS + r + 1;
          if (spread > 0) {
            // Conversation and clientMsgId from the row's place in a shuffled order; seq unique per connection.
            const place = (seq * 2_654_435_761) % 4_294_967_296;
            params.push(`c${place % spread}`, seq * CEILING_CONNECTIONS + c, `m${c}-${seq}`, "bench", `k${place}-${c}`);
            params.push(`benchmark message ${seq}`, at);
          } else params.push(`c${c}`, seq, `m${c}-${seq}`, "bench", `k${c}-${seq}`, `benchmark message ${seq}`, at);
        }
        const started = performance.now();
        await pool.query(sql, params);
        latencies.push(performance.now() - started);
        rowsWritten += CEILING_ROWS;
      }
    }),
  );
  const client = process.cpuUsage(clientBefore);
  const used = before && cpuReader ? cpuBetween(before, await backendTicks(cpuReader)) : undefined;
  const wal = cpuReader ? (await walPosition(cpuReader)) - walBefore : undefined;
  await pool.end();
  latencies.sort((a, b) => a - b);
  return {
    ...(used === undefined ? {} : { cpuPerItem: used / Math.max(1, rowsWritten) }),
    ...(wal === undefined ? {} : { walPerItem: wal / Math.max(1, rowsWritten) }),
    clientCpuPerItem: (client.user + client.system) / Math.max(1, rowsWritten),
    store: `postgres, batched INSERT of ${CEILING_ROWS} rows ${spread > 0 ? `over ${spread} conversations (spread ceiling)` : "(ceiling)"}`,
    writers: CEILING_CONNECTIONS,
    perSecond: rowsWritten / SECONDS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

const dir = mkdtempSync(join(tmpdir(), "haetae-bench-store-"));
const schema = `haetae_bench_${Date.now()}`;
const rows: Row[] = [];
let hotUpdates = "";
try {
  if (!values["postgres-only"] && !values.quick) await benchSqlite();
  const url = new URL(values.postgres);
  url.searchParams.set("schema", schema);
  url.searchParams.set("application_name", APPLICATION);
  cpuReader = new pg.Client({ connectionString: values.postgres });
  await cpuReader.connect();
  const postgres = await openPostgresStore(url.toString());
  if (values.alter) {
    const alter = new pg.Client({ connectionString: values.postgres, options: `-c search_path=${schema}` });
    await alter.connect();
    await alter.query(values.alter);
    await alter.end();
    console.log(`altered: ${values.alter}`);
  }
  const writers = values.quick ? [256, 4096] : [...CONCURRENCY, ...HIGH_CONCURRENCY];
  rows.push(...(await benchStore("postgres (group commit)", postgres, "p", writers)));
  if (values.quick) {
    await postgres.close();
    rows.push(await postgresCeiling(values.postgres, schema));
    rows.push(await postgresCeiling(values.postgres, schema, 4096));
  } else await benchPostgresPeers(url, postgres);
  // Whether the per-append updates (conversation row, sender's read cursor) stayed on their page.
  const hot = await cpuReader.query<{ relname: string; n_tup_upd: string; n_tup_hot_upd: string }>(
    "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('conversations', 'members') ORDER BY relname",
    [schema],
  );
  hotUpdates = hot.rows.map((r) => `${r.relname} ${r.n_tup_hot_upd} of ${r.n_tup_upd}`).join(", ");
} finally {
  await cpuReader?.end();
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: values.postgres });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

/** Three stores, one commit per message, the bare INSERT per transaction, and the ceiling. */
async function benchPostgresPeers(url: URL, postgres: Store): Promise<void> {
  // Three nodes' stores on the one database, the 256 writers spread over them.
  const three = [postgres, await openPostgresStore(url.toString()), await openPostgresStore(url.toString())];
  rows.push(...(await benchStore("postgres (group commit), 3 stores", three, "p3", [256])));
  for (const store of three) await store.close();
  const postgresSingle = await openPostgresStore(url.toString(), { maxBatch: 1 });
  rows.push(...(await benchStore("postgres (same append, one commit per message)", postgresSingle, "p1")));
  await postgresSingle.close();
  for (const writers of CONCURRENCY) rows.push(await postgresPeer(values.postgres, schema, writers));
  rows.push(await postgresCeiling(values.postgres, schema));
  rows.push(await postgresCeiling(values.postgres, schema, 4096));
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
  "| store | writers | messages/s | p50 ms | p99 ms | group commit vs one commit per message | backend CPU µs per message (row) | WAL bytes per message (row) | this process's CPU µs per message (row) |\n|---|---|---|---|---|---|---|---|---|",
);
for (const row of rows) {
  const dialect = row.store.split(/[ ,]/)[0] as string;
  const single = rows.find(
    (r) => r.writers === row.writers && r.store.startsWith(dialect) && r.store.includes("one commit per"),
  );
  const ratio = row.store.includes("group commit") && single ? `${(row.perSecond / single.perSecond).toFixed(1)}×` : "";
  console.log(
    `| ${row.store} | ${row.writers} | ${row.perSecond.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${ratio} | ${row.cpuPerItem === undefined ? "" : row.cpuPerItem.toFixed(0)} | ${row.walPerItem === undefined ? "" : row.walPerItem.toFixed(0)} | ${row.clientCpuPerItem === undefined ? "" : row.clientCpuPerItem.toFixed(0)} |`,
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
  const spread = rows.find((r) => r.store.includes("(spread ceiling)"));
  if (spread) {
    console.log(
      `  (the ceiling spread over 4,096 conversations: ${spread.perSecond.toFixed(0)} rows/s, ${(spread.perSecond / ceiling.perSecond).toFixed(2)}× the ceiling)`,
    );
  }
  console.log(
    `backend CPU per append / per ceiling row: ${rows
      .filter((r) => r.store.startsWith("postgres (group commit)") && !r.store.includes("3 stores"))
      .map((r) => `${r.writers} writers ${((r.cpuPerItem ?? 0) / (ceiling.cpuPerItem ?? 1)).toFixed(1)}×`)
      .join(", ")}`,
  );
  // Both sides share this machine's cores: what one append costs in all (the database's backends
  // and this process, which is the node's side of a group commit) bounds how many fit in a second.
  const total = (r: Row) => (r.cpuPerItem ?? 0) + (r.clientCpuPerItem ?? 0);
  const cores = availableParallelism();
  console.log(
    `CPU per append in all (backends + this process) / per ceiling row (${total(ceiling).toFixed(0)} µs): ${rows
      .filter((r) => r.store.startsWith("postgres (group commit)") && !r.store.includes("3 stores"))
      .map(
        (r) =>
          `${r.writers} writers ${total(r).toFixed(0)} µs, ${(total(r) / Math.max(1, total(ceiling))).toFixed(1)}× (on ${cores} cores at most ${((cores * 1e6) / Math.max(1, total(r))).toFixed(0)} appends/s, ${((cores * 1e6) / Math.max(1, total(r)) / ceiling.perSecond).toFixed(2)}× the ceiling)`,
      )
      .join("; ")}`,
  );
}
if (hotUpdates) console.log(`HOT updates (no index entry): ${hotUpdates}`);
console.log(
  `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
