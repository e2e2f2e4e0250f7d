/**
 * @module Benchmark: what PostgreSQL itself writes for one batch of appends, table by table —
 * WAL records and bytes of each part of the batch's write statement, from `EXPLAIN (ANALYZE,
 * WAL)` — next to one multi-row INSERT of the batched-INSERT ceiling's shape. Counts, not
 * times: they do not move with the load of a shared machine.
 *
 * Usage: npx tsx bench/append-wal.ts [--appends 256] [--runs 3] [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { connectionSettings, PgExecutor } from "../src/store/postgres/postgres-connection.js";
import { openPostgresStore } from "../src/store/postgres/postgres-store.js";
import { APPEND_MESSAGE_ARRAYS } from "../src/store/sql/append-messages.js";
import type { SqlExecutor } from "../src/store/sql/sql-driver.js";
import type { AppendMessageInput } from "../src/store/store.js";

const { values } = parseArgs({
  options: {
    appends: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const APPENDS = Number(values.appends);
const RUNS = Number(values.runs);

interface PlanNode {
  "Node Type": string;
  Operation?: string;
  "Relation Name"?: string;
  "WAL Records"?: number;
  "WAL FPI"?: number;
  "WAL Bytes"?: number;
  Plans?: PlanNode[];
}

/** WAL of each table a plan writes (its ModifyTable nodes; a node's own figure counts its children too, so those are subtracted). */
function walByTable(node: PlanNode, into = new Map<string, { records: number; bytes: number; fpi: number }>()) {
  for (const child of node.Plans ?? []) walByTable(child, into);
  if (node["Node Type"] === "ModifyTable" && node["Relation Name"]) {
    const own = { records: node["WAL Records"] ?? 0, bytes: node["WAL Bytes"] ?? 0, fpi: node["WAL FPI"] ?? 0 };
    // Children of a ModifyTable are its row source (no WAL of their own here).
    into.set(node["Relation Name"], own);
  }
  return into;
}

/** An executor that runs the batch's write statement under EXPLAIN (ANALYZE, WAL) and keeps its plan. */
function explaining(db: SqlExecutor, plans: PlanNode[]): SqlExecutor {
  return {
    get: (sql, params) => db.get(sql, params),
    run: (sql, params) => db.run(sql, params),
    all: async <T>(sql: string, params?: readonly unknown[]) => {
      if (!sql.trimStart().startsWith("WITH advanced AS")) return db.all<T>(sql, params);
      const rows = await db.all<{ "QUERY PLAN": { Plan: PlanNode }[] }>(
        `EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, FORMAT JSON) ${sql}`,
        params,
      );
      const plan = rows[0]?.["QUERY PLAN"][0]?.Plan;
      if (plan) plans.push(plan);
      // No rows back: the run stops here ("feed event ids out of row order") and is rolled back.
      return [];
    },
  };
}

const schema = `haetae_wal_${Date.now()}`;
const url = new URL(values.postgres);
url.searchParams.set("schema", schema);
const store = await openPostgresStore(url.toString());
const client = connectionSettings(url.toString()).newClient();
await client.connect();
const db = new PgExecutor(client);
try {
  const userId = "wal-user";
  await store.createUser({
    id: userId,
    username: userId,
    displayName: "w",
    passwordHash: "x",
    createdAt: new Date().toISOString(),
  });
  console.log(`${APPENDS} appends to ${APPENDS} conversations, one batch's write statement; ${RUNS} runs`);
  console.log("| run | table | WAL records | full-page images | WAL bytes |\n|---|---|---|---|---|");
  for (let run = 1; run <= RUNS; run++) {
    // Fresh conversations each run, as bench:store's writers have.
    const conversations = Array.from({ length: APPENDS }, (_, i) => `wal-${run}-${i}`);
    for (const id of conversations) {
      await store.createGroup({
        id,
        kind: "group",
        memberIds: [userId],
        createdAt: new Date().toISOString(),
        createdBy: userId,
      });
    }
    const inputs: AppendMessageInput[] = conversations.map((conversationId, i) => ({
      id: crypto.randomUUID(),
      conversationId,
      senderId: userId,
      clientMsgId: crypto.randomUUID(),
      text: `benchmark message ${i}`,
      createdAt: new Date().toISOString(),
      mentions: [],
      mentionsAll: false,
    }));
    const plans: PlanNode[] = [];
    await db.run("BEGIN");
    await db.all("SELECT id FROM conversations WHERE id = ANY(?) ORDER BY id FOR UPDATE", [conversations]);
    await APPEND_MESSAGE_ARRAYS.runMany(explaining(db, plans), inputs).catch(() => undefined);
    await db.run("COMMIT");
    const plan = plans[0];
    if (!plan) throw new Error("the write statement did not run");
    let records = 0;
    let bytes = 0;
    for (const [table, wal] of walByTable(plan)) {
      records += wal.records;
      bytes += wal.bytes;
      console.log(`| ${run} | ${table} | ${wal.records} | ${wal.fpi} | ${wal.bytes} |`);
    }
    console.log(`| ${run} | per append | ${(records / APPENDS).toFixed(1)} | | ${(bytes / APPENDS).toFixed(0)} |`);
  }
  // The ceiling's statement shape: one row per message into a table with its three keys.
  await db.run(
    "CREATE TABLE ceiling_messages (conversation_id TEXT, seq INTEGER, id TEXT UNIQUE, sender_id TEXT, client_msg_id TEXT, text TEXT, created_at TEXT, PRIMARY KEY (conversation_id, seq))",
  );
  await db.run("CREATE UNIQUE INDEX ceiling_client ON ceiling_messages (sender_id, client_msg_id)");
  for (let run = 1; run <= RUNS; run++) {
    const rows = await db.all<{ "QUERY PLAN": { Plan: PlanNode }[] }>(
      `EXPLAIN (ANALYZE, WAL, COSTS OFF, TIMING OFF, FORMAT JSON)
       INSERT INTO ceiling_messages SELECT 'c0', s, 'm-' || s, 'bench', 'k-' || s, 'benchmark message ' || s, 'now'
       FROM generate_series(CAST(? AS integer), CAST(? AS integer)) AS s`,
      [(run - 1) * APPENDS + 1, run * APPENDS],
    );
    const plan = rows[0]?.["QUERY PLAN"][0]?.Plan as PlanNode;
    console.log(
      `| ceiling ${run} | per row | ${((plan["WAL Records"] ?? 0) / APPENDS).toFixed(1)} | ${plan["WAL FPI"] ?? 0} | ${((plan["WAL Bytes"] ?? 0) / APPENDS).toFixed(0)} |`,
    );
  }
} finally {
  await client.end();
  await store.close();
  const admin = new pg.Client({ connectionString: values.postgres });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
