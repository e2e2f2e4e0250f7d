/**
 * @module The store contract suite: every adapter named in STORES (default "sqlite,postgres") must pass it.
 *
 * Each adapter opens one store for the whole file (and a second node on it, for races between
 * nodes), and each test makes its own users, conversations and keys (every id and name from
 * `uid` or `ownNames`), so tests never see each other's rows. A restart closes and reopens the
 * shared store (`restart`). A test whose assertions read every user (the people listed by role)
 * opens a store of its own (`ownStore`). Three assertions read across users on the shared store —
 * the staff listed, the count of tickets swept and the reports listed — and hold because only
 * their test makes staff, tickets or reports there.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../test/services.js";
import { type Conversation, HaetaeError } from "../protocol/index.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import { type AppendMessageInput, type FileRecord, type Store, StoreConflictError } from "./store.js";

/** Where an adapter keeps a store: `open` may be called on it more than once (a second node, a restart). */
interface Place {
  open(): Promise<Store>;
  dispose(): Promise<void> | void;
}

/** An adapter under test: a fresh, empty place to open stores on. */
interface Adapter {
  name: string;
  create(): Place;
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

/** Names for rows a test keys itself (device ids, tickets, key hashes), made its own: `mine("keep")`. */
function ownNames(): (name: string) => string {
  const tag = uid("t");
  return (name) => `${name}.${tag}`;
}

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
  /** The file's one place on this adapter, its store, and a second node on it (for races between nodes). */
  let place: Place;
  let store: Store;
  let other: Store;
  beforeAll(async () => {
    place = adapter.create();
    [store, other] = await Promise.all([place.open(), place.open()]);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), other?.close()]);
    await place?.dispose();
  });
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  /** A store of the test's own on a fresh, empty place. */
  async function ownStore() {
    const own = adapter.create();
    const opened = await own.open();
    cleanups.push(() => own.dispose());
    cleanups.push(() => opened.close());
    return { store: opened, place: own };
  }
  /** Close the shared store and open it again on the same place, as a node restarts. */
  async function restart(): Promise<Store> {
    await store.close();
    store = await place.open();
    return store;
  }

  it("rejects a second user with the same username", async () => {
    const name = uid("same");
    await user(store, name);
    await expect(user(store, name)).rejects.toBeInstanceOf(StoreConflictError);
  });

  it("keeps a user's role: user by default, set by username, read by id, shown only to its owner", async () => {
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
    await user(store); // a plain user, not listed as staff
    const staff = await store.listStaff();
    expect(staff.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
    expect(staff.map((u) => u.role)).toEqual([undefined, undefined]);
    const reopened = await restart();
    expect(await reopened.getRole(a.id)).toBe("staff");
  });

  it("marks system accounts and leaves them out of the people listed by role", async () => {
    const { store, place } = await ownStore();
    const person = await user(store);
    const boss = await user(store);
    await store.setRole(boss.username, "admin");
    const status = await store.createUser(
      { id: uid("id"), username: uid("status"), displayName: "s", passwordHash: "x", createdAt: now(), role: "staff" },
      "status",
    );
    const canary = await user(store);
    await store.markSystemAccount(canary.id, "canary");
    await store.setRole(canary.username, "staff");
    const kinds = await store.systemAccounts([person.id, status.id, canary.id, "no-such-user"]);
    expect([...kinds.entries()].sort()).toEqual(
      [
        [status.id, "status"],
        [canary.id, "canary"],
      ].sort(),
    );
    expect(await store.systemAccounts([])).toEqual(new Map());
    // Staff and admins are people only: a system account never counts, whatever its role.
    expect(await store.userIdsWithRoles(["staff", "admin"])).toEqual([boss.id]);
    expect(await store.userIdsWithRoles(["user"])).toEqual([person.id]);
    expect(await store.userIdsWithRoles([])).toEqual([]);
    await store.close();
    const reopened = await place.open();
    cleanups.push(() => reopened.close());
    expect((await reopened.systemAccounts([status.id])).get(status.id)).toBe("status");
  });

  it("claims a setting once: concurrent claims all get the first value, later ones change nothing", async () => {
    const mine = ownNames();
    expect(await store.getSetting(mine("staff_conversation_id"))).toBeNull();
    const claims = await Promise.all(
      ["first", "second", "third"].map((value) => store.claimSetting(mine("staff_conversation_id"), value, now())),
    );
    expect(new Set(claims).size).toBe(1);
    const [winner] = claims;
    expect(["first", "second", "third"]).toContain(winner);
    expect(await store.claimSetting(mine("staff_conversation_id"), "later", now())).toBe(winner);
    expect(await store.getSetting(mine("staff_conversation_id"))).toBe(winner);
    expect(await store.getSetting(mine("other"))).toBeNull();
    // Two stores on one database (two nodes) agree too, and the value survives a restart.
    const [a, b] = [await restart(), other];
    const both = await Promise.all([
      a.claimSetting(mine("other"), "from-a", now()),
      b.claimSetting(mine("other"), "from-b", now()),
    ]);
    expect(both[0]).toBe(both[1]);
    expect(await a.getSetting(mine("staff_conversation_id"))).toBe(winner);
  });

  it("writes lastSeenAt of many devices in one call, and of none else", async () => {
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

  it("redeems a WebSocket ticket once, on any node, only before it expires and while its device lives", async () => {
    const mine = ownNames();
    const a = await user(store);
    const made = now();
    const device = (id: string) => ({
      id,
      userId: a.id,
      name: "d",
      createdAt: made,
      lastSeenAt: made,
      expiresAt: "2099-01-01T00:00:00.000Z",
    });
    await store.createDevice(device(mine("dev-t1")), uid("token"));
    await store.createDevice(device(mine("dev-t2")), uid("token"));
    const at = "2026-06-01T12:00:00.000Z";
    const until = "2026-06-01T12:00:30.000Z";
    await store.createWsTicket(mine("t-once"), mine("dev-t1"), until);
    // Redeemed by both nodes at once: exactly one gets the device.
    const raced = await Promise.all([
      store.redeemWsTicket(mine("t-once"), at),
      other.redeemWsTicket(mine("t-once"), at),
    ]);
    expect(raced.filter((r) => r !== null).map((r) => [r?.device.id, r?.user.id])).toEqual([[mine("dev-t1"), a.id]]);
    expect(await store.redeemWsTicket(mine("t-once"), at)).toBeNull();
    expect(await store.redeemWsTicket("no-such-ticket", at)).toBeNull();
    // Expired: refused, and gone.
    await store.createWsTicket(mine("t-late"), mine("dev-t1"), until);
    expect(await other.redeemWsTicket(mine("t-late"), "2026-06-01T12:00:30.001Z")).toBeNull();
    // A revoked device's unused tickets die with it.
    await store.createWsTicket(mine("t-revoked"), mine("dev-t2"), until);
    expect(await store.revokeDevice(a.id, mine("dev-t2"), now())).toBe(true);
    expect(await other.redeemWsTicket(mine("t-revoked"), at)).toBeNull();
    // The sweep deletes expired tickets only.
    await store.createWsTicket(mine("t-old"), mine("dev-t1"), "2026-06-01T11:00:00.000Z");
    await store.createWsTicket(mine("t-fresh"), mine("dev-t1"), until);
    expect(await other.sweepWsTickets(at)).toBe(1);
    expect((await store.redeemWsTicket(mine("t-fresh"), at))?.device.id).toBe(mine("dev-t1"));
  });

  it("rotates device keys, and a password change keeps only the current device's login and keys", async () => {
    const [a, b] = [await user(store), await user(store)];
    const mine = ownNames();
    const made = now();
    const expires = "2099-01-01T00:00:00.000Z";
    const device = (id: string, keyHash: string, userId = a.id, replaces?: string, expiresAt = expires) =>
      store.createDevice(
        { id, userId, name: id, createdAt: made, lastSeenAt: made, expiresAt: expires },
        `token-${id}`,
        { keyHash, expiresAt, replacesKeyHash: replaces },
      );
    await device(mine("keep"), mine("k-keep"));
    await device(mine("other1"), mine("k-old"));
    await device(mine("other2"), mine("k-new"), a.id, mine("k-old"));
    await device(mine("b-dev"), mine("k-b"), b.id);
    await device(mine("old"), mine("k-expired"), a.id, undefined, "2000-01-01T00:00:00.000Z");
    expect(await store.getDeviceKey(mine("k-old"), now())).toBeNull();
    expect(await store.getDeviceKey(mine("k-expired"), now())).toBeNull();
    expect(await store.getDeviceKey(mine("k-new"), now())).toMatchObject({ userId: a.id, deviceId: mine("other2") });
    // Another user's key is not replaced by naming it.
    await device(mine("keep2"), mine("k-a2"), a.id, mine("k-b"));
    expect(await store.getDeviceKey(mine("k-b"), now())).not.toBeNull();

    const revoked = await store.setPassword(a.id, "new-hash", mine("keep"), now());
    expect(revoked.sort()).toEqual(["keep2", "old", "other1", "other2"].map(mine));
    expect((await store.listDevices(a.id, now())).map((d) => d.id)).toEqual([mine("keep")]);
    expect((await store.getUserByUsername(a.username))?.passwordHash).toBe("new-hash");
    expect(await store.getDeviceKey(mine("k-new"), now())).toBeNull();
    expect(await store.getDeviceKey(mine("k-a2"), now())).toBeNull();
    expect(await store.getDeviceKey(mine("k-keep"), now())).not.toBeNull();
    expect(await store.getDeviceKey(mine("k-b"), now())).not.toBeNull();
    expect(await store.listDevices(b.id, now())).toHaveLength(1);
  });

  it("starts a password reset that ends every login, and takes its code once, unexpired, for its user only", async () => {
    const [a, b] = [await user(store), await user(store)];
    const mine = ownNames();
    const made = now();
    await store.createDevice(
      {
        id: mine("a-dev"),
        userId: a.id,
        name: "d",
        createdAt: made,
        lastSeenAt: made,
        expiresAt: "2099-01-01T00:00:00.000Z",
      },
      mine("t-a"),
      { keyHash: mine("k-a"), expiresAt: "2099-01-01T00:00:00.000Z" },
    );
    const later = "2099-01-01T00:00:00.000Z";
    expect(await store.startPasswordReset(a.id, "old-code", later, "!disabled", now())).toEqual([mine("a-dev")]);
    expect(await store.startPasswordReset(a.id, "code", later, "!disabled", now())).toEqual([]);
    expect((await store.getUserByUsername(a.username))?.passwordHash).toBe("!disabled");
    expect(await store.listDevices(a.id, now())).toEqual([]);
    expect(await store.getDeviceKey(mine("k-a"), now())).toBeNull();
    expect(await store.takePasswordReset(a.id, "old-code", now())).toBe(false); // replaced by the newer one
    expect(await store.takePasswordReset(b.id, "code", now())).toBe(false);
    expect(await store.takePasswordReset(a.id, "code", "2100-01-01T00:00:00.000Z")).toBe(false); // expired
    expect(await store.takePasswordReset(a.id, "code", now())).toBe(true);
    expect(await store.takePasswordReset(a.id, "code", now())).toBe(false);
    // A password change drops a pending reset too.
    await store.startPasswordReset(a.id, "code2", later, "!disabled", now());
    await store.setPassword(a.id, "h", null, now());
    expect(await store.takePasswordReset(a.id, "code2", now())).toBe(false);
  });

  it("gives each conversation its own gap-free seq from 1, under concurrent appends", async () => {
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
      const { events } = await s.feed(a.id, undefined, 1000);
      const seqs = events.flatMap((e) => (e.type === "message.new" ? [e.seq] : []));
      expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1)); // feed order = seq order
    }
  });

  it("re-checks membership inside the write and hears only current members", async () => {
    const a = await user(store);
    const b = await user(store);
    const c = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id, c.id]))).value;
    await store.removeMember(g.id, b.id, a.id, now());
    await expect(store.appendMessage(msg(g.id, b.id, "after removal"))).rejects.toMatchObject({ code: "forbidden" });
    const sent = await store.appendMessage(msg(g.id, a.id, "to the rest"));
    expect([...sent.audience].sort()).toEqual([a.id, c.id].sort());
    await expect(store.markRead(g.id, b.id, 1, now())).rejects.toMatchObject({ code: "forbidden" });
  });

  it("never writes text into a deleted message, and scrubs it from the feed", async () => {
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
    const { events } = await store.feed(a.id, undefined, 100);
    expect(JSON.stringify(events)).not.toContain("hunter2");
    expect((await store.getMessage(g.id, 1))?.text).toBe("");
  });

  it("keeps the forwarded mark of a copy, alone and inside one group commit, in reads and the feed; a tombstone drops it", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const alone = await store.appendMessage({ ...msg(g.id, a.id, "copied"), forwarded: true });
    const together = await Promise.all([
      store.appendMessage({ ...msg(g.id, a.id, "copied too"), forwarded: true }),
      store.appendMessage(msg(g.id, a.id, "my own")),
      store.appendMessage({ ...msg(g.id, a.id, "and again"), forwarded: true }),
    ]);
    const marks = [alone, ...together].map((w) => [w.value.text, w.value.forwarded]);
    expect(marks).toEqual([
      ["copied", true],
      ["copied too", true],
      ["my own", undefined],
      ["and again", true],
    ]);
    const history = await store.history(g.id, { limit: 10 });
    expect(history.messages.map((m) => [m.text, m.forwarded])).toEqual(marks);
    const { events } = await store.feed(a.id, undefined, 100);
    const news = events.flatMap((e) => (e.type === "message.new" && e.conversationId === g.id ? [e.message] : []));
    expect(news.map((m) => [m.text, m.forwarded])).toEqual(marks);
    await store.deleteMessage(g.id, alone.value.seq, now(), a.id);
    expect((await store.getMessage(g.id, alone.value.seq))?.forwarded).toBeUndefined();
    expect((await store.getMessage(g.id, together[0]?.value.seq ?? 0))?.forwarded).toBe(true);
  });

  it("refuses the same clientMsgId in another conversation even inside one group commit", async () => {
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

  it("opens a window around any seq: it and the newer half, then the older rest; empty past the end", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    for (let i = 1; i <= 9; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    const middle = await store.history(g.id, { aroundSeq: 5, limit: 4 });
    expect(middle.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(middle).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: true });
    const first = await store.history(g.id, { aroundSeq: 1, limit: 5 });
    expect(first.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(first).toMatchObject({ hasMoreBefore: false, hasMoreAfter: true });
    const last = await store.history(g.id, { aroundSeq: 9, limit: 3 });
    expect(last.messages.map((m) => m.seq)).toEqual([8, 9]);
    expect(last).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: false });
    const whole = await store.history(g.id, { aroundSeq: 5, limit: 100 });
    expect(whole.messages.map((m) => m.text)).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]);
    expect(whole.hasMore).toBe(false);
    const one = await store.history(g.id, { aroundSeq: 4, limit: 1 });
    expect(one.messages.map((m) => m.seq)).toEqual([4]);
    expect(one).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });
    const past = await store.history(g.id, { aroundSeq: 50, limit: 10 });
    expect(past).toMatchObject({ messages: [], hasMore: true, hasMoreBefore: true, hasMoreAfter: false });
  });

  it("is idempotent on (senderId, clientMsgId): the retry returns the original and writes nothing", async () => {
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

  it("refuses a retry by a sender who is no longer a member, alone and inside one group commit", async () => {
    const [a, b] = [await user(store), await user(store)];
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    const sent = msg(g.id, b.id, "before removal", "b-1");
    const original = await store.appendMessage(sent);
    // A member's retry, alone and grouped with another send: the original, same id and seq (G2).
    const [alone, grouped] = [
      await store.appendMessage({ ...sent, id: uid("m") }),
      ...(await Promise.all([
        store.appendMessage({ ...sent, id: uid("m") }),
        store.appendMessage(msg(g.id, a.id, "alongside")),
      ])),
    ];
    for (const retry of [alone, grouped]) {
      expect([retry?.duplicate, retry?.value.id, retry?.value.seq]).toEqual([true, original.value.id, 1]);
    }
    await store.removeMember(g.id, b.id, a.id, now());
    await expect(store.appendMessage({ ...sent, id: uid("m") })).rejects.toMatchObject({ code: "forbidden" });
    const inGroup = await Promise.allSettled([
      store.appendMessage({ ...sent, id: uid("m") }),
      store.appendMessage(msg(g.id, a.id, "after")),
    ]);
    expect(inGroup[0]).toMatchObject({ status: "rejected", reason: { code: "forbidden" } });
    expect(inGroup[1].status).toBe("fulfilled");
    // Two messages, the removal's system line, "after".
    expect(await store.lastSeq(g.id)).toBe(4);
  });

  it("keeps what it acknowledged across a close and reopen", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "durable"));
    const again = await restart();
    expect((await again.getMessage(g.id, 1))?.text).toBe("durable");
  });

  it("creates a direct conversation once per pair, whichever side asks", async () => {
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
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    for (let i = 0; i < 3; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    expect((await store.markRead(g.id, b.id, 2, now())).value).toBe(2);
    const back = await store.markRead(g.id, b.id, 1, now());
    expect(back.value).toBe(2);
    expect(back.event).toBeNull();
    expect((await store.markRead(g.id, b.id, 99, now())).value).toBe(3);
    expect((await store.getMember(g.id, a.id))?.readSeq).toBe(3); // the sender has read what it sent
  });

  it("shows a member's feed only while they are a member, including their own removal", async () => {
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "before b"));
    await store.addMembers(g.id, [b.id], a.id, now(), 1000);
    await store.appendMessage(msg(g.id, a.id, "while b"));
    await store.removeMember(g.id, b.id, a.id, now());
    await store.appendMessage(msg(g.id, a.id, "after b"));
    const { events } = await store.feed(b.id, undefined, 100);
    // Joined, the addition's system line, the message, the removal (whose line is for those who stay).
    expect(events.map((e) => e.type)).toEqual([
      "conversation.updated",
      "message.new",
      "message.new",
      "conversation.updated",
    ]);
    const texts = events.flatMap((e) => (e.type === "message.new" && !e.message.system ? [e.message.text] : []));
    expect(texts).toEqual(["while b"]);
    const ids = events.map((e) => e.eventId);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(await store.getMember(g.id, b.id)).toBeNull();
  });

  it("keeps every membership span in the feed when a member is removed and added again", async () => {
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "first span"));
    await store.removeMember(g.id, b.id, a.id, now());
    await store.appendMessage(msg(g.id, a.id, "while away"));
    await store.addMembers(g.id, [b.id], a.id, now(), 1000);
    await store.appendMessage(msg(g.id, a.id, "second span"));
    const { events } = await store.feed(b.id, undefined, 100);
    const texts = events.flatMap((e) => (e.type === "message.new" && !e.message.system ? [e.message.text] : []));
    expect(texts).toEqual(["first span", "second span"]);
    // Back caught up (not 0): first span, the removal's line, while away; the addition's line is 4.
    expect((await store.getMember(g.id, b.id))?.readSeq).toBe(3);
  });

  it("lets one failing write fail alone when writes are committed together", async () => {
    const taken = uid("taken");
    const a = await user(store, taken);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const results = await Promise.allSettled([
      store.appendMessage(msg(g.id, a.id, "one")),
      user(store, taken),
      store.appendMessage(msg(g.id, a.id, "two")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
    expect(await store.lastSeq(g.id)).toBe(2);
  });

  it("keeps texts and clientMsgIds with quotes, backslashes, braces, commas and the word NULL unchanged inside one group commit", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const texts = ['say "hi"', "back\\slash \\", "{a,b}", "NULL", "", "tab\tand\nline", 'ünïcode 🙂, {"x"}'];
    const sent = await Promise.all(texts.map((text) => store.appendMessage({ ...msg(g.id, a.id, text, `k ${text}`) })));
    expect(sent.map((w) => w.value.seq)).toEqual(texts.map((_, i) => i + 1));
    for (const [i, text] of texts.entries()) {
      const stored = await store.getMessage(g.id, i + 1);
      expect([stored?.text, stored?.clientMsgId]).toEqual([text, `k ${text}`]);
    }
    // The retries find them by the same odd clientMsgIds.
    const again = await Promise.all(
      texts.map((text) => store.appendMessage({ ...msg(g.id, a.id, text, `k ${text}`) })),
    );
    expect(again.map((w) => [w.duplicate, w.value.seq])).toEqual(texts.map((_, i) => [true, i + 1]));
  });

  it("answers sends committed together exactly as one at a time: seqs, duplicates, refusals, cursors, feed order", async () => {
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
    const { events } = await store.feed(a.id, undefined, 100);
    const news = events.filter((e) => e.type === "message.new");
    expect(news.map((e) => (e.type === "message.new" ? e.seq : 0))).toEqual([1, 2, 3]);
    expect(news.map((e) => e.eventId)).toEqual([ok[0]?.event?.eventId, ok[1]?.event?.eventId, ok[3]?.event?.eventId]);
    const again = await store.appendMessage({ ...first, id: uid("m") });
    expect([again.duplicate, again.value.seq]).toEqual([true, 1]);
  });

  it("decides a missing conversation, a block and a reply target inside the write, in a group and alone", async () => {
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

  it("pages the feed by its cursor without loss or repetition, and refuses a cursor it did not issue", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    for (let i = 0; i < 25; i++) await store.appendMessage(msg(g.id, a.id, `m${i}`));
    const seen: number[] = [];
    let cursor: string | undefined;
    const readAll = async () => {
      for (;;) {
        const page = await store.feed(a.id, cursor, 7);
        seen.push(...page.events.map((e) => e.eventId));
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
    };
    await readAll();
    expect(seen.length).toBe(26); // created + 25 messages
    expect(new Set(seen).size).toBe(26);
    // Nothing new: nothing read, and the cursor stays where it is.
    const idle = await store.feed(a.id, cursor, 7);
    expect(idle).toEqual({ events: [], hasMore: false, cursor });
    // What comes after the cursor, and only that, on this node and on another one.
    for (let i = 0; i < 10; i++) await (i % 2 ? other : store).appendMessage(msg(g.id, a.id, `n${i}`));
    await readAll();
    expect(seen.length).toBe(36);
    expect(new Set(seen).size).toBe(36);
    // An id cursor (SQLite's, and PostgreSQL's before its snapshot cursors) reads on from that id.
    const fromId = await store.feed(a.id, "c1.0", 100);
    expect(fromId.events.map((e) => e.eventId).sort((x, y) => x - y)).toEqual([...seen].sort((x, y) => x - y));
    for (const bad of ["garbage", "c1.", "c1.-5", "c2.1", "c2.a-1-1..0", "c2...5", "c9.1.2.3"]) {
      await expect(store.feed(a.id, bad, 7)).rejects.toMatchObject({ code: "invalid_cursor" });
    }
  });

  it("erases the text of a deleted message and keeps its seq", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    await store.appendMessage(msg(g.id, a.id, "secret"));
    await store.appendMessage(msg(g.id, a.id, "next"));
    const deleted = await store.deleteMessage(g.id, 1, now(), a.id);
    expect(deleted.value).toMatchObject({ seq: 1, text: "", deleted: true });
    expect((await store.history(g.id, { afterSeq: 0, limit: 10 })).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("counts reactions per emoji and adds one user's same reaction once", async () => {
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

  it("writes invitations with a group, under the inviter's hourly cap checked in the write, once per invitee", async () => {
    const a = await user(store);
    const b = await user(store);
    const c = await user(store);
    const at = now();
    const invite = (conversationId: string, inviteeIds: string[]) => ({
      invitations: inviteeIds.map((inviteeId) => ({
        id: uid("inv"),
        conversationId,
        inviterId: a.id,
        inviteeId,
        status: "pending" as const,
        createdAt: at,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      })),
      perWindow: 2,
      windowMs: 3_600_000,
    });
    const g = group(a.id, [a.id]);
    const written = await store.createGroup(g, invite(g.id, [b.id]));
    expect(written.value.memberIds).toEqual([a.id]);
    expect(written.invitations.map((w) => [w.value.inviteeId, w.audience, w.event?.type])).toEqual([
      [b.id, [b.id], "invitation.new"],
    ]);
    // Asking b again returns the pending one: no new row, no event, not counted.
    const again = await store.addMembers(g.id, [], a.id, now(), 1000, invite(g.id, [b.id, c.id]));
    expect(again.invitations.map((w) => [w.value.id, w.event])).toEqual([
      [written.invitations[0]?.value.id, null],
      [expect.any(String), expect.anything()],
    ]);
    // Over the cap: refused whole, with the time until the window frees a place.
    const g2 = group(a.id, [a.id]);
    await expect(store.createGroup(g2, invite(g2.id, [b.id]))).rejects.toMatchObject({ code: "rate_limited" });
    await expect(store.createGroup(g2, invite(g2.id, [b.id]))).rejects.toSatisfy(
      (e: { retryAfterMs?: number }) => (e.retryAfterMs ?? 0) > 3_500_000,
    );
    expect(await store.getConversation(g2.id)).toBeNull();
    // The invitee's feed has their invitation (their own channel); a member's feed does not.
    expect((await store.feed(b.id, undefined, 100)).events.map((e) => e.type)).toEqual(["invitation.new"]);
    expect((await store.feed(a.id, undefined, 100)).events.map((e) => e.type)).toEqual(["conversation.created"]);
    expect((await store.listInvitations(b.id, now(), 10)).map((i) => [i.conversationId, i.title])).toEqual([
      [g.id, "g"],
    ]);
    expect(await store.listInvitations(b.id, new Date(Date.now() + 120_000).toISOString(), 10)).toEqual([]);
    // A block either way hides the invitation.
    await store.addBlock(b.id, a.id, now());
    expect(await store.listInvitations(b.id, now(), 10)).toEqual([]);
  });

  it("answers an invitation once: accepting adds the member in the same write, declining does not", async () => {
    const a = await user(store);
    const b = await user(store);
    const g = group(a.id, [a.id]);
    const make = (inviteeId: string, expiresInMs: number) => ({
      id: uid("inv"),
      conversationId: g.id,
      inviterId: a.id,
      inviteeId,
      status: "pending" as const,
      createdAt: now(),
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
    });
    const yes = make(b.id, 60_000);
    await store.createGroup(g, { invitations: [yes], perWindow: 10, windowMs: 3_600_000 });
    await expect(store.answerInvitation(yes.id, a.id, true, now(), 1000)).rejects.toMatchObject({
      code: "invitation_not_found",
    });
    const accepted = await store.answerInvitation(yes.id, b.id, true, now(), 1000);
    expect(accepted.invitation.value.status).toBe("accepted");
    expect(accepted.invitation.event?.type).toBe("invitation.updated");
    expect(accepted.conversation?.value.memberIds).toEqual([a.id, b.id]);
    expect(accepted.conversation?.event).toMatchObject({ type: "conversation.updated", byUserId: b.id, added: [b.id] });
    expect((await store.answerInvitation(yes.id, b.id, true, now(), 1000)).invitation.event).toBeNull();
    await expect(store.answerInvitation(yes.id, b.id, false, now(), 1000)).rejects.toMatchObject({
      code: "invitation_not_found",
    });
    const c = await user(store);
    const late = { ...make(c.id, 1000) };
    await store.addMembers(g.id, [], a.id, now(), 1000, { invitations: [late], perWindow: 10, windowMs: 3_600_000 });
    await expect(
      store.answerInvitation(late.id, c.id, true, new Date(Date.now() + 5000).toISOString(), 1000),
    ).rejects.toMatchObject({ code: "invitation_expired" });
    const d = await user(store);
    const no = make(d.id, 60_000);
    await store.addMembers(g.id, [], a.id, now(), 1000, { invitations: [no], perWindow: 10, windowMs: 3_600_000 });
    const declined = await store.answerInvitation(no.id, d.id, false, now(), 1000);
    expect([declined.invitation.value.status, declined.conversation]).toEqual(["declined", null]);
    expect(await store.getMember(g.id, d.id)).toBeNull();
    expect((await store.feed(d.id, undefined, 100)).events.map((e) => e.type)).toEqual([
      "invitation.new",
      "invitation.updated",
    ]);
    // Who may report: members past and present, and invitees; nobody else.
    expect(await store.hasKnownConversation(d.id, g.id)).toBe(true);
    expect(await store.hasKnownConversation((await user(store)).id, g.id)).toBe(false);
    const report = { id: uid("r"), conversationId: g.id, reporterId: d.id, createdAt: now(), reason: "spam" };
    expect(await store.addReport(report)).toEqual(report);
    expect(await store.addReport({ ...report, id: uid("r"), reason: "twice" })).toEqual(report);
    expect(await store.listReports(10)).toEqual([report]);
  });

  it("answers which users have blocks and contacts toward one user, in bulk", async () => {
    const [me, x, y, z] = [await user(store), await user(store), await user(store), await user(store)];
    await store.addBlock(x.id, me.id, now()); // x blocked me
    await store.addBlock(me.id, y.id, now()); // I blocked y
    await store.addContact(z.id, me.id, now()); // z added me
    await store.addContact(me.id, x.id, now()); // I added x (not the other way)
    const all = [x.id, y.id, z.id];
    expect((await store.blockedEitherWayAmong(me.id, all)).sort()).toEqual([x.id, y.id].sort());
    expect(await store.blockersAmong(me.id, all)).toEqual([x.id]);
    expect(await store.contactOfAmong(me.id, all)).toEqual([z.id]);
  });

  it("pages a user's conversations by a keyset, newest activity first, each once", async () => {
    const a = await user(store);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await store.createGroup(group(a.id, [a.id]))).value.id);
    await store.appendMessage(msg(made[2] as string, a.id, "bumps it to the top"));
    const seen: string[] = [];
    let after: { activityAt: string; id: string } | undefined;
    for (;;) {
      const page = await store.listConversationPage(a.id, { limit: 3, ...(after ? { after } : {}) });
      expect(page.conversations.length).toBeLessThanOrEqual(3);
      seen.push(...page.conversations.map((c) => c.conversation.id));
      if (!page.hasMore) break;
      after = page.last ?? undefined;
    }
    expect(seen).toEqual((await store.listConversations(a.id)).map((c) => c.conversation.id));
    expect(seen[0]).toBe(made[2]);
    expect(new Set(seen).size).toBe(7);
  });

  it("hands ownership on when the owner leaves a group", async () => {
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    await store.removeMember(g.id, a.id, a.id, now());
    expect((await store.getMember(g.id, b.id))?.role).toBe("owner");
  });

  it("writes each group change with its system line in seq order; roles and ownership change only by the owner, in the write", async () => {
    const [a, b, c] = [await user(store), await user(store), await user(store)];
    const g = (await store.createGroup(group(a.id, [a.id, b.id, c.id]))).value;
    expect(g).toMatchObject({ ownerId: a.id, adminIds: [] });
    const renamed = await store.updateTitle(g.id, "새 이름", a.id, now());
    expect(renamed.line?.value).toMatchObject({
      seq: 1,
      senderId: a.id,
      text: "",
      system: { action: "renamed", title: "새 이름" },
    });
    await expect(other.setMemberRole(g.id, c.id, "admin", b.id, now())).rejects.toMatchObject({ code: "forbidden" });
    const promoted = await other.setMemberRole(g.id, b.id, "admin", a.id, now());
    expect(promoted.value.adminIds).toEqual([b.id]);
    expect(promoted.line?.value.system).toEqual({ action: "role", userIds: [b.id], role: "admin" });
    const handed = await store.transferOwnership(g.id, c.id, a.id, now());
    expect(handed.value).toMatchObject({ ownerId: c.id, adminIds: [a.id, b.id] });
    await expect(store.transferOwnership(g.id, b.id, a.id, now())).rejects.toMatchObject({ code: "forbidden" });
    const left = await store.removeMember(g.id, c.id, c.id, now());
    // The longest-standing admin inherits; the line goes to those who stay.
    expect(left.value.ownerId).toBe(a.id);
    expect(left.line?.value.system).toEqual({ action: "left", userIds: [] });
    const page = await store.history(g.id, { limit: 10 });
    expect(page.messages.map((m) => [m.seq, m.system?.action])).toEqual([
      [1, "renamed"],
      [2, "role"],
      [3, "owner"],
      [4, "left"],
    ]);
    // A system line is never unread.
    const [summary] = (await store.listConversations(b.id)).filter((x) => x.conversation.id === g.id);
    expect(summary).toMatchObject({ lastSeq: 4, unreadCount: 0 });
  });

  it("changes a profile with an event for its owner only, and tombstones a deleted account keeping its messages", async () => {
    const [a, b] = [await user(store), await user(store)];
    const changed = await store.updateProfile(a.id, { displayName: "새 이름", statusText: "회의 중" }, now());
    expect(changed.value).toMatchObject({ displayName: "새 이름", statusText: "회의 중" });
    expect(changed.event).toMatchObject({ type: "account.updated", user: { id: a.id } });
    expect(changed.audience).toEqual([a.id]);
    await store.addContact(b.id, a.id, now());
    const direct = (
      await store.getOrCreateDirect({
        id: uid("d"),
        kind: "direct",
        memberIds: [a.id, b.id],
        createdAt: now(),
        createdBy: a.id,
      })
    ).value;
    await store.appendMessage(msg(direct.id, a.id, "before I go"));
    await store.createDevice(
      {
        id: uid("dev"),
        userId: a.id,
        name: "phone",
        createdAt: now(),
        lastSeenAt: now(),
        expiresAt: "2999-01-01T00:00:00.000Z",
      },
      uid("tok"),
    );
    const devices = await store.deleteAccount(a.id, now());
    expect(devices).toHaveLength(1);
    const [gone] = await other.getUsers([a.id]);
    expect(gone).toMatchObject({ displayName: "deleted account", deleted: true });
    expect(gone?.statusText).toBeUndefined();
    expect(await store.getUserByUsername(a.username)).toBeNull();
    expect(await store.listContacts(b.id)).toEqual([]);
    expect(await store.listDevices(a.id, now())).toEqual([]);
    expect((await store.history(direct.id, { limit: 10 })).messages.map((m) => m.text)).toEqual(["before I go"]);
  });
  it("keeps file rows once per upload, lets only uploaders and members of a carrying chat read them, and sweeps what nothing refers to", async () => {
    const a = await user(store);
    const b = await user(store);
    const outsider = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    const sha = (c: string) => c.repeat(64);
    const file = (id: string, owner: string, s: string, name = "f.bin"): FileRecord => ({
      id,
      ownerId: owner,
      name,
      size: 3_000_000_000,
      contentType: "application/octet-stream",
      sha256: s,
      createdAt: now(),
    });
    const f1 = uid("file");
    const first = await store.insertFile(file(f1, a.id, sha("1")));
    expect(first.created).toBe(true);
    // The same upload again, even from another node: the first row, nothing written.
    const again = await other.insertFile(file(uid("file"), a.id, sha("1")));
    expect([again.created, again.file.id]).toEqual([false, f1]);
    expect((await store.getFiles([f1]))[0]?.size).toBe(3_000_000_000);
    expect(await store.usedFileBytes(a.id)).toBe(3_000_000_000);
    expect([...(await store.readableFileIds(b.id, [f1]))]).toEqual([]);
    expect([...(await store.readableFileIds(a.id, [f1, "unknown"]))]).toEqual([f1]);

    const [info] = [
      {
        id: f1,
        name: "f.bin",
        size: 3_000_000_000,
        contentType: "application/octet-stream",
        sha256: sha("1"),
        url: `/api/v1/files/${f1}`,
      },
    ];
    const sent = await store.appendMessage({ ...msg(g.id, a.id, ""), files: [info] });
    expect(sent.value.files).toEqual([info]);
    expect((await store.getMessage(g.id, sent.value.seq))?.files).toEqual([info]);
    expect([...(await store.readableFileIds(b.id, [f1]))]).toEqual([f1]);
    expect([...(await store.readableFileIds(outsider.id, [f1]))]).toEqual([]);
    // A file whose row is gone cannot be attached: the write refuses it.
    await expect(
      store.appendMessage({ ...msg(g.id, a.id, ""), files: [{ ...info, id: "gone" }] }),
    ).rejects.toMatchObject({ code: "not_found" });

    const loose = uid("file");
    await store.insertFile(file(loose, a.id, sha("2")));
    const deleted: string[] = [];
    const deleteBlob = async (s: string) => void deleted.push(s);
    // Nothing is old enough yet, and no blob lost its row.
    expect(await store.sweepFiles(new Date(0).toISOString(), 100, deleteBlob)).toEqual({ files: 0, blobs: 0 });
    await store.deleteMessage(g.id, sent.value.seq, now(), a.id);
    expect([...(await store.readableFileIds(a.id, [f1]))]).toEqual([]);
    expect((await store.getMessage(g.id, sent.value.seq))?.files).toBeUndefined();
    const swept = await store.sweepFiles(new Date(Date.now() + 1000).toISOString(), 100, deleteBlob);
    expect(swept.blobs).toBe(2);
    expect(deleted.sort()).toEqual([sha("1"), sha("2")]);
    expect(await store.getFiles([f1, loose])).toEqual([]);
  });

  it("caches a link preview per URL keeping its id, attaches it only to the text it was fetched for, shows its image to members only, and drops it on a link edit and on delete", async () => {
    const a = await user(store);
    const b = await user(store);
    const outsider = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    const url = `https://${uid("site")}.example/page`;
    const shaOld = randomBytes(32).toString("hex");
    const shaNew = randomBytes(32).toString("hex");
    const id = uid("preview");
    expect(await store.getLinkPreview(url)).toBeNull();
    const record = {
      url,
      id,
      preview: { title: "Secret title 42", siteName: "Example" },
      imageSha256: shaOld,
      fetchedAt: now(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    expect(await store.saveLinkPreview(record)).toEqual(record);
    expect(await other.getLinkPreview(url)).toEqual(record);
    // Fetched again on another node with a new image: the id stays, the old image becomes garbage.
    const again = await other.saveLinkPreview({ ...record, id: uid("preview"), imageSha256: shaNew });
    expect(again.id).toBe(id);
    const deleted: string[] = [];
    await store.sweepFiles(new Date(0).toISOString(), 1000, async (s) => void deleted.push(s));
    expect(deleted).toContain(shaOld);
    expect(deleted).not.toContain(shaNew);

    const text = `look ${url}`;
    const sent = (await store.appendMessage(msg(g.id, a.id, text))).value;
    expect(sent.preview).toBeUndefined();
    const preview = { url, title: "Secret title 42", siteName: "Example", imageUrl: `/api/v1/previews/${id}/image` };
    expect(await store.attachPreview(g.id, sent.seq, "other text", id, preview, now())).toBeNull();
    expect(await store.readablePreviewImage(b.id, id)).toBeNull();
    const attached = await store.attachPreview(g.id, sent.seq, text, id, preview, now());
    expect(attached?.event).toMatchObject({ type: "message.preview", seq: sent.seq, message: { preview } });
    expect([...(attached?.audience ?? [])].sort()).toEqual([a.id, b.id].sort());
    expect((await store.getMessage(g.id, sent.seq))?.preview).toEqual(preview);
    expect((await store.history(g.id, { limit: 10 })).messages.at(-1)?.preview).toEqual(preview);
    expect(await store.readablePreviewImage(b.id, id)).toBe(shaNew);
    expect(await store.readablePreviewImage(outsider.id, id)).toBeNull();
    const { events } = await store.feed(b.id, undefined, 1000);
    expect(events.filter((e) => e.type === "message.preview" && e.conversationId === g.id)).toHaveLength(1);

    // An edit that keeps the link keeps the preview; one that changes it drops it in the same write.
    const kept = await store.editMessage(g.id, sent.seq, `${text} !`, [], false, now(), a.id, false);
    expect(kept.value.preview).toEqual(preview);
    const dropped = await store.editMessage(g.id, sent.seq, "no link now", [], false, now(), a.id, true);
    expect(dropped.value.preview).toBeUndefined();
    expect(await store.readablePreviewImage(b.id, id)).toBeNull();

    await store.attachPreview(g.id, sent.seq, "no link now", id, preview, now());
    expect(await store.readablePreviewImage(b.id, id)).toBe(shaNew);
    await store.deleteMessage(g.id, sent.seq, now(), a.id);
    expect((await store.getMessage(g.id, sent.seq))?.preview).toBeUndefined();
    expect(await store.readablePreviewImage(a.id, id)).toBeNull();
    const after = await store.feed(a.id, undefined, 1000);
    expect(JSON.stringify(after.events)).not.toContain("Secret title 42");
  });

  it("sweeps expired link previews no message carries, with their images, and keeps the ones a message carries", async () => {
    const a = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id]))).value;
    const past = new Date(Date.now() - 1000).toISOString();
    const loose = {
      url: `https://${uid("loose")}.example/`,
      id: uid("p"),
      imageSha256: randomBytes(32).toString("hex"),
    };
    const kept = { url: `https://${uid("kept")}.example/`, id: uid("p"), imageSha256: randomBytes(32).toString("hex") };
    for (const r of [loose, kept]) {
      await store.saveLinkPreview({ ...r, preview: { title: "t" }, fetchedAt: past, expiresAt: past });
    }
    const text = `see ${kept.url}`;
    const sent = (await store.appendMessage(msg(g.id, a.id, text))).value;
    await store.attachPreview(g.id, sent.seq, text, kept.id, { url: kept.url, title: "t" }, now());
    const deleted: string[] = [];
    await store.sweepFiles(new Date(0).toISOString(), 1000, async (s) => void deleted.push(s));
    expect(await store.getLinkPreview(loose.url)).toBeNull();
    expect(deleted).toContain(loose.imageSha256);
    expect((await store.getLinkPreview(kept.url))?.id).toBe(kept.id);
    expect(deleted).not.toContain(kept.imageSha256);
  });
  it("keeps chat mutes and notification settings per user, announced on the user's own channel only", async () => {
    const a = await user(store);
    const b = await user(store);
    const g = (await store.createGroup(group(a.id, [a.id, b.id]))).value;
    expect(await store.notifyState(a.id)).toEqual({
      settings: { dnd: null, utcOffsetMinutes: 0, hideText: false, mentionsInQuietHours: false },
      mutes: [],
    });
    const mute = { conversationId: g.id, mutedUntil: "9999-12-31T23:59:59.999Z", mentionsOverrideMute: false };
    const written = await store.setMute(a.id, mute, now());
    expect(written).toMatchObject({
      value: mute,
      audience: [a.id],
      event: { type: "notify.mute", conversationId: g.id, mute },
    });
    // Muting again replaces the row; unmuting keeps the mention choice.
    await store.setMute(a.id, { ...mute, mutedUntil: null }, now());
    const settings = {
      dnd: { start: 1320, end: 420 },
      utcOffsetMinutes: 540,
      hideText: true,
      mentionsInQuietHours: true,
    };
    const saved = await store.setNotifySettings(a.id, settings, now());
    expect(saved.event).toMatchObject({ type: "notify.settings", settings });
    expect(await store.notifyState(a.id)).toEqual({ settings, mutes: [{ ...mute, mutedUntil: null }] });
    const prefs = await store.notifyPrefs([a.id, b.id], g.id);
    expect(prefs.get(a.id)).toEqual({ settings, mute: { ...mute, mutedUntil: null } });
    expect(prefs.get(b.id)).toEqual({
      settings: { dnd: null, utcOffsetMinutes: 0, hideText: false, mentionsInQuietHours: false },
      mute: null,
    });
    // Only a reads these events, though the mute names a group b is in.
    const types = async (id: string) => (await store.feed(id, undefined, 100)).events.map((e) => e.type);
    expect(await types(a.id)).toEqual(["conversation.created", "notify.mute", "notify.mute", "notify.settings"]);
    expect(await types(b.id)).toEqual(["conversation.created"]);
  });

  it("keeps one push subscription per endpoint, hands out only those of live devices, and removes by endpoint", async () => {
    const a = await user(store);
    const b = await user(store);
    const made = now();
    const device = (id: string, userId: string, expiresAt = "2099-01-01T00:00:00.000Z") => ({
      id,
      userId,
      name: "browser",
      createdAt: made,
      lastSeenAt: made,
      expiresAt,
    });
    const [d1, d2, d3, old] = [uid("dev"), uid("dev"), uid("dev"), uid("dev")];
    await store.createDevice(device(d1, a.id), uid("token"));
    await store.createDevice(device(d2, a.id), uid("token"));
    await store.createDevice(device(d3, b.id), uid("token"));
    await store.createDevice(device(old, a.id, "2000-01-01T00:00:00.000Z"), uid("token"));
    const sub = (endpoint: string, userId: string, deviceId: string) => ({
      endpoint,
      userId,
      deviceId,
      p256dh: "BPk",
      auth: "au",
      createdAt: made,
    });
    const [e1, e2, e3, e4] = ["1", "2", "3", "4"].map((n) => `https://push.example/${uid("ep")}-${n}`) as string[];
    await store.addPushSubscription(sub(e1 as string, a.id, d1));
    await store.addPushSubscription(sub(e2 as string, a.id, d2));
    await store.addPushSubscription(sub(e4 as string, a.id, old));
    // The same browser, logged in as b now: the endpoint moves, it is never kept twice.
    await store.addPushSubscription(sub(e3 as string, a.id, d1));
    await store.addPushSubscription(sub(e3 as string, b.id, d3));
    const endpoints = async (ids: string[]) =>
      (await store.pushSubscriptions(ids, now())).map((x) => x.endpoint).sort();
    expect(await endpoints([a.id])).toEqual([e1, e2].sort());
    expect(await endpoints([b.id])).toEqual([e3]);
    await store.revokeDevice(a.id, d2, now());
    expect(await endpoints([a.id, b.id])).toEqual([e1, e3].sort());
    // A user removes only their own endpoint; the push service's 404/410 removes whoever's.
    expect(await store.removePushSubscription(e3 as string, a.id)).toBe(false);
    expect(await store.removePushSubscription(e3 as string, null)).toBe(true);
    expect(await store.removePushSubscription(e1 as string, a.id)).toBe(true);
    expect(await endpoints([a.id, b.id])).toEqual([]);
  });
});
