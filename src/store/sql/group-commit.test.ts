/**
 * The group commit's locking without waiting: writes of a conversation another node holds are
 * left for a later batch, keep their order, and after a few tries are waited for.
 */
import { describe, expect, it } from "vitest";
import { type BatchConnection, GroupCommit } from "./group-commit.js";
import type { SqlExecutor } from "./sql-driver.js";

const exec: SqlExecutor = {
  get: async () => undefined,
  all: async () => [],
  run: async () => ({ changes: 0 }),
};

/** A connection whose conversations in `heldElsewhere` another node holds for `holdFor` lockFree calls. */
function fakeDatabase(heldElsewhere: Set<string>, holdFor: number) {
  const log: { waited: string[][]; freeCalls: number; commits: number } = { waited: [], freeCalls: 0, commits: 0 };
  const connection = (): BatchConnection => ({
    exec,
    begin: async () => undefined,
    lock: async (keys) => {
      log.waited.push([...keys]);
    },
    lockFree: async (keys) => {
      log.freeCalls += 1;
      return keys.filter((key) => !heldElsewhere.has(key) || log.freeCalls > holdFor);
    },
    commit: async () => {
      log.commits += 1;
    },
    rollback: async () => undefined,
    release: () => undefined,
  });
  return { log, acquire: async () => connection() };
}

describe("group commit, locking without waiting", () => {
  it("leaves a conversation another node holds for a later batch, in order, and runs the rest now", async () => {
    const { log, acquire } = fakeDatabase(new Set(["b"]), 1);
    const commits = new GroupCommit(acquire);
    const ran: string[] = [];
    const write = (key: string, n: number) =>
      commits.run(async () => {
        ran.push(`${key}${n}`);
        return `${key}${n}`;
      }, [key]);
    const results = await Promise.all([write("a", 1), write("b", 1), write("a", 2), write("b", 2), write("c", 1)]);
    expect(results).toEqual(["a1", "b1", "a2", "b2", "c1"]);
    // The first batch ran a and c; b's writes ran in the next, still b1 before b2.
    expect(ran).toEqual(["a1", "a2", "c1", "b1", "b2"]);
    expect(log.commits).toBe(2);
    expect(log.waited).toEqual([]);
  });

  it("waits for the lock once a write has been left for later twice", async () => {
    const { log, acquire } = fakeDatabase(new Set(["b"]), Number.POSITIVE_INFINITY);
    const commits = new GroupCommit(acquire);
    const ran: string[] = [];
    const write = (key: string, n: number) =>
      commits.run(async () => {
        ran.push(`${key}${n}`);
      }, [key]);
    await Promise.all([write("a", 1), write("b", 1), write("b", 2)]);
    expect(ran).toEqual(["a1", "b1", "b2"]);
    // Two batches without b (a's, then an empty one), then the third waits for b's lock.
    expect(log.waited).toEqual([["b"]]);
    expect(log.commits).toBe(3);
  });
});
