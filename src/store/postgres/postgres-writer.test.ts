/** @module The PostgreSQL writer thread on a real server: a crash of the thread and a cut of its connection fail only the writes in flight, as `unavailable`, and writing goes on. */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../../../test/services.js";
import type { Conversation } from "../../protocol/index.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { AppendMessageInput } from "../store.js";
import { StoreInvalidValueError, StoreUnavailableError } from "../store-errors.js";
import type { PostgresDriver } from "./postgres-driver.js";
import { openPostgresStore } from "./postgres-store.js";

const now = () => new Date().toISOString();
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

function msg(conversationId: string, senderId: string): AppendMessageInput {
  return {
    id: uid("m"),
    conversationId,
    senderId,
    clientMsgId: uid("c"),
    text: "hi",
    createdAt: now(),
    mentions: [],
    mentionsAll: false,
  };
}

describe("postgres writer thread", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fresh() {
    const schema = freshSchema();
    const store = (await openPostgresStore(postgresUrlWithSchema(schema))) as SqlStore;
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => store.close());
    const alice = await store.createUser({
      id: uid("id"),
      username: uid("a"),
      displayName: "A",
      passwordHash: "x",
      createdAt: now(),
    });
    const conversation: Conversation = {
      id: uid("conv"),
      kind: "group",
      memberIds: [alice.id],
      createdAt: now(),
      createdBy: alice.id,
      title: "g",
    };
    await store.createGroup(conversation);
    return { store, driver: store.driver as PostgresDriver, alice, conversation };
  }

  it("fails the writes in flight when the thread dies, acknowledges none of them, and restarts", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const inputs = Array.from({ length: 50 }, () => msg(conversation.id, alice.id));
    const settled = Promise.allSettled(inputs.map((input) => store.appendMessage(input)));
    while (driver.writer.requestsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    await driver.writer.kill();
    const results = await settled;
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(driver.writer.restarts).toBe(1);
    // The dead thread's transaction was rolled back with its connection, and its lock let go:
    // the retries (same clientMsgId) all land exactly once, in a gap-free run of seqs.
    const retried = await Promise.all(inputs.map((input) => store.appendMessage(input)));
    expect(retried.map((r) => r.value.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const [i, r] of results.entries()) if (r.status === "fulfilled") expect(retried[i]?.duplicate).toBe(true);
  });

  it("replaces a connection the database cut, without a restart of the thread", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const pidOf = async () =>
      (await driver.write((tx) => tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid")))?.pid;
    const before = await pidOf();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [before]);
    await admin.end();
    let stored = false;
    for (let i = 0; i < 20 && !stored; i++) {
      try {
        await store.appendMessage(msg(conversation.id, alice.id));
        stored = true;
      } catch (error) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(stored).toBe(true);
    expect(driver.writer.restarts).toBe(0);
    expect(await pidOf()).not.toBe(before);
  });

  it("classifies a value PostgreSQL refuses as a store-level invalid value, on reads and writes, keeping the connection", async () => {
    const { driver } = await fresh();
    const outOfRange = "SELECT ?::smallint AS n"; // 22003 numeric_value_out_of_range
    await expect(driver.reader.get(outOfRange, [100_000])).rejects.toBeInstanceOf(StoreInvalidValueError);
    const pidOf = async () =>
      (await driver.write((tx) => tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid")))?.pid;
    const before = await pidOf();
    await expect(driver.write((tx) => tx.get(outOfRange, [100_000]))).rejects.toBeInstanceOf(StoreInvalidValueError);
    expect(await pidOf()).toBe(before);
  });

  it("sends a batch of sends to the writer thread as its locks and one group with its COMMIT, BEGIN carried along", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const requests: { op: string; begin?: boolean; commit?: boolean }[] = [];
    const request = driver.writer.request.bind(driver.writer);
    driver.writer.request = (r) => {
      requests.push(r as (typeof requests)[number]);
      return request(r);
    };
    // One batch: three sends, the middle one's text refused by PostgreSQL (a NUL), so that the
    // group's one statement fails and it runs again one send at a time, inside the same request.
    const sends = [
      store.appendMessage(msg(conversation.id, alice.id)),
      store.appendMessage({ ...msg(conversation.id, alice.id), text: "nul \u0000 here" }),
      store.appendMessage(msg(conversation.id, alice.id)),
    ];
    const settled = await Promise.allSettled(sends);
    expect(settled.map((r) => (r.status === "fulfilled" ? r.value.value.seq : (r.reason as Error).name))).toEqual([
      1,
      StoreInvalidValueError.name,
      2,
    ]);
    expect(requests.map((r) => [r.op, r.begin ?? false, r.commit ?? false])).toEqual([
      ["exec", true, false], // BEGIN, then the lock on the conversation
      ["group", false, true], // the three sends, then COMMIT
    ]);
    expect((await store.history(conversation.id, { limit: 10 })).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("keeps a group whose savepoint is left to COMMIT when a later write or group of its batch fails", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const seqs = (settled: PromiseSettledResult<{ value: { seq: number } }>[]) =>
      settled.map((r) => (r.status === "fulfilled" ? r.value.value.seq : (r.reason as Error).name));
    // Queued in one turn: one batch. A group of two sends (its savepoint left open), a write that
    // fails in a savepoint of its own, then a group whose one statement PostgreSQL refuses (a NUL
    // in a text), which is undone to its own savepoint and run again one send at a time.
    const first = [
      store.appendMessage(msg(conversation.id, alice.id)),
      store.appendMessage(msg(conversation.id, alice.id)),
    ];
    const failing = driver.write(
      async (tx) => {
        await tx.run("UPDATE conversations SET title = ? WHERE id = ?", ["renamed", conversation.id]);
        await tx.get("SELECT ?::smallint AS n", [100_000]);
      },
      [conversation.id],
    );
    const second = [
      store.appendMessage(msg(conversation.id, alice.id)),
      store.appendMessage({ ...msg(conversation.id, alice.id), text: "nul \u0000 here" }),
      store.appendMessage(msg(conversation.id, alice.id)),
    ];
    expect(seqs(await Promise.allSettled(first))).toEqual([1, 2]);
    await expect(failing).rejects.toBeInstanceOf(StoreInvalidValueError);
    expect(seqs(await Promise.allSettled(second))).toEqual([3, StoreInvalidValueError.name, 4]);
    // What the batch committed: both groups' messages, gap-free, and not the failed write's rename.
    expect((await store.history(conversation.id, { limit: 10 })).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(await store.lastSeq(conversation.id)).toBe(4);
    expect((await store.getConversation(conversation.id))?.title).toBe("g");
  });
});
