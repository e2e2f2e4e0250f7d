/**
 * @module Benchmark: the PostgreSQL backend's CPU time per search of the heavy users, by plan, on a
 * schema `bench:search -- --keep` loaded. On a shared machine wall time is mostly waiting for a
 * core; the backend's own CPU time (its /proc stat) is what compares across runs and loads.
 *
 * Usage: npx tsx bench/search-cpu.ts --schema bench_search_… [--plans auto,index,scan] [--rounds 2]
 *        [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { searchMessages } from "../src/store/sql/search-queries.js";
import type { SqlExecutor } from "../src/store/sql/sql-driver.js";
import type { MessageSearch } from "../src/store/store.js";
import { HEAVY_SEARCH_USERS, SEARCH_QUERY_WORDS } from "./search-words.js";

const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    plans: { type: "string", default: "auto,index" },
    rounds: { type: "string", default: "2" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
if (!values.schema) throw new Error("--schema names a schema that bench:search --keep loaded");
const client = new pg.Client({ connectionString: values.postgres });
await client.connect();
await client.query(`SET search_path = ${values.schema}, public`);
const pid = Number((await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid);
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};
const db: SqlExecutor = {
  get: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rows[0],
  all: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rows,
  run: async (sql, params = []) => ({ changes: (await client.query(numbered(sql), [...params])).rowCount ?? 0 }),
};
/** The backend's user + system CPU time so far, in ms (the kernel counts in 10 ms ticks). */
const cpu = () => {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const WORDS = SEARCH_QUERY_WORDS;
const USERS = HEAVY_SEARCH_USERS;
const rounds = Number(values.rounds);
for (const plan of (values.plans as string).split(",")) {
  const force = plan === "auto" ? {} : { force: plan as MessageSearch["force"] };
  const perWord = new Map<string, number>();
  const cpus: number[] = [];
  const walls: number[] = [];
  let total = 0;
  let wall = 0;
  // The first round warms the caches; the others are counted.
  for (let round = 0; round < rounds; round++)
    for (const query of WORDS)
      for (const userId of USERS) {
        const [c0, t0] = [cpu(), performance.now()];
        await searchMessages(db, "postgres", { userId, query, limit: 20, ...force });
        if (round === 0) continue;
        const spent = cpu() - c0;
        wall += performance.now() - t0;
        cpus.push(spent);
        walls.push(performance.now() - t0);
        total += spent;
        perWord.set(query, (perWord.get(query) ?? 0) + spent);
      }
  const n = (rounds - 1) * WORDS.length * USERS.length;
  const words = [...perWord].map(([w, ms]) => `${w} ${(ms / (n / WORDS.length)).toFixed(0)}`).join(", ");
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(0.95 * xs.length)] ?? 0;
  console.log(
    `${plan}: backend CPU ${(total / n).toFixed(1)} ms a search (p95 ${p95(cpus)} ms), wall ${(wall / n).toFixed(1)} ms (p95 ${p95(walls).toFixed(1)} ms) (${n} searches); by word, CPU ms: ${words}`,
  );
}
await client.end();
