/** @module Checkpoints of an idle and of a busy SQLite store: the writer thread's own in its pauses, the checkpointer thread only while writes leave it none, and a store that writes on the calling thread. */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { SqlStore } from "../sql/sql-store.js";
import { CHECKPOINT_INTERVAL_MS, OnDemandCheckpointer } from "./sqlite-checkpointer.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { openSqliteStore } from "./sqlite-store.js";

let counter = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Frames in the WAL and how many of them are in the database file, read by a connection of its own. */
function walFrames(file: string): { log: number; checkpointed: number } {
  const db = new Database(file);
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number; checkpointed: number }[];
    return { log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  } finally {
    db.close();
  }
}

describe("sqlite checkpoints", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function fresh(options: { inlineWriter?: boolean } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "haetae-checkpoint-idle-"));
    const store = openSqliteStore(dir, options);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => store.close());
    return { store, driver: (store as SqlStore).driver as SqliteDriver, file: join(dir, "haetae.db") };
  }

  const user = (store: SqlStore) =>
    store.createUser({
      id: `id-${++counter}`,
      username: `u${++counter}`,
      displayName: "U",
      passwordHash: "x",
      createdAt: new Date().toISOString(),
    });

  it("an idle store's writer checkpoints in its pause, with no checkpointer thread", async () => {
    const { store, driver, file } = fresh();
    const written = () => statSync(file).mtimeMs;
    const opened = written();
    for (let i = 0; i < 3; i++) {
      await user(store as SqlStore);
      await sleep(50);
    }
    // While writes come, the commits stay in the WAL: the database file is untouched…
    expect(written()).toBe(opened);
    await sleep(CHECKPOINT_INTERVAL_MS * 3);
    // …after a pause, the writer has copied them into it, and nothing is left to copy.
    expect(written()).toBeGreaterThan(opened);
    const frames = walFrames(file);
    expect(frames.log).toBeGreaterThan(0);
    expect(frames.checkpointed).toBe(frames.log);
    expect(driver.checkpointerRunning).toBe(false);
  });

  it("a stream of commits starts the checkpointer thread within a second", async () => {
    const { store, driver } = fresh();
    const started = Date.now();
    while (!driver.checkpointerRunning && Date.now() - started < 10_000) await user(store as SqlStore);
    expect(driver.checkpointerRunning).toBe(true);
    // Not before the stream lasted a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("the checkpointer thread ends after a quiet spell; a probe's burst does not start it, a long batch does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "haetae-checkpoint-idle-"));
    const file = join(dir, "db.sqlite");
    new Database(file).pragma("journal_mode = WAL");
    const checkpointer = new OnDemandCheckpointer(file, 1000, 200, 20);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => checkpointer.close());
    const batch = (start: number, end: number) => {
      checkpointer.batchStarted(start);
      checkpointer.batchEnded(end);
    };
    let t = Date.now() - 100_000;
    // A burst of ten commits 10 ms apart, then a pause: the writer checkpoints itself.
    for (let i = 0; i < 10; i++, t += 10) batch(t, t + 5);
    t += 1000;
    batch(t, t + 5);
    expect(checkpointer.running).toBe(false);
    // Commits 15 ms apart for over a second: a stream.
    for (let i = 0; i < 80; i++, t += 15) batch(t, t + 10);
    expect(checkpointer.running).toBe(true);
    await sleep(600);
    expect(checkpointer.running).toBe(false);
    // One batch of 1.5 s leaves the writer no pause either.
    t = Date.now();
    batch(t, t + 1500);
    expect(checkpointer.running).toBe(true);
  });

  it("a brief store writes on the calling thread and reads its writes", async () => {
    const { store, driver } = fresh({ inlineWriter: true });
    const alice = await user(store as SqlStore);
    expect((await store.getUserByUsername(alice.username))?.id).toBe(alice.id);
    await expect(driver.writerThread()).rejects.toThrow(/calling thread/);
    expect(driver.checkpointerRunning).toBe(false);
  });
});
