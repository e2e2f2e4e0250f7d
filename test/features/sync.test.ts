/**
 * Sync: the per-user feed from the beginning holds every kind of change in eventId order; paging
 * with the returned cursor yields each event exactly once; a bad cursor is refused; a second
 * device that syncs ends with exactly the events the first one saw live.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FeedEvent } from "../../src/protocol/index.js";
import { afterDeletions, loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";
import {
  befriend,
  closeAll,
  createDirect,
  createGroup,
  expectError,
  liveFeed,
  nextEvent,
  type Person,
  person,
  send,
  settle,
  syncAll,
} from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
});
afterAll(() => server.stop());

/**
 * A scene with every kind of feed event for `me`: creation of a direct chat and a group,
 * messages, an edit, a deletion, a reaction added and removed, a rename, members added and
 * removed, and receipts both ways.
 */
async function scene(me: Person, bob: Person, carol: Person): Promise<void> {
  // Contacts of bob, so bob's group takes them at once (contact.add makes no feed event).
  await befriend(bob, me, carol);
  const direct = await createDirect(me.client, bob.id);
  const group = await createGroup(bob.client, [me.id], "feed");
  await send(me.client, direct.id, "hi bob");
  await send(bob.client, direct.id, "hi");
  await me.client.ok("message.edit", { conversationId: direct.id, seq: 1, text: "hi bob!" });
  await send(bob.client, group.id, "oops");
  await bob.client.ok("message.delete", { conversationId: group.id, seq: 1 });
  await send(bob.client, group.id, "hello group");
  await me.client.ok("reaction.add", { conversationId: group.id, seq: 2, emoji: "🎉" });
  await me.client.ok("reaction.remove", { conversationId: group.id, seq: 2, emoji: "🎉" });
  await bob.client.ok("reaction.add", { conversationId: group.id, seq: 2, emoji: "👍" });
  await me.client.ok("conversation.update", { conversationId: group.id, title: "feed 2" });
  await bob.client.ok("conversation.addMembers", { conversationId: group.id, userIds: [carol.id] });
  await send(carol.client, group.id, "joined");
  await bob.client.ok("conversation.removeMember", { conversationId: group.id, userId: carol.id });
  await me.client.ok("read", { conversationId: direct.id, seq: 2 });
  await bob.client.ok("read", { conversationId: group.id, seq: 3 });
  await me.client.ok("read", { conversationId: group.id, seq: 3 });
}

/** The number of feed events `scene` makes for `me`. */
const SCENE_EVENTS = 21;

