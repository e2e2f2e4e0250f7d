/**
 * @module Benchmark: the PostgreSQL backend's CPU time per search of the heavy users, by plan, on a
 * schema `bench:search -- --keep` loaded. On a shared machine wall time is mostly waiting for a
 * core; the backend's own CPU time (its /proc stat) is what compares across runs and loads.
 *
 * Usage: npx tsx bench/search-cpu.ts --schema bench_search_… [--plans auto,index,scan] [--rounds 2]
 *        [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { parseArgs } from "node:util";
import { searchMessages } from "../src/store/sql/search-queries.js";
import type { MessageSearch } from "../src/store/store.js";
import { openKeptSchema } from "./kept-schema.js";
import { HEAVY_SEARCH_USERS, SEARCH_QUERY_WORDS } from "./search-words.js";

const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    plans: { type: "string", default: "auto,index" },
    rounds: { type: "string", default: "2" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const { client, db, timed } = await openKeptSchema(values.postgres as string, values.schema);
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
        const { cpu: spent, wall: took } = await timed(() =>
          searchMessages(db, "postgres", { userId, query, limit: 20, ...force }),
        );
        if (round === 0) continue;
        wall += took;
        cpus.push(spent);
        walls.push(took);
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
