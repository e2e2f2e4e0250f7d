/**
 * @module The store contract of message search and pinned notices, run on every adapter named in
 * STORES (default "sqlite,postgres"): both stores answer every search the same.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../test/services.js";
import type { Conversation } from "../protocol/index.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import { fileInfo, type MessageSearch, type Store } from "./store.js";

const ADAPTERS: Record<string, () => { open(): Promise<Store>; dispose(): Promise<void> | void }> = {
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "haetae-search-"));
    return { open: async () => openSqliteStore(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  },
  postgres: () => {
    const schema = freshSchema();
    return { open: () => openPostgresStore(postgresUrlWithSchema(schema)), dispose: () => dropSchema(schema) };
  },
};
const selected = (process.env.STORES ?? "sqlite,postgres").split(",").map((s) => s.trim());
for (const name of selected) if (!ADAPTERS[name]) throw new Error(`STORES names "${name}", which has no adapter`);

let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;
/** Distinct, increasing instants, so newest-first order is known in advance. */
let clock = Date.parse("2024-03-01T09:00:00.000Z");
function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

describe.each(selected)("store search contract: %s", (name) => {
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

  async function user() {
    const username = uid("u");
    return store.createUser({ id: uid("id"), username, displayName: username, passwordHash: "x", createdAt: tick() });
  }
  async function groupOf(ownerId: string, memberIds: string[]): Promise<Conversation> {
    const conversation = { id: uid("conv"), kind: "group" as const, memberIds, createdAt: tick(), createdBy: ownerId };
    return (await store.createGroup(conversation)).value;
  }
  async function send(conversationId: string, senderId: string, text: string, files = false) {
    let attached = {};
    if (files) {
      const record = {
        id: uid("file"),
        ownerId: senderId,
        name: "a.pdf",
        size: 10,
        contentType: "application/pdf",
        sha256: String(counter % 10).repeat(64),
        createdAt: tick(),
      };
      const { file } = await store.insertFile({ ...record, name: `${record.id}.pdf` });
      attached = { files: [fileInfo(file)] };
    }
    const written = await store.appendMessage({
      id: uid("m"),
      conversationId,
      senderId,
      clientMsgId: uid("c"),
      text,
      createdAt: tick(),
      mentions: [],
      mentionsAll: false,
      ...attached,
    });
    return written.value;
  }
  /**
   * The texts found; through the index, by reading outright and by the newest-first walk alike
   * (the plan changes the cost, never the answer).
   */
  async function find(userId: string, query: string, more: Partial<MessageSearch> = {}): Promise<string[]> {
    const texts = async (force?: MessageSearch["force"]) =>
      (await store.searchMessages({ userId, query, limit: 50, ...more, ...(force ? { force } : {}) })).messages.map(
        (m) => m.text,
      );
    const [auto, viaIndex, viaScan, viaWalk] = [
      await texts(),
      await texts("index"),
      await texts("scan"),
      await texts("walk"),
    ];
    expect({ query, viaIndex, viaScan, viaWalk }).toEqual({ query, viaIndex: auto, viaScan: auto, viaWalk: auto });
    return auto;
  }

  it("finds Korean as typed (two characters too) and English case-insensitively, newest first", async () => {
    const a = await user();
    const g = await groupOf(a.id, [a.id]);
    await send(g.id, a.id, "내일회의는 10시입니다");
    await send(g.id, a.id, "회의록 올렸어요");
    await send(g.id, a.id, "Hello World of Search");
    await send(g.id, a.id, "nothing here");
    expect(await find(a.id, "회의")).toEqual(["회의록 올렸어요", "내일회의는 10시입니다"]);
    expect(await find(a.id, "회의는")).toEqual(["내일회의는 10시입니다"]);
    expect(await find(a.id, "내일회의는 10")).toEqual(["내일회의는 10시입니다"]);
    expect(await find(a.id, "HELLO world")).toEqual(["Hello World of Search"]);
    expect(await find(a.id, "wo")).toEqual(["Hello World of Search"]);
    expect(await find(a.id, "of search", { conversationId: g.id })).toEqual(["Hello World of Search"]);
    expect(await find(a.id, "회의 없음")).toEqual([]);
  });

  it("takes FTS syntax and SQL wildcards as the characters they are, never as syntax", async () => {
    const a = await user();
    const g = await groupOf(a.id, [a.id]);
    await send(g.id, a.id, 'say "hi" NEAR(x y) -minus * star');
    await send(g.id, a.id, "50% off_now");
    await send(g.id, a.id, "abc plain");
    for (const query of ['"', '""', "*", "NEAR", "-", "NEAR(x", "AND OR NOT", "^x", "a:b", "{x}", "(", "\\"]) {
      await expect(find(a.id, query.length < 2 ? `${query}${query}` : query)).resolves.toBeDefined();
    }
    expect(await find(a.id, '"hi"')).toEqual(['say "hi" NEAR(x y) -minus * star']);
    expect(await find(a.id, "NEAR(x")).toEqual(['say "hi" NEAR(x y) -minus * star']);
    expect(await find(a.id, "-minus *")).toEqual(['say "hi" NEAR(x y) -minus * star']);
    expect(await find(a.id, "0%")).toEqual(["50% off_now"]);
    expect(await find(a.id, "% off_")).toEqual(["50% off_now"]);
    expect(await find(a.id, "a_c")).toEqual([]);
    expect(await find(a.id, "%%")).toEqual([]);
    expect(await find(a.id, "__")).toEqual([]);
    expect(await find(a.id, "a%c")).toEqual([]);
  });

  it("finds only what was sent while the user was a member, and nothing of a chat they left (G7)", async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const g = await groupOf(a.id, [a.id, b.id]);
    await send(g.id, a.id, "before-c joined");
    await store.addMembers(g.id, [c.id], a.id, tick(), 100);
    await send(g.id, a.id, "while-c first stay");
    await store.removeMember(g.id, c.id, a.id, tick());
    await send(g.id, a.id, "between-c stays");
    await store.addMembers(g.id, [c.id], a.id, tick(), 100);
    await send(g.id, a.id, "while-c second stay");
    expect(await find(c.id, "-c ")).toEqual(["while-c second stay", "while-c first stay"]);
    expect(await find(c.id, "-c")).toEqual(["while-c second stay", "while-c first stay"]);
    expect(await find(a.id, "-c ")).toHaveLength(4);
    await store.removeMember(g.id, b.id, a.id, tick());
    expect(await find(b.id, "-c ")).toEqual([]);
    expect(await find(b.id, "-c")).toEqual([]);
    const outsider = await user();
    expect(await find(outsider.id, "while")).toEqual([]);
    expect(await find(outsider.id, "wh", { conversationId: g.id })).toEqual([]);
  });

  it("never finds a deleted message, and an edited one by its new text only", async () => {
    const a = await user();
    const g = await groupOf(a.id, [a.id]);
    const gone = await send(g.id, a.id, "secret plan alpha");
    const edited = await send(g.id, a.id, "first draft wording");
    await store.deleteMessage(g.id, gone.seq, tick(), a.id);
    await store.editMessage(g.id, edited.seq, "final text wording", [], false, tick(), a.id);
    expect(await find(a.id, "secret")).toEqual([]);
    expect(await find(a.id, "pl")).toEqual([]);
    expect(await find(a.id, "draft")).toEqual([]);
    expect(await find(a.id, "dr")).toEqual([]);
    expect(await find(a.id, "final")).toEqual(["final text wording"]);
    expect(await find(a.id, "wording")).toEqual(["final text wording"]);
  });

  it("filters by chat, sender, time and files, and pages newest first without a gap or a repeat", async () => {
    const [a, b] = [await user(), await user()];
    const g1 = await groupOf(a.id, [a.id, b.id]);
    const g2 = await groupOf(a.id, [a.id, b.id]);
    const sent: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 12; i++) {
      sent.push(await send(i % 2 ? g1.id : g2.id, i % 3 ? a.id : b.id, `report ${i} 보고서`, i % 4 === 0));
    }
    const texts = (ms: typeof sent) => ms.map((m) => m.text).reverse();
    expect(await find(a.id, "report")).toEqual(texts(sent));
    expect(await find(a.id, "보고", { conversationId: g1.id })).toEqual(
      texts(sent.filter((m) => m.conversationId === g1.id)),
    );
    expect(await find(a.id, "report", { senderId: b.id })).toEqual(texts(sent.filter((m) => m.senderId === b.id)));
    expect(await find(a.id, "report", { hasFile: true })).toEqual(texts(sent.filter((m) => m.files)));
    expect(await find(a.id, "보고서", { hasFile: false })).toEqual(texts(sent.filter((m) => !m.files)));
    const [from, to] = [sent[3]?.createdAt as string, sent[8]?.createdAt as string];
    expect(await find(a.id, "report", { createdAfter: from, createdBefore: to })).toEqual(texts(sent.slice(4, 8)));
    for (const [query, force] of [
      ["report", "index"],
      ["보고", "index"],
      ["report", "walk"],
    ] as const) {
      const pages: string[] = [];
      let last: MessageSearch["from"];
      for (;;) {
        const page = await store.searchMessages({
          userId: b.id,
          query,
          limit: 5,
          force,
          ...(last ? { from: last } : {}),
        });
        pages.push(...page.messages.map((m) => m.text));
        const end = page.messages.at(-1);
        if (!page.hasMore || !end) break;
        last = { createdAt: end.createdAt, conversationId: end.conversationId, seq: end.seq };
      }
      expect(pages).toEqual(texts(sent));
    }
  });

  it("pins a group's message for its owner only, and a delete takes the notice down", async () => {
    const [a, b] = [await user(), await user()];
    const g = await groupOf(a.id, [a.id, b.id]);
    const m = await send(g.id, b.id, "the notice");
    await expect(store.setPinned(g.id, { seq: m.seq, at: tick() }, b.id, tick())).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(store.setPinned(g.id, { seq: 99, at: tick() }, a.id, tick())).rejects.toMatchObject({
      code: "message_not_found",
    });
    const pinned = await store.setPinned(g.id, { seq: m.seq, at: tick() }, a.id, tick());
    expect(pinned.value.pinned).toMatchObject({ seq: m.seq, byUserId: a.id });
    expect(pinned.event).toMatchObject({ type: "conversation.updated", conversation: { pinned: { seq: m.seq } } });
    expect((await store.setPinned(g.id, { seq: m.seq, at: tick() }, a.id, tick())).event).toBeNull();
    expect((await store.getConversation(g.id))?.pinned?.seq).toBe(m.seq);
    await store.deleteMessage(g.id, m.seq, tick(), b.id);
    expect((await store.getConversation(g.id))?.pinned).toBeUndefined();
    await expect(store.setPinned(g.id, { seq: m.seq, at: tick() }, a.id, tick())).rejects.toMatchObject({
      code: "message_deleted",
    });
    expect((await store.setPinned(g.id, null, a.id, tick())).event).toBeNull();
  });
});