describe("sync", () => {
  it("without a cursor returns everything from the beginning, in eventId order", async () => {
    const me = await person(server, "sy");
    const bob = await person(server, "sy");
    const carol = await person(server, "sy");
    await scene(me, bob, carol);
    const { events } = await syncAll(me.client);
    expect(events.map((e) => e.type)).toEqual([
      "conversation.created",
      "conversation.created",
      "message.new",
      "message.new",
      "message.edited",
      "message.new",
      "message.deleted",
      "message.new",
      "message.reaction",
      "message.reaction",
      "message.reaction",
      "conversation.updated",
      "message.new", // the rename's system line
      "conversation.updated",
      "message.new", // the addition's system line
      "message.new",
      "conversation.updated",
      "message.new", // the removal's system line
      "receipt",
      "receipt",
      "receipt",
    ]);
    expect(events).toHaveLength(SCENE_EVENTS);
    const ids = events.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // The events carry their content, in the live shape.
    const byType = (type: FeedEvent["type"]) => events.filter((e) => e.type === type);
    expect(byType("message.edited")[0]).toMatchObject({ seq: 1, message: { text: "hi bob!" } });
    expect(byType("message.deleted")[0]).toMatchObject({ seq: 1, message: { text: "", deleted: true } });
    expect(byType("message.reaction").map((e) => e.type === "message.reaction" && [e.emoji, e.added])).toEqual([
      ["🎉", true],
      ["🎉", false],
      ["👍", true],
    ]);
    expect(
      byType("conversation.updated").map((e) => e.type === "conversation.updated" && [e.added, e.removed]),
    ).toEqual([
      [[], []],
      [[carol.id], []],
      [[], [carol.id]],
    ]);
    expect(byType("receipt").map((e) => e.type === "receipt" && [e.userId, e.readSeq])).toEqual([
      [me.id, 2],
      [bob.id, 3],
      [me.id, 3],
    ]);
    // Everything the server sent live to me is exactly what sync returned.
    await settle(me.client);
    expect(afterDeletions(liveFeed(me.client))).toEqual(events);
    await closeAll(me.client, bob.client, carol.client);
  });

  it("pages with limit and the returned cursor, each event exactly once, and resumes after new events", async () => {
    const me = await person(server, "pg");
    const bob = await person(server, "pg");
    const carol = await person(server, "pg");
    await scene(me, bob, carol);
    const whole = await syncAll(me.client);
    const paged = await syncAll(me.client, undefined, 4);
    expect(paged.pages).toBe(Math.ceil(whole.events.length / 4));
    expect(paged.events.map((e) => e.eventId)).toEqual(whole.events.map((e) => e.eventId));
    expect(paged.events).toEqual(whole.events);

    // A page of one, by hand: hasMore until the end, then an empty page that keeps the cursor.
    let cursor: string | undefined;
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      const page = await me.client.ok<{ events: FeedEvent[]; cursor: string; hasMore: boolean }>(
        "sync",
        cursor === undefined ? { limit: 1 } : { cursor, limit: 1 },
      );
      seen.push(...page.events.map((e) => e.eventId));
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(whole.events.map((e) => e.eventId));
    const empty = await me.client.ok<{ events: FeedEvent[]; cursor: string; hasMore: boolean }>("sync", { cursor });
    expect(empty).toMatchObject({ events: [], hasMore: false, cursor });

    // New events after the cursor, and only those.
    const direct = await createDirect(me.client, bob.id);
    await send(bob.client, direct.id, "one more");
    const next = await syncAll(me.client, cursor);
    expect(next.events.map((e) => e.type)).toEqual(["message.new"]);
    expect(next.events[0]).toMatchObject({ message: { text: "one more" } });
    await closeAll(me.client, bob.client, carol.client);
  });

  it("refuses a cursor it did not issue with invalid_cursor", async () => {
    const me = await person(server, "cur");
    for (const cursor of ["garbage", "c1.", "c1.-5", "c1.!!", "c2.1", "c1.zzzzzzzzzzzzz"]) {
      await expectError(me.client, "sync", { cursor }, "invalid_cursor");
    }
    await me.client.close();
  });

  it("a second device that syncs sees exactly the events the first device saw live", async () => {
    const me = await person(server, "dv");
    const bob = await person(server, "dv");
    const carol = await person(server, "dv");
    await scene(me, bob, carol);
    await settle(me.client);
    const live = liveFeed(me.client);
    expect(live).toHaveLength(SCENE_EVENTS);

    const phone = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, me.username, "phone")).token);
    const { events, cursor } = await syncAll(phone, undefined, 5);
    expect(events.map((e) => e.eventId)).toEqual(live.map((e) => e.eventId));
    expect(events).toEqual(afterDeletions(live));

    // Carol, removed from the group, sees in her feed what she saw live: up to her removal.
    await settle(carol.client);
    const carolLive = liveFeed(carol.client);
    expect(carolLive.at(-1)).toMatchObject({ type: "conversation.updated", removed: [carol.id] });
    expect((await syncAll(carol.client)).events).toEqual(afterDeletions(carolLive));

    // From here on, the phone gets live what the pc gets live, and its cursor has nothing new.
    const pcBefore = liveFeed(me.client).length;
    const group = await createGroup(bob.client, [me.id]);
    await send(bob.client, group.id, "both devices");
    const onPhone = await nextEvent(phone, "message.new", (e) => e.conversationId === group.id);
    await settle(me.client, phone);
    expect(liveFeed(me.client).slice(pcBefore)).toEqual(liveFeed(phone));
    expect(liveFeed(phone).at(-1)).toEqual(onPhone);
    expect((await syncAll(phone, cursor)).events).toEqual(liveFeed(phone));
    await closeAll(me.client, bob.client, carol.client, phone);
  });

  it("a member removed and added again keeps both membership spans in the feed", async () => {
    const owner = await person(server, "rj");
    const carol = await person(server, "rj");
    await befriend(owner, carol);
    const group = await createGroup(owner.client, [carol.id], "revolving door");
    await send(owner.client, group.id, "first span");
    await owner.client.ok("conversation.removeMember", { conversationId: group.id, userId: carol.id });
    await send(owner.client, group.id, "while carol is away");
    await owner.client.ok("conversation.addMembers", { conversationId: group.id, userIds: [carol.id] });
    await send(owner.client, group.id, "second span");
    await nextEvent(carol.client, "message.new", (e) => e.message.text === "second span");
    await settle(carol.client);
    const live = liveFeed(carol.client);
    const label = (e: FeedEvent) =>
      e.type !== "message.new" ? e.type : e.message.system ? `line: ${e.message.system.action}` : e.message.text;
    // The line of the removal is for those who stayed; carol's next span starts with the addition's.
    expect(live.map(label)).toEqual([
      "conversation.created",
      "first span",
      "conversation.updated",
      "conversation.updated",
      "line: added",
      "second span",
    ]);

    const tablet = await RawClient.connect(
      server.wsUrl,
      (await loginDevice(server.url, carol.username, "tablet")).token,
    );
    const { events } = await syncAll(tablet);
    expect(events.map((e) => e.eventId)).toEqual(live.map((e) => e.eventId));
    await closeAll(owner.client, carol.client, tablet);
  });
});
