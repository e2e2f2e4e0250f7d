/** @module The SQLite writer's two lanes: the main thread while writes trickle, the writer thread while they stream, and nothing lost, doubled or reordered as writes move between them. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Conversation } from "../../protocol/index.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { AppendMessageInput } from "../store.js";
import type { SqliteDriver, SqliteDriverOptions } from "./sqlite-driver.js";
import { openSqliteStore } from "./sqlite-store.js";

const now = () => new Date().toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

describe("sqlite writer lanes", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fresh(options: SqliteDriverOptions = {}) {
    const dir = mkdtempSync(join(tmpdir(), "haetae-lanes-"));
    const store = openSqliteStore(dir, options);
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
    const msg = (clientMsgId = uid("c")): AppendMessageInput => ({
      id: uid("m"),
      conversationId: conversation.id,
      senderId: alice.id,
      clientMsgId,
      text: clientMsgId,
      createdAt: now(),
      mentions: [],
      mentionsAll: false,
    });
    return { store, driver: (store as SqlStore).driver as SqliteDriver, msg, conversation };
  }

  it("writes a trickle on the main thread and starts no thread for it", async () => {
    const { store, driver, msg } = await fresh();
    for (let i = 0; i < 4; i++) {
      await store.appendMessage(msg());
      await sleep(300);
    }
    expect(driver.writerThreadRunning).toBe(false);
    expect(driver.checkpointerRunning).toBe(false);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("moves a stream of writes to the writer thread and back after a quiet spell, losing, doubling and reordering none", async () => {
    const { store, driver, msg, conversation } = await fresh({ writerThreadIdleMs: 400 });
    const sent: string[] = [];
    const acked: { clientMsgId: string; seq: number }[] = [];
    // Eight writers, each one append after another, in one conversation: batches follow one another.
    const writeUntil = async (done: () => boolean) => {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (!done()) {
            const input = msg();
            sent.push(input.clientMsgId);
            const { value } = await store.appendMessage(input);
            acked.push({ clientMsgId: input.clientMsgId, seq: value.seq });
          }
        }),
      );
    };
    const started = Date.now();
    await writeUntil(() => driver.writerThreadRunning || Date.now() - started > 15_000);
    expect(driver.writerThreadRunning).toBe(true);
    const onMainThread = acked.length;
    expect(onMainThread).toBeGreaterThan(0);
    // More on the thread, then quiet: the writes come back to the main thread.
    const moved = Date.now();
    await writeUntil(() => Date.now() - moved > 300);
    const quiet = Date.now();
    while (driver.writerThreadRunning && Date.now() - quiet < 10_000) await sleep(50);
    expect(driver.writerThreadRunning).toBe(false);
    for (let i = 0; i < 5; i++) {
      const input = msg();
      sent.push(input.clientMsgId);
      acked.push({ clientMsgId: input.clientMsgId, seq: (await store.appendMessage(input)).value.seq });
    }

    // Every acknowledged write once, in one gap-free order, whichever connection committed it.
    expect(acked.length).toBe(sent.length);
    expect(acked.map((a) => a.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: sent.length }, (_, i) => i + 1));
    const stored = new Map<string, number>();
    for (let afterSeq = 0; ; ) {
      const { messages } = await store.history(conversation.id, { afterSeq, limit: 500 });
      if (messages.length === 0) break;
      for (const m of messages) stored.set(m.clientMsgId ?? "", m.seq);
      afterSeq = messages[messages.length - 1]?.seq ?? afterSeq;
    }
    expect(stored.size).toBe(sent.length);
    for (const { clientMsgId, seq } of acked) expect(stored.get(clientMsgId)).toBe(seq);
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
