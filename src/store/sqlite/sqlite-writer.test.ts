/** @module What a crash of the SQLite writer thread does to writes: those in flight fail `unavailable`, none is acknowledged, and the thread comes back (or the node goes unready). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Conversation } from "../../protocol/index.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { AppendMessageInput } from "../store.js";
import { StoreUnavailableError } from "../store-errors.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { openSqliteStore } from "./sqlite-store.js";

const now = () => new Date().toISOString();
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

function msg(conversationId: string, senderId: string, clientMsgId = uid("c")): AppendMessageInput {
  return {
    id: uid("m"),
    conversationId,
    senderId,
    clientMsgId,
    text: "hi",
    createdAt: now(),
    mentions: [],
    mentionsAll: false,
  };
}

describe("sqlite writer thread", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fresh() {
    const dir = mkdtempSync(join(tmpdir(), "haetae-writer-"));
    const store = openSqliteStore(dir);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
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
    return { store, driver: (store as SqlStore).driver as SqliteDriver, alice, conversation };
  }

  /** Queue `n` sends and kill the thread once a batch of them is in its hands. */
  async function crashDuringSends(driver: SqliteDriver, sends: () => Promise<unknown>[]) {
    const writer = await driver.writerThread();
    const settled = Promise.allSettled(sends());
    while (writer.requestsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    await writer.kill();
    return settled;
  }

  it("fails the writes in flight as unavailable, acknowledges none of them, and restarts", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const inputs = Array.from({ length: 50 }, () => msg(conversation.id, alice.id));
    const results = await crashDuringSends(driver, () => inputs.map((input) => store.appendMessage(input)));
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect((await driver.writerThread()).restarts).toBe(1);

    // The retries (same clientMsgId, as a client does after `unavailable`) all land exactly once,
    // and the ones that were acknowledged before the crash are still there.
    const retried = await Promise.all(inputs.map((input) => store.appendMessage(input)));
    const seqs = retried.map((r) => r.value.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const acked = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    for (const i of acked) expect(retried[i]?.duplicate).toBe(true);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("refuses the COMMIT of a transaction in which a group failed as a whole, so none of it is kept", async () => {
    const { store, driver, alice, conversation } = await fresh();
    const connection = (await driver.writerThread()).connection();
    await connection.begin();
    const sent = msg(conversation.id, alice.id);
    // The group and the COMMIT are posted together, as the group commit does: the second group
    // fails as a whole (its kind is unknown to the thread) after the first one wrote its message.
    const written = connection.runGroup?.({ name: "appendMessages", runOne: vi.fn(), runMany: vi.fn() }, [sent]);
    const unknown = connection.runGroup?.({ name: "no such kind", runOne: vi.fn(), runMany: vi.fn() }, [{}]);
    const committed = connection.commit();
    await expect(written).resolves.toEqual([expect.objectContaining({ ok: true })]);
    await expect(unknown).rejects.toThrow("unknown batchable write");
    await expect(committed).rejects.toThrow("not committed");
    await connection.rollback();
    expect(await store.findByClientMsgId(alice.id, sent.clientMsgId)).toBeNull();
    // The next transaction commits as usual.
    await expect(store.appendMessage(msg(conversation.id, alice.id))).resolves.toMatchObject({ value: { seq: 1 } });
  });

  it("stops restarting after repeated crashes: every write and ping fails unavailable", async () => {
    const { store, driver, alice, conversation } = await fresh();
    for (let i = 0; i < 3; i++) {
      await crashDuringSends(driver, () => [store.appendMessage(msg(conversation.id, alice.id))]);
    }
    expect(driver.writerThreadRunning).toBe(true);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.appendMessage(msg(conversation.id, alice.id))).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
