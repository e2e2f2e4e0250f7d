/**
 * @module Benchmark: what one SQLite search-indexer round costs per row against its size, on its
 * own (no store, no threads): an FTS5 trigram table like `haetae-search.db`'s, 400,000 rows
 * loaded and optimized, then 30,000 more in rounds of `--round` rows, each sorted by rowid and
 * in one transaction, as `indexRound` does.
 *
 * Usage: npx tsx bench/search-rounds.ts [--round 3000] [--automerge 4] [--synchronous FULL]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { SEARCH_KEY_STRIDE } from "../src/store/sql/schema-dialect.js";

const { values } = parseArgs({
  options: {
    round: { type: "string", default: "3000" },
    automerge: { type: "string", default: "4" },
    synchronous: { type: "string", default: "FULL" },
  },
});
const ROUND = Number(values.round);
const ADDED = 30_000;
const dir = mkdtempSync(join(tmpdir(), "haetae-bench-rounds-"));
const db = new Database(join(dir, "haetae-search.db"));
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${values.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
db.pragma("cache_size = -65536");
db.exec(`CREATE VIRTUAL TABLE message_search USING fts5(
  text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0')`);

const WORDS =
  "hello world 안녕하세요 반갑습니다 message search index the quick brown fox jumps over lazy dog 오늘 날씨가 좋네요 meeting tomorrow at noon lunch coffee project deadline".split(
    " ",
  );
let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const sentence = () =>
  Array.from(
    { length: 4 + Math.floor(rand() * 8) },
    () => `${WORDS[Math.floor(rand() * WORDS.length)]}${rand() < 0.3 ? Math.floor(rand() * 1000) : ""}`,
  ).join(" ");
const insert = db.prepare("INSERT INTO message_search (rowid, text) VALUES (?, ?)");
const seqs = new Array<number>(10_000).fill(0);
/** One round: `rows` new messages in random chats, inserted by ascending rowid in one transaction. */
const round = db.transaction((rows: number) => {
  const batch: [number, string][] = [];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(rand() * seqs.length);
    seqs[c] = (seqs[c] as number) + 1;
    batch.push([(c + 1) * SEARCH_KEY_STRIDE + (seqs[c] as number), sentence()]);
  }
  batch.sort((a, b) => a[0] - b[0]);
  for (const [rowid, text] of batch) insert.run(rowid, text);
});

try {
  for (let i = 0; i < 40; i++) round(10_000);
  db.exec("INSERT INTO message_search (message_search) VALUES ('optimize')");
  db.exec(`INSERT INTO message_search (message_search, rank) VALUES ('automerge', ${Number(values.automerge)})`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < ADDED; done += ROUND) round(ROUND);
  const used = process.cpuUsage(cpu);
  console.log(
    `rounds of ${ROUND} rows (automerge ${values.automerge}, synchronous ${values.synchronous}): ${((used.user + used.system) / ADDED).toFixed(1)} µs of CPU a row, ${(((performance.now() - started) * 1000) / ADDED).toFixed(1)} µs wall`,
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
