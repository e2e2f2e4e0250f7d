/**
 * @module Benchmark: where each heavy user's whole-history search spends its time on PostgreSQL,
 * query by query, on a schema `bench:search -- --keep` loaded: the word's hits in the user's
 * history, the walk's windows and the messages it read, whether and when it handed over to the
 * GIN index, the backend CPU and wall time of each part, and the same search by the GIN index
 * alone and read outright. Sorted by wall time, so the tail is at the bottom.
 *
 * Usage: npx tsx bench/search-trace.ts --schema bench_search_… [--rounds 2] [--explain "deploy server"]
 *        [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { parseArgs } from "node:util";
import { searchMessages, searchPlanSql, searchScope, walkThenRest } from "../src/store/sql/search-queries.js";
import { WALK_TUNING, walkSearch } from "../src/store/sql/search-walk.js";
import type { SqlExecutor } from "../src/store/sql/sql-driver.js";
import type { MessageSearch } from "../src/store/store.js";
import { openKeptSchema } from "./kept-schema.js";
import { HEAVY_SEARCH_USERS, SEARCH_QUERY_WORDS } from "./search-words.js";

const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    rounds: { type: "string", default: "2" },
    /** Print EXPLAIN (ANALYZE, BUFFERS) of the GIN hand-over and the outright read for this word (u0). */
    explain: { type: "string" },
    user: { type: "string" },
    /** Try another walk budget (WalkTuning.rowBudget) than the store's. */
    "row-budget": { type: "string" },
    /** Only these words (comma-separated), not the benchmark's ten. */
    words: { type: "string" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const tuning = { ...WALK_TUNING, ...(values["row-budget"] ? { rowBudget: Number(values["row-budget"]) } : {}) };
const statements: string[] = [];
const { client, db, numbered, timed } = await openKeptSchema(values.postgres as string, values.schema, (sql) =>
  statements.push(sql),
);
const WORDS = values.words ? values.words.split(",") : SEARCH_QUERY_WORDS;
const USERS = HEAVY_SEARCH_USERS;

if (values.explain) {
  const search: MessageSearch = { userId: values.user ?? "u0", query: values.explain, limit: 20 };
  const size = await searchScope(db, search);
  const explaining: SqlExecutor = {
    ...db,
    all: async (sql, params = []) => {
      const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${numbered(sql)}`, [...params]);
      console.log(`--- a window of the walk\n${plan.rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
      return db.all(sql, params);
    },
  };
  const walked = await walkSearch(explaining, search, size, tuning);
  console.log(
    `walk: ${walked.windows} windows, ${walked.scanned} read, ${walked.rows.length} hits, older than ${walked.olderThan}`,
  );
  const plans: [string, MessageSearch, boolean][] = [
    ["the GIN hand-over", { ...search, createdBefore: walked.olderThan, limit: 20 - walked.rows.length }, true],
    ["the GIN index alone", search, true],
    ["read outright", search, false],
  ];
  for (const [name, s, useIndex] of plans) {
    const { sql, params } = searchPlanSql("postgres", s, { useIndex, window: 2_147_483_647 });
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${numbered(sql)}`, params);
    console.log(`--- ${name}\n${plan.rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
  }
  await client.end();
  process.exit(0);
}

interface Trace {
  user: string;
  word: string;
  hits: number;
  windows: number;
  scanned: number;
  rest: string;
  walk: { cpu: number; wall: number };
  index: { cpu: number; wall: number };
  total: { cpu: number; wall: number };
  gin: { cpu: number; wall: number };
  outright: { cpu: number; wall: number };
}
const traces: Trace[] = [];
const hitCounts = new Map<string, number>();
for (const user of USERS)
  for (const word of WORDS) {
    const lowered = word.toLowerCase();
    const n = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM membership_spans s JOIN messages m ON m.conversation_id = s.conversation_id
       AND m.seq > s.from_seq AND m.seq <= COALESCE(s.to_seq, 2147483647)
       WHERE s.user_id = $1 AND m.deleted_at IS NULL AND strpos(lower(m.text), $2) > 0`,
      [user, lowered],
    );
    hitCounts.set(`${user} ${word}`, Number(n.rows[0]?.n));
  }
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++)
  for (const word of WORDS)
    for (const user of USERS) {
      const search: MessageSearch = { userId: user, query: word, limit: 20 };
      // The store's own path in full (scope, walk, hand-over, reactions), then its parts apart.
      statements.length = 0;
      const total = values["row-budget"]
        ? await timed(async () => walkThenRest(db, search, await searchScope(db, search), tuning))
        : await timed(() => searchMessages(db, "postgres", search));
      const size = await searchScope(db, search);
      const walk = await timed(() => walkSearch(db, search, size, tuning));
      // The whole walk and its hand-over again, to learn where the rest went; its time less the walk's is the rest's.
      const both = await timed(() => walkThenRest(db, search, size, tuning));
      const index = { cpu: Math.max(0, both.cpu - walk.cpu), wall: Math.max(0, both.wall - walk.wall) };
      const gin = await timed(() => searchMessages(db, "postgres", { ...search, force: "index" }));
      const outright = await timed(() => searchMessages(db, "postgres", { ...search, force: "scan" }));
      if (round === 0) continue;
      traces.push({
        user,
        word,
        hits: hitCounts.get(`${user} ${word}`) ?? 0,
        windows: walk.value.windows,
        scanned: walk.value.scanned,
        rest: both.value.rest ?? "-",
        walk,
        index,
        total,
        gin,
        outright,
      });
    }
traces.sort((a, b) => a.total.wall - b.total.wall);
const f = (x: { cpu: number; wall: number }) => `${x.wall.toFixed(1).padStart(6)}/${String(x.cpu).padStart(3)}`;
console.log("wall ms / backend CPU ms (10 ms ticks)");
console.log(
  "user word           hits  windows  read  rest     | search      | walk        | rest (est.) | GIN alone   | outright",
);
for (const t of traces)
  console.log(
    `${t.user.padEnd(4)} ${t.word.padEnd(14)} ${String(t.hits).padStart(6)} ${String(t.windows).padStart(4)} ${String(t.scanned).padStart(7)} ${t.rest.padEnd(8)} | ${f(t.total)} | ${f(t.walk)} | ${f(t.index)} | ${f(t.gin)} | ${f(t.outright)}`,
  );
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
for (const [name, pick] of [
  ["search (the store's plan)", (t: Trace) => t.total],
  ["GIN alone", (t: Trace) => t.gin],
  ["read outright", (t: Trace) => t.outright],
] as const) {
  const walls = traces.map((t) => pick(t).wall);
  const cpus = traces.map((t) => pick(t).cpu);
  console.log(
    `${name}: wall p50 ${q(walls, 0.5).toFixed(1)} p95 ${q(walls, 0.95).toFixed(1)} ms; CPU mean ${(cpus.reduce((a, b) => a + b, 0) / cpus.length).toFixed(1)} ms (${traces.length} searches)`,
  );
}
await client.end();
