/** @module The search's SQLite plans: every path reads only the user's spans, through keys and ranges, never a scan of all messages. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import { searchPlanSql } from "./search-queries.js";

const dir = mkdtempSync(join(tmpdir(), "haetae-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("reads the index by each span's rowid range, and a short query by each chat's newest seqs", async () => {
  const store = openSqliteStore(dir);
  await store.ping();
  await store.close();
  const db = new Database(join(dir, "haetae.db"), { readonly: true });
  try {
    for (const query of ["회의록", "ab", 'NEAR("*'])
      for (const scope of [{}, { conversationId: "c" }, { senderId: "u", hasFile: true }]) {
        const { sql, params } = searchPlanSql("sqlite", { userId: "u", query, limit: 20, ...scope }, 10);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
          (r) => r.detail,
        );
        const where = JSON.stringify({ query, scope, plan });
        // No table is scanned whole; the messages are reached by their key.
        expect(
          plan.filter((d) => d.startsWith("SCAN ") && !d.includes("VIRTUAL TABLE")),
          where,
        ).toEqual([]);
        expect(
          plan.some((d) => /^SEARCH m USING PRIMARY KEY \(conversation_id=\? AND seq/.test(d)),
          where,
        ).toBe(true);
        // FTS5 gets the MATCH and both ends of the rowid range (idxStr "M…><").
        if (query.length >= 3)
          expect(
            plan.some((d) => /VIRTUAL TABLE INDEX \d+:M\d*></.test(d)),
            where,
          ).toBe(true);
      }
  } finally {
    db.close();
  }
});
