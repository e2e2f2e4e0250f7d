/** @module The store contract suite: every adapter named in STORES (default "sqlite") must pass it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../test/services.js";
import { type Conversation, HaetaeError } from "../protocol/index.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { MIGRATIONS } from "./sqlite/migrations.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import { type AppendMessageInput, type Store, StoreConflictError } from "./store.js";

/** An adapter under test: open a store on a place, and reopen the same place (to prove durability). */
interface Adapter {
  name: string;
  /** A fresh, empty place; `open` may be called on it more than once. */
  create(): { open(): Promise<Store>; dispose(): Promise<void> | void };
}

const ADAPTERS: Record<string, Adapter> = {
  sqlite: {
    name: "sqlite",
    create() {
      const dir = mkdtempSync(join(tmpdir(), "haetae-store-"));
      return { open: async () => openSqliteStore(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  postgres: {
    name: "postgres",
    create() {
      const schema = freshSchema();
      return { open: () => openPostgresStore(postgresUrlWithSchema(schema)), dispose: () => dropSchema(schema) };
    },
  },
};

const selected = (process.env.STORES ?? "sqlite,postgres").split(",").map((s) => s.trim());
for (const name of selected) {
  if (!ADAPTERS[name]) throw new Error(`STORES names "${name}", which has no adapter in this suite`);
}

const now = () => new Date().toISOString();
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

async function user(store: Store, name = uid("u")) {
  return store.createUser({ id: uid("id"), username: name, displayName: name, passwordHash: "x", createdAt: now() });
}

function msg(conversationId: string, senderId: string, text: string, clientMsgId = uid("c")): AppendMessageInput {
  return {
    id: uid("m"),
    conversationId,
    senderId,
    clientMsgId,
    text,
    createdAt: now(),
    mentions: [],
    mentionsAll: false,
  };
}

function group(createdBy: string, memberIds: string[]): Conversation {
  return { id: uid("conv"), kind: "group", memberIds, createdAt: now(), createdBy, title: "g" };
}

describe.each(selected.map((n) => ADAPTERS[n] as Adapter))("store contract: $name", (adapter) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function fresh() {
    const place = adapter.create();
    const store = await place.open();
    cleanups.push(() => place.dispose());
    cleanups.push(() => store.close());
    return { store, place };
  }

  it("rejects a second user with the same username", async () => {
    const { store } = await fresh();
    await user(store, "same");
    await expect(user(store, "same")).rejects.toBeInstanceOf(StoreConflictError);
  });

  it("keeps a user's role: user by default, set by username, read by id, shown only to its owner", async () => {
    const { store, place } = await fresh();
    const a = await user(store);
    const b = await store.createUser({
      id: uid("id"),
      username: uid("boss"),
      displayName: "boss",
      passwordHash: "x",
      createdAt: now(),
      role: "admin",
    });
    expect(await store.getRole(a.id)).toBe("user");
    expect(await store.getRole(b.id)).toBe("admin");
    expect(await store.getRole("nobody")).toBeNull();
    expect(await store.setRole(a.username, "staff")).toMatchObject({ id: a.id, role: "staff" });
    expect(await store.setRole("no-such-user", "staff")).toBeNull();
    expect((await store.getUserByUsername(a.username))?.role).toBe("staff");
    // Others see users without their role.
    const seen = await store.getUsers([a.id, b.id]);
    expect(seen.map((u) => u.role)).toEqual([undefined, undefined]);
    await store.close();
    const reopened = await place.open();
    cleanups.push(() => reopened.close());
    expect(await reopened.getRole(a.id)).toBe("staff");
  });

  it("writes lastSeenAt of many devices in one call, and of none else", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const made = "2026-01-01T00:00:00.000Z";
    const expires = "2099-01-01T00:00:00.000Z";
    const ids = Array.from({ length: 520 }, () => uid("dev"));
    await Promise.all(
      ids.map((id) =>
        store.createDevice(
          { id, userId: a.id, name: "d", createdAt: made, lastSeenAt: made, expiresAt: expires },
          `h-${id}`,
        ),
      ),
    );
    const later = "2026-06-01T12:00:00.000Z";
    // More than one statement's chunk of ids, and one that names no device.
    await store.touchDevices([...ids.slice(0, 510), "no-such-device"], later);
    await store.touchDevices([], later);
    const seen = new Map((await store.listDevices(a.id, now())).map((d) => [d.id, d.lastSeenAt]));
    expect(ids.slice(0, 510).every((id) => seen.get(id) === later)).toBe(true);
    expect(ids.slice(510).map((id) => seen.get(id))).toEqual(Array(10).fill(made));
  });

  it("rotates device keys, and a password change keeps only the current device's login and keys", async () => {
    const { store } = await fresh();
    const [a, b] = [await user(store), await user(store)];
    const made = now();
    const expires = "2099-01-01T00:00:00.000Z";
    const device = (id: string, keyHash: string, userId = a.id, replaces?: string, expiresAt = expires) =>
      store.createDevice({ id, userId, name: id, createdAt: made, lastSeenAt: made, expiresAt: expires }, `t-${id}`, {
        keyHash,
        expiresAt,
        replacesKeyHash: replaces,
      });
    await device("keep", "k-keep");
    await device("other1", "k-old");
    await device("other2", "k-new", a.id, "k-old");
    await device("b-dev", "k-b", b.id);
    await device("old", "k-expired", a.id, undefined, "2000-01-01T00:00:00.000Z");
    expect(await store.getDeviceKey("k-old", now())).toBeNull();
    expect(await store.getDeviceKey("k-expired", now())).toBeNull();
    expect(await store.getDeviceKey("k-new", now())).toMatchObject({ userId: a.id, deviceId: "other2" });
    // Another user's key is not replaced by naming it.
    await device("keep2", "k-a2", a.id, "k-b");
    expect(await store.getDeviceKey("k-b", now())).not.toBeNull();

    const revoked = await store.setPassword(a.id, "new-hash", "keep");
    expect(revoked.sort()).toEqual(["keep2", "old", "other1", "other2"]);
    expect((await store.listDevices(a.id, now())).map((d) => d.id)).toEqual(["keep"]);
    expect((await store.getUserByUsername(a.username))?.passwordHash).toBe("new-hash");
    expect(await store.getDeviceKey("k-new", now())).toBeNull();
    expect(await store.getDeviceKey("k-a2", now())).toBeNull();
    expect(await store.getDeviceKey("k-keep", now())).not.toBeNull();
    expect(await store.getDeviceKey("k-b", now())).not.toBeNull();
    expect(await store.listDevices(b.id, now())).toHaveLength(1);
  });

  it("starts a password reset that ends every login, and takes its code once, unexpired, for its user only", async () => {
    const { store } = await fresh();
    const [a, b] = [await user(store), await user(store)];
    const made = now();
    await store.createDevice(
      {
        id: "a-dev",
        userId: a.id,
        name: "d",
        createdAt: made,
        lastSeenAt: made,
        expiresAt: "2099-01-01T00:00:00.000Z",
      },
      "t-a",
      { keyHash: "k-a", expiresAt: "2099-01-01T00:00:00.000Z" },
    );
    const later = "2099-01-01T00:00:00.000Z";
    expect(await store.startPasswordReset(a.id, "old-code", later, "!disabled")).toEqual(["a-dev"]);
    expect(await store.startPasswordReset(a.id, "code", later, "!disabled")).toEqual([]);
    expect((await store.getUserByUsername(a.username))?.passwordHash).toBe("!disabled");
    expect(await store.listDevices(a.id, now())).toEqual([]);
    expect(await store.getDeviceKey("k-a", now())).toBeNull();
    expect(await store.takePasswordReset(a.id, "old-code", now())).toBe(false); // replaced by the newer one
    expect(await store.takePasswordReset(b.id, "code", now())).toBe(false);
    expect(await store.takePasswordReset(a.id, "code", "2100-01-01T00:00:00.000Z")).toBe(false); // expired
    expect(await store.takePasswordReset(a.id, "code", now())).toBe(true);
    expect(await store.takePasswordReset(a.id, "code", now())).toBe(false);
    // A password change drops a pending reset too.
    await store.startPasswordReset(a.id, "code2", later, "!disabled");
    await store.setPassword(a.id, "h", null);
    expect(await store.takePasswordReset(a.id, "code2", now())).toBe(false);
  });

  it("gives each conversation its own gap-free seq from 1, under concurrent appends", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g1 = (await store.createGroup(group(a.id, [a.id]))).value;
    const g2 = (await store.createGroup(group(a.id, [a.id]))).value;
    const writes = [];
    for (let i = 0; i < 50; i++) {
      writes.push(store.appendMessage(msg(g1.id, a.id, `one ${i}`)));
      writes.push(store.appendMessage(msg(g2.id, a.id, `two ${i}`)));
    }
    await Promise.all(writes);
    for (const g of [g1, g2]) {
      const { messages } = await store.history(g.id, { afterSeq: 0, limit: 100 });
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    }
  });

  it("keeps seq gap-free and the feed in commit order with two nodes writing to one conversation", async () => {
    const { store, place } = await fresh();
    const other = await place.open();
    cleanups.push(() => other.close());
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const writes = [];
    for (let i = 0; i < 40; i++) {
      writes.push(store.appendMessage(msg(g.id, a.id, `node one ${i}`)));
      writes.push(other.appendMessage(msg(g.id, a.id, `node two ${i}`)));
    }
    const written = await Promise.all(writes);
    expect(written.map((w) => w.value.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    for (const s of [store, other]) {
      const { events } = await s.feed(a.id, 0, 1000);
      const seqs = events.flatMap((e) => (e.type === "message.new" ? [e.seq] : []));
      expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1)); // feed order = seq order
    }
  });

  it("re-checks membership inside the write and hears only current members", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const c = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id, c.id]))).value;
    await store.removeMember(g.id, b.id, a.id);
    await expect(store.appendMessage(msg(g.id, b.id, "after removal"))).rejects.toMatchObject({ code: "forbidden" });
    const sent = await store.appendMessage(msg(g.id, a.id, "to the rest"));
    expect([...sent.audience].sort()).toEqual([a.id, c.id].sort());
    await expect(store.markRead(g.id, b.id, 1)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("never writes text into a deleted message, and scrubs it from the feed", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "my password is hunter2"));
    await store.setReaction(g.id, 1, a.id, "👍", true, now());
    await store.deleteMessage(g.id, 1, now(), a.id);
    await expect(store.editMessage(g.id, 1, "back again", [], false, now(), a.id)).rejects.toMatchObject({
      code: "message_deleted",
    });
    await expect(store.setReaction(g.id, 1, a.id, "🎉", true, now())).rejects.toMatchObject({
      code: "message_deleted",
    });
    const { events } = await store.feed(a.id, 0, 100);
    expect(JSON.stringify(events)).not.toContain("hunter2");
    expect((await store.getMessage(g.id, 1))?.text).toBe("");
  });

  it("refuses the same clientMsgId in another conversation even inside one group commit", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g1 = (await store.createGroup(group(a.id, [a.id]))).value;
    const g2 = (await store.createGroup(group(a.id, [a.id]))).value;
    const [first, second] = await Promise.allSettled([
      store.appendMessage(msg(g1.id, a.id, "one", "shared-id")),
      store.appendMessage(msg(g2.id, a.id, "two", "shared-id")),
    ]);
    expect(first.status).toBe("fulfilled");
    expect(second).toMatchObject({ status: "rejected", reason: { code: "client_msg_id_conflict" } });
    expect(await store.lastSeq(g2.id)).toBe(0);
  });

  it("pages history from the newest without bounds, and checks the member limit inside the write", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const [b, c] = [await user(store), await user(store)];
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    for (let i = 0; i < 5; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    const newest = await store.history(g.id, { limit: 2 });
    expect(newest.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(newest.hasMore).toBe(true);
    const both = await Promise.allSettled([
      store.addMembers(g.id, [b.id], a.id, now(), 2),
      store.addMembers(g.id, [c.id], a.id, now(), 2),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((await store.getMembers(g.id)).length).toBe(2);
  });

  it("is idempotent on (senderId, clientMsgId): the retry returns the original and writes nothing", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const first = await store.appendMessage(msg(g.id, a.id, "hello", "same-id"));
    const again = await store.appendMessage(msg(g.id, a.id, "hello", "same-id"));
    expect(again.duplicate).toBe(true);
    expect(again.event).toBeNull();
    expect(again.value.id).toBe(first.value.id);
    expect(again.value.seq).toBe(first.value.seq);
    expect(await store.lastSeq(g.id)).toBe(1);
  });

  it("keeps what it acknowledged across a close and reopen", async () => {
    const { store, place } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "durable"));
    await store.close();
    const again = await place.open();
    cleanups.push(() => again.close());
    expect((await again.getMessage(g.id, 1))?.text).toBe("durable");
  });

  it("creates a direct conversation once per pair, whichever side asks", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const base = { kind: "direct" as const, createdAt: now() };
    const first = await store.getOrCreateDirect({ ...base, id: uid("d"), memberIds: [a.id, b.id], createdBy: a.id });
    const second = await store.getOrCreateDirect({ ...base, id: uid("d"), memberIds: [b.id, a.id], createdBy: b.id });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.value.id).toBe(first.value.id);
  });

  it("moves read cursors forward only, never past the last seq, with an event only when they move", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    for (let i = 0; i < 3; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    expect((await store.markRead(g.id, b.id, 2)).value).toBe(2);
    const back = await store.markRead(g.id, b.id, 1);
    expect(back.value).toBe(2);
    expect(back.event).toBeNull();
    expect((await store.markRead(g.id, b.id, 99)).value).toBe(3);
    expect((await store.getMember(g.id, a.id))?.readSeq).toBe(3); // the sender has read what it sent
  });

  it("shows a member's feed only while they are a member, including their own removal", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "before b"));
    await store.addMembers(g.id, [b.id], a.id, now(), 1000);
    await store.appendMessage(msg(g.id, a.id, "while b"));
    await store.removeMember(g.id, b.id, a.id);
    await store.appendMessage(msg(g.id, a.id, "after b"));
    const { events } = await store.feed(b.id, 0, 100);
    expect(events.map((e) => e.type)).toEqual(["conversation.updated", "message.new", "conversation.updated"]);
    const texts = events.flatMap((e) => (e.type === "message.new" ? [e.message.text] : []));
    expect(texts).toEqual(["while b"]);
    const ids = events.map((e) => e.eventId);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(await store.getMember(g.id, b.id)).toBeNull();
  });

  it("keeps every membership span in the feed when a member is removed and added again", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "first span"));
    await store.removeMember(g.id, b.id, a.id);
    await store.appendMessage(msg(g.id, a.id, "while away"));
    await store.addMembers(g.id, [b.id], a.id, now(), 1000);
    await store.appendMessage(msg(g.id, a.id, "second span"));
    const { events } = await store.feed(b.id, 0, 100);
    const texts = events.flatMap((e) => (e.type === "message.new" ? [e.message.text] : []));
    expect(texts).toEqual(["first span", "second span"]);
    expect((await store.getMember(g.id, b.id))?.readSeq).toBe(2); // back caught up, not 0
  });

  it("lets one failing write fail alone when writes are committed together", async () => {
    const { store } = await fresh();
    const a = await user(store, "taken");
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const results = await Promise.allSettled([
      store.appendMessage(msg(g.id, a.id, "one")),
      user(store, "taken"),
      store.appendMessage(msg(g.id, a.id, "two")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
    expect(await store.lastSeq(g.id)).toBe(2);
  });

  it("answers sends committed together exactly as one at a time: seqs, duplicates, refusals, cursors, feed order", async () => {
    const { store } = await fresh();
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = (await store.createGroup(group(a.id, [a.id, c.id]))).value;
    const first = msg(g.id, a.id, "one", "same");
    const results = await Promise.allSettled([
      store.appendMessage(first),
      store.appendMessage(msg(g.id, b.id, "not a member")),
      store.appendMessage({ ...msg(g.id, c.id, "hi @a"), mentions: [a.id] }),
      store.appendMessage({ ...first, id: uid("m") }), // the retry, inside the same commit
      store.appendMessage(msg(g.id, a.id, "three")),
    ]);
    const [one, refused, two, retry, three] = results;
    expect(refused).toMatchObject({ status: "rejected", reason: { code: "forbidden" } });
    const ok = [one, two, retry, three].map(
      (r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Store["appendMessage"]>>>).value,
    );
    expect(ok.map((w) => [w.value.seq, w.duplicate])).toEqual([
      [1, false],
      [2, false],
      [1, true],
      [3, false],
    ]);
    expect(ok[2]?.value.id).toBe(ok[0]?.value.id);
    expect(ok[2]?.event).toBeNull();
    expect([...(ok[0]?.audience ?? [])].sort()).toEqual([a.id, c.id].sort());
    expect(await store.lastSeq(g.id)).toBe(3);
    expect((await store.getMessage(g.id, 2))?.mentions).toEqual([a.id]);
    expect((await store.getMember(g.id, a.id))?.readSeq).toBe(3);
    expect((await store.getMember(g.id, c.id))?.readSeq).toBe(2);
    const { events } = await store.feed(a.id, 0, 100);
    const news = events.filter((e) => e.type === "message.new");
    expect(news.map((e) => (e.type === "message.new" ? e.seq : 0))).toEqual([1, 2, 3]);
    expect(news.map((e) => e.eventId)).toEqual([ok[0]?.event?.eventId, ok[1]?.event?.eventId, ok[3]?.event?.eventId]);
    const again = await store.appendMessage({ ...first, id: uid("m") });
    expect([again.duplicate, again.value.seq]).toEqual([true, 1]);
  });

  it("decides a missing conversation, a block and a reply target inside the write, in a group and alone", async () => {
    const { store } = await fresh();
    const [a, b] = [await user(store), await user(store)];
    const direct = (
      await store.getOrCreateDirect({
        kind: "direct",
        id: uid("d"),
        memberIds: [a.id, b.id],
        createdAt: now(),
        createdBy: a.id,
      })
    ).value;
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const codes = (results: PromiseSettledResult<unknown>[]) =>
      results.map((r) =>
        r.status === "fulfilled" ? "ok" : r.reason instanceof HaetaeError ? r.reason.code : "rejected",
      );
    // One group commit: a reply to the message queued just before it is fine, one past it is not.
    const together = await Promise.allSettled([
      store.appendMessage(msg(direct.id, a.id, "before the block")),
      store.appendMessage(msg(g.id, a.id, "first")),
      store.appendMessage({ ...msg(g.id, a.id, "to the first"), replyToSeq: 1 }),
      store.appendMessage({ ...msg(g.id, a.id, "to the future"), replyToSeq: 3 }),
      store.appendMessage({ ...msg(g.id, a.id, "to nothing"), replyToSeq: 0 }),
      store.appendMessage(msg("no-such-conversation", a.id, "lost")),
    ]);
    expect(codes(together)).toEqual([
      "ok",
      "ok",
      "ok",
      "message_not_found",
      "message_not_found",
      "conversation_not_found",
    ]);
    await store.addBlock(b.id, a.id, now());
    expect(codes(await Promise.allSettled([store.appendMessage(msg(direct.id, a.id, "blocked one way"))]))).toEqual([
      "blocked",
    ]);
    // A clash only the database sees undoes the group, and every send runs alone (`runOne`).
    const one = msg(g.id, a.id, "one");
    const alone = await Promise.allSettled([
      store.appendMessage(one),
      store.appendMessage({ ...msg(g.id, a.id, "clash"), id: one.id }),
      store.appendMessage(msg(direct.id, b.id, "blocked the other way")),
      store.appendMessage({ ...msg(g.id, a.id, "to the future"), replyToSeq: 9 }),
      store.appendMessage(msg("no-such-conversation", a.id, "lost")),
      store.appendMessage({ ...msg(g.id, a.id, "to one"), replyToSeq: 3 }),
    ]);
    expect(codes(alone)).toEqual(["ok", "rejected", "blocked", "message_not_found", "conversation_not_found", "ok"]);
    expect(await store.lastSeq(direct.id)).toBe(1);
    expect(await store.lastSeq(g.id)).toBe(4);
  });

  it("undoes a group of sends that fails as a whole and runs each alone, so only the bad one fails", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const one = msg(g.id, a.id, "one");
    // Same message id, different clientMsgId: only the database's unique key can refuse it.
    const results = await Promise.allSettled([
      store.appendMessage(one),
      store.appendMessage({ ...msg(g.id, a.id, "clash"), id: one.id }),
      store.appendMessage(msg(g.id, a.id, "two")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const { messages } = await store.history(g.id, { afterSeq: 0, limit: 10 });
    expect(messages.map((m) => [m.seq, m.text])).toEqual([
      [1, "one"],
      [2, "two"],
    ]);
  });

  it("pages the feed by eventId without loss or repetition", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    for (let i = 0; i < 25; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await store.feed(a.id, after, 7);
      seen.push(...page.events.map((e) => e.eventId));
      after = page.events.at(-1)?.eventId ?? after;
      if (!page.hasMore) break;
    }
    expect(seen.length).toBe(26); // created + 25 messages
    expect(new Set(seen).size).toBe(26);
  });

  it("erases the text of a deleted message and keeps its seq", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "secret"));
    await store.appendMessage(msg(g.id, a.id, "next"));
    const deleted = await store.deleteMessage(g.id, 1, now(), a.id);
    expect(deleted.value).toMatchObject({ seq: 1, text: "", deleted: true });
    expect((await store.history(g.id, { afterSeq: 0, limit: 10 })).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("counts reactions per emoji and adds one user's same reaction once", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "react to me"));
    await store.setReaction(g.id, 1, a.id, "👍", true, now());
    await store.setReaction(g.id, 1, b.id, "👍", true, now());
    const twice = await store.setReaction(g.id, 1, b.id, "👍", true, now());
    expect(twice.event).toBeNull();
    expect(twice.value.reactions).toEqual({ "👍": 2 });
    const removed = await store.setReaction(g.id, 1, a.id, "👍", false, now());
    expect(removed.value.reactions).toEqual({ "👍": 1 });
  });

  it("hands ownership on when the owner leaves a group", async () => {
    const { store } = await fresh();
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    await store.removeMember(g.id, a.id, a.id);
    expect((await store.getMember(g.id, b.id))?.role).toBe("owner");
  });
});

describe("sqlite migrations", () => {
  it("records each version once and refuses a database newer than the build", () => {
    const dir = mkdtempSync(join(tmpdir(), "haetae-mig-"));
    try {
      openSqliteStore(dir).close();
      openSqliteStore(dir).close(); // a second start applies nothing new
      const db = new Database(join(dir, "haetae.db"));
      const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as {
        version: number;
      }[];
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
      db.close();
      expect(() => openSqliteStore(dir)).toThrow(/newer than this build/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
