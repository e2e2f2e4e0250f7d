/**
 * Conversations: a direct chat exists once per pair; groups get titles, members come and go
 * (each change announced to the members, and to the one removed); the member limit holds; group
 * operations refuse direct chats; the list shows last message and unread counts, newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, ConversationSummary, Message } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";
import {
  acquaint,
  closeAll,
  createDirect,
  createGroup,
  expectError,
  nextEvent,
  person,
  send,
  settle,
  sleep,
} from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
});
afterAll(() => server.stop());

describe("direct conversations", () => {
  it("are created once per pair: a second create from either side returns the same id, created:false", async () => {
    const alice = await person(server, "dir");
    const bob = await person(server, "dir");
    const first = await alice.client.ok<{ conversation: Conversation; created: boolean }>("conversation.create", {
      kind: "direct",
      memberIds: [bob.id],
    });
    expect(first.created).toBe(true);
    expect(first.conversation).toMatchObject({ kind: "direct" });
    expect([...first.conversation.memberIds].sort()).toEqual([alice.id, bob.id].sort());

    const again = await alice.client.ok<{ conversation: Conversation; created: boolean }>("conversation.create", {
      kind: "direct",
      memberIds: [bob.id],
    });
    expect(again).toMatchObject({ created: false, conversation: { id: first.conversation.id } });
    const fromBob = await bob.client.ok<{ conversation: Conversation; created: boolean }>("conversation.create", {
      kind: "direct",
      memberIds: [alice.id],
    });
    expect(fromBob).toMatchObject({ created: false, conversation: { id: first.conversation.id } });

    // Only one conversation.created was announced, and each side lists exactly one conversation.
    await settle(alice.client, bob.client);
    expect(bob.client.eventsOf("conversation.created")).toHaveLength(1);
    const list = await bob.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
    expect(list.conversations.map((c) => c.conversation.id)).toEqual([first.conversation.id]);
    await closeAll(alice.client, bob.client);
  });

  it("refuses a second other member and an unknown user", async () => {
    const alice = await person(server, "dir");
    const bob = await person(server, "dir");
    const carol = await person(server, "dir");
    await expectError(
      alice.client,
      "conversation.create",
      { kind: "direct", memberIds: [bob.id, carol.id] },
      "invalid_request",
    );
    await expectError(
      alice.client,
      "conversation.create",
      { kind: "direct", memberIds: ["00000000-0000-0000-0000-000000000000"] },
      "user_not_found",
    );
    await closeAll(alice.client, bob.client, carol.client);
  });
});

describe("groups", () => {
  it("are created with a title, and conversation.update renames them for every member", async () => {
    const owner = await person(server, "grp");
    const bob = await person(server, "grp");
    const carol = await person(server, "grp");
    await acquaint(owner, bob, carol);
    const group = await createGroup(owner.client, [bob.id, carol.id], "점심 메뉴");
    expect(group).toMatchObject({ kind: "group", title: "점심 메뉴", createdBy: owner.id });
    expect([...group.memberIds].sort()).toEqual([owner.id, bob.id, carol.id].sort());
    const created = await nextEvent(carol.client, "conversation.created");
    expect(created.conversation).toMatchObject({ id: group.id, title: "점심 메뉴" });

    // Any member may rename.
    const renamed = await bob.client.ok<{ conversation: Conversation }>("conversation.update", {
      conversationId: group.id,
      title: "저녁 메뉴",
    });
    expect(renamed.conversation.title).toBe("저녁 메뉴");
    for (const member of [owner, bob, carol]) {
      const event = await nextEvent(member.client, "conversation.updated", (e) => e.conversationId === group.id);
      expect(event).toMatchObject({
        conversation: { id: group.id, title: "저녁 메뉴" },
        byUserId: bob.id,
        added: [],
        removed: [],
      });
    }
    const got = await carol.client.ok<{ conversation: Conversation }>("conversation.get", { conversationId: group.id });
    expect(got.conversation.title).toBe("저녁 메뉴");
    await closeAll(owner.client, bob.client, carol.client);
  });

  it("refuses a blank title (whitespace only) with invalid_request, on create and on update", async () => {
    const owner = await person(server, "ttl");
    const bob = await person(server, "ttl");
    await acquaint(owner, bob);
    const group = await createGroup(owner.client, [bob.id], "  padded  ");
    expect(group.title).toBe("padded");
    const onCreate = await owner.client.request("conversation.create", {
      kind: "group",
      memberIds: [bob.id],
      title: "   ",
    });
    const onUpdate = await owner.client.request("conversation.update", { conversationId: group.id, title: " \t " });
    expect({ onCreate, onUpdate }).toMatchObject({
      onCreate: { type: "error", code: "invalid_request" },
      onUpdate: { type: "error", code: "invalid_request" },
    });
    const got = await bob.client.ok<{ conversation: Conversation }>("conversation.get", { conversationId: group.id });
    expect(got.conversation.title).toBe("padded");
    await closeAll(owner.client, bob.client);
  });

  it("addMembers: the newcomer gets conversation.updated and can read the history from before", async () => {
    const owner = await person(server, "add");
    const bob = await person(server, "add");
    const newcomer = await person(server, "add");
    await acquaint(owner, bob, newcomer);
    const group = await createGroup(owner.client, [bob.id], "team");
    await send(owner.client, group.id, "before you came");
    await send(bob.client, group.id, "indeed");
    await expectError(newcomer.client, "history", { conversationId: group.id }, "forbidden");

    const reply = await bob.client.ok<{ conversation: Conversation }>("conversation.addMembers", {
      conversationId: group.id,
      userIds: [newcomer.id],
    });
    expect(reply.conversation.memberIds).toContain(newcomer.id);
    const event = await nextEvent(newcomer.client, "conversation.updated", (e) => e.conversationId === group.id);
    expect(event).toMatchObject({ byUserId: bob.id, added: [newcomer.id], removed: [] });
    expect(event.conversation.memberIds).toContain(newcomer.id);
    // The existing members hear about it too.
    const seenByOwner = await nextEvent(owner.client, "conversation.updated", (e) => e.conversationId === group.id);
    expect(seenByOwner.added).toEqual([newcomer.id]);

    const history = await newcomer.client.ok<{ messages: Message[] }>("history", { conversationId: group.id });
    expect(history.messages.map((m) => [m.seq, m.text, m.system])).toEqual([
      [1, "before you came", undefined],
      [2, "indeed", undefined],
      // The change itself is a system line in the conversation's order.
      [3, "", { action: "added", userIds: [newcomer.id] }],
    ]);
    // And from now on receives new messages live.
    await send(owner.client, group.id, "welcome");
    const live = await nextEvent(newcomer.client, "message.new", (e) => e.message.text === "welcome");
    expect(live).toMatchObject({ seq: 4, message: { text: "welcome" } });
    await closeAll(owner.client, bob.client, newcomer.client);
  });

  it("removeMember by the owner: the removed user hears it, then is forbidden and hears nothing more", async () => {
    const owner = await person(server, "rm");
    const bob = await person(server, "rm");
    const carol = await person(server, "rm");
    await acquaint(owner, bob, carol);
    const group = await createGroup(owner.client, [bob.id, carol.id], "soon smaller");
    await send(owner.client, group.id, "hello all");

    const reply = await owner.client.ok<{ conversation: Conversation }>("conversation.removeMember", {
      conversationId: group.id,
      userId: carol.id,
    });
    expect([...reply.conversation.memberIds].sort()).toEqual([owner.id, bob.id].sort());
    const event = await nextEvent(carol.client, "conversation.updated", (e) => e.conversationId === group.id);
    expect(event).toMatchObject({ byUserId: owner.id, added: [], removed: [carol.id] });
    expect(event.conversation.memberIds).not.toContain(carol.id);
    const bobSaw = await nextEvent(bob.client, "conversation.updated", (e) => e.conversationId === group.id);
    expect(bobSaw.removed).toEqual([carol.id]);

    await expectError(carol.client, "history", { conversationId: group.id }, "forbidden");
    await expectError(
      carol.client,
      "message.send",
      { conversationId: group.id, clientMsgId: "ghost", text: "am I still here?" },
      "forbidden",
    );
    await expectError(carol.client, "conversation.get", { conversationId: group.id }, "forbidden");
    const carolList = await carol.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
    expect(carolList.conversations.map((c) => c.conversation.id)).not.toContain(group.id);

    const carolEvents = carol.client.events.length;
    await send(owner.client, group.id, "after carol left");
    await nextEvent(bob.client, "message.new", (e) => e.message.text === "after carol left");
    await settle(carol.client);
    expect(carol.client.events.slice(carolEvents)).toEqual([]);
    await closeAll(owner.client, bob.client, carol.client);
  });

  it("refuses a non-owner removing someone else with forbidden", async () => {
    const owner = await person(server, "rmx");
    const bob = await person(server, "rmx");
    const carol = await person(server, "rmx");
    await acquaint(owner, bob, carol);
    const group = await createGroup(owner.client, [bob.id, carol.id]);
    await expectError(
      bob.client,
      "conversation.removeMember",
      { conversationId: group.id, userId: carol.id },
      "forbidden",
    );
    await expectError(
      bob.client,
      "conversation.removeMember",
      { conversationId: group.id, userId: owner.id },
      "forbidden",
    );
    const got = await owner.client.ok<{ conversation: Conversation }>("conversation.get", { conversationId: group.id });
    expect([...got.conversation.memberIds].sort()).toEqual([owner.id, bob.id, carol.id].sort());
    await closeAll(owner.client, bob.client, carol.client);
  });

  it("leave: the member is gone and announced; when the owner leaves, the longest-standing member owns it", async () => {
    const owner = await person(server, "lv");
    const bob = await person(server, "lv");
    const carol = await person(server, "lv");
    await acquaint(owner, bob, carol);
    const group = await createGroup(owner.client, [bob.id, carol.id]);
    expect(await bob.client.ok("conversation.leave", { conversationId: group.id })).toMatchObject({ type: "ok" });
    const event = await nextEvent(carol.client, "conversation.updated", (e) => e.conversationId === group.id);
    expect(event).toMatchObject({ byUserId: bob.id, removed: [bob.id] });
    await nextEvent(bob.client, "conversation.updated", (e) => e.conversationId === group.id);
    await expectError(bob.client, "history", { conversationId: group.id }, "forbidden");

    await owner.client.ok("conversation.leave", { conversationId: group.id });
    const got = await carol.client.ok<{ members: { userId: string; role: string }[] }>("conversation.get", {
      conversationId: group.id,
    });
    expect(got.members).toEqual([expect.objectContaining({ userId: carol.id, role: "owner" })]);
    // The new owner may now remove others: add bob back and remove him.
    await carol.client.ok("conversation.addMembers", { conversationId: group.id, userIds: [bob.id] });
    await carol.client.ok("conversation.removeMember", { conversationId: group.id, userId: bob.id });
    await closeAll(owner.client, bob.client, carol.client);
  });

  it("refuses group operations on a direct conversation with invalid_conversation_kind", async () => {
    const alice = await person(server, "kind");
    const bob = await person(server, "kind");
    const carol = await person(server, "kind");
    const direct = await createDirect(alice.client, bob.id);
    const conversationId = direct.id;
    await expectError(alice.client, "conversation.update", { conversationId, title: "x" }, "invalid_conversation_kind");
    await expectError(
      alice.client,
      "conversation.addMembers",
      { conversationId, userIds: [carol.id] },
      "invalid_conversation_kind",
    );
    await expectError(
      alice.client,
      "conversation.removeMember",
      { conversationId, userId: bob.id },
      "invalid_conversation_kind",
    );
    await expectError(alice.client, "conversation.leave", { conversationId }, "invalid_conversation_kind");
    const got = await alice.client.ok<{ conversation: Conversation }>("conversation.get", { conversationId });
    expect([...got.conversation.memberIds].sort()).toEqual([alice.id, bob.id].sort());
    expect(got.conversation.title).toBeUndefined();
    await closeAll(alice.client, bob.client, carol.client);
  });
});

describe("member limit (maxGroupMembers: 3)", () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ maxGroupMembers: 3 });
  });
  afterAll(() => small.stop());

  it("refuses creating a group past the limit, and growing one past it", async () => {
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => person(small, "lim")));
    if (!a || !b || !c || !d) throw new Error("setup");
    await acquaint(a, b, c, d);
    await expectError(
      a.client,
      "conversation.create",
      { kind: "group", memberIds: [b.id, c.id, d.id] },
      "member_limit_exceeded",
    );
    expect((await a.client.ok<{ conversations: unknown[] }>("conversation.list")).conversations).toEqual([]);

    const full = await createGroup(a.client, [b.id, c.id]);
    expect(full.memberIds).toHaveLength(3);
    await expectError(
      b.client,
      "conversation.addMembers",
      { conversationId: full.id, userIds: [d.id] },
      "member_limit_exceeded",
    );

    const pair = await createGroup(a.client, [b.id]);
    // Adding one fits; adding two does not.
    await expectError(
      a.client,
      "conversation.addMembers",
      { conversationId: pair.id, userIds: [c.id, d.id] },
      "member_limit_exceeded",
    );
    const grown = await a.client.ok<{ conversation: Conversation }>("conversation.addMembers", {
      conversationId: pair.id,
      userIds: [c.id],
    });
    expect(grown.conversation.memberIds).toHaveLength(3);
    await expectError(d.client, "history", { conversationId: full.id }, "forbidden");
    await closeAll(a.client, b.client, c.client, d.client);
  });
});

describe("conversation.list", () => {
  it("shows the last message and my unread and unread-mention counts, most recently active first", async () => {
    const alice = await person(server, "lst");
    const bob = await person(server, "lst");
    const carol = await person(server, "lst");
    await acquaint(alice, bob, carol);
    const direct = await createDirect(alice.client, bob.id);
    await sleep(3);
    const group = await createGroup(alice.client, [bob.id, carol.id], "three");
    await sleep(3);

    await send(alice.client, direct.id, "one");
    await send(alice.client, direct.id, `two @${bob.username}`);
    await sleep(3);
    await send(alice.client, group.id, "@all standup");
    await send(carol.client, group.id, "ok");
    await send(carol.client, group.id, `@${alice.username} only you`);
    await sleep(3);

    const summaries = async (client: typeof alice.client) =>
      (await client.ok<{ conversations: ConversationSummary[] }>("conversation.list")).conversations;

    // The group had the latest activity.
    const bobs = await summaries(bob.client);
    expect(bobs.map((s) => s.conversation.id)).toEqual([group.id, direct.id]);
    const bobGroup = bobs[0] as ConversationSummary;
    const bobDirect = bobs[1] as ConversationSummary;
    expect(bobGroup).toMatchObject({ lastSeq: 3, readSeq: 0, unreadCount: 3, unreadMentionCount: 1 });
    expect(bobGroup.lastMessage).toMatchObject({ seq: 3, text: `@${alice.username} only you`, senderId: carol.id });
    expect(bobDirect).toMatchObject({ lastSeq: 2, readSeq: 0, unreadCount: 2, unreadMentionCount: 1 });
    expect(bobDirect.lastMessage?.text).toBe(`two @${bob.username}`);

    // The sender's own messages are never unread for her.
    const alices = await summaries(alice.client);
    const aliceDirect = alices.find((s) => s.conversation.id === direct.id);
    expect(aliceDirect).toMatchObject({ readSeq: 2, unreadCount: 0, unreadMentionCount: 0 });
    const aliceGroup = alices.find((s) => s.conversation.id === group.id);
    // Carol's two messages are unread for alice, one of them mentions her; her own @all does not count.
    expect(aliceGroup).toMatchObject({ readSeq: 1, unreadCount: 2, unreadMentionCount: 1 });

    const carols = await summaries(carol.client);
    expect(carols.map((s) => s.conversation.id)).toEqual([group.id]);
    expect(carols[0]).toMatchObject({ readSeq: 3, unreadCount: 0, unreadMentionCount: 0 });

    // Reading moves the counts; new activity in the direct chat moves it to the top.
    await bob.client.ok("read", { conversationId: group.id, seq: 2 });
    await send(bob.client, direct.id, "reply");
    const after = await summaries(bob.client);
    expect(after.map((s) => s.conversation.id)).toEqual([direct.id, group.id]);
    expect(after[0]).toMatchObject({ readSeq: 3, unreadCount: 0, unreadMentionCount: 0, lastSeq: 3 });
    // Seq 3 (no mention of bob) is still unread; the @all at seq 1 is read.
    expect(after[1]).toMatchObject({ readSeq: 2, unreadCount: 1, unreadMentionCount: 0 });
    const alicesAfter = await summaries(alice.client);
    expect(alicesAfter[0]).toMatchObject({ conversation: { id: direct.id }, unreadCount: 1 });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("does not count deleted messages as unread", async () => {
    const alice = await person(server, "lsd");
    const bob = await person(server, "lsd");
    const direct = await createDirect(alice.client, bob.id);
    await send(alice.client, direct.id, `@${bob.username} look`);
    await send(alice.client, direct.id, "and this");
    await alice.client.ok("message.delete", { conversationId: direct.id, seq: 1 });
    const [summary] = (await bob.client.ok<{ conversations: ConversationSummary[] }>("conversation.list"))
      .conversations;
    expect(summary).toMatchObject({ unreadCount: 1, unreadMentionCount: 0 });
    await closeAll(alice.client, bob.client);
  });
});
