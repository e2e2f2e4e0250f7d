/**
 * @module The store contract of kept push retries, run on every adapter named in STORES (default
 * "sqlite,postgres"): kept across a reopen, handed to exactly one taker, listed soonest first
 * within a limit, and dropped once stale.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../test/services.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { PushRetryRecord, Store } from "./store.js";

const ADAPTERS: Record<string, () => { open(): Promise<Store>; dispose(): Promise<void> | void }> = {
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "haetae-retries-"));
    return { open: async () => openSqliteStore(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  },
  postgres: () => {
    const schema = freshSchema();
    return { open: () => openPostgresStore(postgresUrlWithSchema(schema)), dispose: () => dropSchema(schema) };
  },
};
const selected = (process.env.STORES ?? "sqlite,postgres").split(",").map((s) => s.trim());
for (const name of selected) if (!ADAPTERS[name]) throw new Error(`STORES names "${name}", which has no adapter`);

const T0 = Date.parse("2024-05-01T09:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const EPOCH = new Date(0).toISOString();

function retry(id: string, dueSeconds: number): PushRetryRecord {
  return {
    id,
    endpoint: `https://push.example/${id}`,
    userId: "u1",
    payload: { conversationId: "c1", seq: 7, title: "민수 · 점심", body: "12시에 봐요" },
    attempt: 2,
    dueAt: at(dueSeconds),
  };
}

describe.each(selected)("store push retries contract: %s", (name) => {
  let place: ReturnType<NonNullable<(typeof ADAPTERS)[string]>>;
  let store: Store;
  beforeAll(async () => {
    place = (ADAPTERS[name] as (typeof ADAPTERS)[string])();
    store = await place.open();
  });
  afterAll(async () => {
    await store?.close();
    await place?.dispose();
  });

  it("keeps a retry across a reopen, and hands it to exactly one of two takers", async () => {
    await store.addPushRetry(retry("r-keep", 5));
    await store.close();
    store = await place.open();
    expect(await store.pendingPushRetries(10, EPOCH)).toEqual([retry("r-keep", 5)]);
    const other = await place.open();
    try {
      const taken = await Promise.all([store.claimPushRetry("r-keep"), other.claimPushRetry("r-keep")]);
      expect(taken.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
    expect(await store.claimPushRetry("r-keep")).toBe(false);
    expect(await store.pendingPushRetries(10, EPOCH)).toEqual([]);
  });

  it("lists the soonest due first within the limit, and drops the stale ones", async () => {
    for (const [id, due] of [
      ["r-late", 30],
      ["r-soon", 10],
      ["r-stale", -100],
      ["r-mid", 20],
    ] as const) {
      await store.addPushRetry(retry(id, due));
    }
    expect((await store.pendingPushRetries(2, EPOCH)).map((r) => r.id)).toEqual(["r-stale", "r-soon"]);
    expect((await store.pendingPushRetries(10, at(0))).map((r) => r.id)).toEqual(["r-soon", "r-mid", "r-late"]);
    // Dropped for good, not only left out of the list.
    expect(await store.claimPushRetry("r-stale")).toBe(false);
    for (const id of ["r-soon", "r-mid", "r-late"]) expect(await store.claimPushRetry(id)).toBe(true);
  });
});
