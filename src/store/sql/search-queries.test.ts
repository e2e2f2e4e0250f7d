/** @module The search's SQLite plans: every path reads only the user's spans, through keys and ranges, never a scan of all messages. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { SEARCH_SCHEMA, searchIndexFile } from "../sqlite/sqlite-search-file.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import { planSearch, postgresContains, queryLength, searchPlanSql } from "./search-queries.js";

const dir = mkdtempSync(join(tmpdir(), "haetae-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("picks the index for a long query over a large history only, and never scans a table whole", () => {
  expect(planSearch(3, 20_000, 40)).toEqual({ useIndex: false, window: 2_147_483_647 });
  expect(planSearch(3, 20_001, 40)).toEqual({ useIndex: true, window: 2_147_483_647 });
  expect(planSearch(2, 1_000_000, 40)).toEqual({ useIndex: false, window: 500 });
  // SQLite: many small spans are read outright (the index is read once per span); few large ones by the index.
  expect(planSearch(3, 100_000, 1_000, "sqlite")).toEqual({ useIndex: false, window: 2_147_483_647 });
  expect(planSearch(3, 100_000, 1_000, "postgres")).toEqual({ useIndex: true, window: 2_147_483_647 });
  expect(planSearch(3, 100_000, 200, "sqlite")).toEqual({ useIndex: true, window: 2_147_483_647 });
  expect(planSearch(2, 100_000, 1_000, "sqlite")).toEqual({ useIndex: false, window: 20 });
});

it("lowers PostgreSQL's text only as far as the query needs: not for Korean, ASCII for ASCII, fully otherwise", () => {
  expect(postgresContains("회의록 2026")).toBe("strpos(m.text, ?) > 0");
  expect(postgresContains("deploy 서버")).toBe("strpos(lower(m.text), ?) > 0");
  expect(postgresContains("deploy server")).toBe('strpos(lower(m.text COLLATE "C"), ?) > 0');
  expect(postgresContains("café")).toBe("strpos(lower(m.text), ?) > 0");
});

it("reads the index by each span's rowid range, and a short query by each chat's newest seqs", async () => {
  const store = openSqliteStore(dir);
  await store.ping();
  await store.close();
  const db = new Database(join(dir, "haetae.db"), { readonly: true });
  // As the store's reader has it: the index in its own file.
  db.prepare(`ATTACH DATABASE ? AS ${SEARCH_SCHEMA}`).run(searchIndexFile(join(dir, "haetae.db")));
  try {
    for (const query of ["회의록", "ab", 'NEAR("*'])
      for (const scope of [{}, { conversationId: "c" }, { senderId: "u", hasFile: true }])
        for (const history of [500, 5_000_000]) {
          const plan = planSearch(queryLength(query), history, 10);
          const { sql, params } = searchPlanSql("sqlite", { userId: "u", query, limit: 20, ...scope }, plan);
          const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
            (r) => r.detail,
          );
          const where = JSON.stringify({ query, scope, plan, steps });
          // No table is scanned whole (but `search_index`, one row: the index's watermark, and
          // `p`, the messages changed past it); the messages are reached by their key.
          const small = ["SCAN search_index", "SCAN p"];
          expect(
            steps.filter((d) => d.startsWith("SCAN ") && !d.includes("VIRTUAL TABLE") && !small.includes(d)),
            where,
          ).toEqual([]);
          // What the index does not hold yet: from the events past its watermark, by their ids,
          // and from there to the user's spans, never the other way round.
          if (plan.useIndex) {
            expect(steps, where).toContain("SEARCH events USING INTEGER PRIMARY KEY (rowid>?)");
            expect(steps, where).toContain("SEARCH s USING PRIMARY KEY (user_id=? AND conversation_id=?)");
          }
          expect(
            steps.some((d) => /^SEARCH m USING PRIMARY KEY \(conversation_id=\? AND seq/.test(d)),
            where,
          ).toBe(true);
          // FTS5 gets the MATCH and both ends of the rowid range (idxStr "M…><").
          if (plan.useIndex)
            expect(
              steps.some((d) => /VIRTUAL TABLE INDEX \d+:M\d*></.test(d)),
              where,
            ).toBe(true);
        }
  } finally {
    db.close();
  }
});
