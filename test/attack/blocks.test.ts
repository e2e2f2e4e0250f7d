/**
 * Attack: a blocked user keeps reaching the one who blocked them. Before the fix they made 20 of
 * 20 spam groups with the blocker in them and delivered an @mention. Here the blocked user tries
 * every way there is — new groups, adding to an existing group, direct chats, @mentions and
 * @all in a group both were already in, presence, and the profile — over the real protocol, and
 * the blocker must see none of it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ConversationSummary, Invitation, Message, User } from "../../src/protocol/index.js";
import { befriend, closeAll, createGroup, expectError, nextEvent, person, send, settle } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
});
afterAll(() => server.stop());

it("a blocked user's 20 spam groups never reach the blocker, as a member or as an invitation", async () => {
  const me = await person(server, "blkme");
  const spammer = await person(server, "blkspam");
  const bystander = await person(server, "blkby");
  // Even a contact of mine (whom I once added) is stopped by my block.
  await me.client.ok("contact.add", { userId: spammer.id });
  await bystander.client.ok("contact.add", { userId: spammer.id });
  await me.client.ok("block.add", { userId: spammer.id });

  for (let i = 0; i < 20; i++) {
    await expectError(
      spammer.client,
      "conversation.create",
      { kind: "group", title: `spam ${i}`, memberIds: [me.id, bystander.id] },
      "blocked",
    );
  }
  await expectError(spammer.client, "conversation.create", { kind: "direct", memberIds: [me.id] }, "blocked");
  // Nor by the back door: a group without me, then adding me.
  const group = await createGroup(spammer.client, [bystander.id], "add later");
  await expectError(
    spammer.client,
    "conversation.addMembers",
    { conversationId: group.id, userIds: [me.id] },
    "blocked",
  );
  // The refusal is whole: no group was made with the bystander alone either.
  const spamList = await spammer.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
  expect(spamList.conversations.map((c) => c.conversation.title)).toEqual(["add later"]);

  await settle(me.client);
  const mine = await me.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
  expect(mine.conversations).toEqual([]);
  expect((await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations).toEqual([]);
  expect((await me.client.ok<{ events: unknown[] }>("sync")).events).toEqual([]);
  expect(me.client.events).toEqual([]);
  await closeAll(me.client, spammer.client, bystander.client);
});

it("an invitation is withdrawn by a block made after it: not listed, not acceptable", async () => {
  const me = await person(server, "blkinv");
  const stranger = await person(server, "blkinv");
  const { invitations } = await stranger.client.ok<{ invitations: Invitation[] }>("conversation.create", {
    kind: "group",
    memberIds: [me.id],
  });
  expect(invitations).toHaveLength(1);
  expect((await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations).toHaveLength(1);
  await stranger.client.ok("block.add", { userId: me.id });
  expect((await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations).toEqual([]);
  // Nor can it be accepted by its id: the block withdrew it.
  await expectError(me.client, "invitation.accept", { invitationId: invitations[0]?.id }, "blocked");
  await closeAll(me.client, stranger.client);
});

it("in a group both were already in, the blocked user's @mention and @all do not count for the blocker", async () => {
  const owner = await person(server, "blkown");
  const me = await person(server, "blkmen");
  const blocked = await person(server, "blkmen");
  const carol = await person(server, "blkmen");
  await befriend(owner, me, blocked, carol);
  const group = await createGroup(owner.client, [me.id, blocked.id, carol.id], "shared");
  await me.client.ok("block.add", { userId: blocked.id });

  const mention = await send(blocked.client, group.id, `@${me.username} look at me`);
  expect(mention.mentions).toEqual([]);
  const live = await nextEvent(me.client, "message.new", (e) => e.message.id === mention.id);
  expect(live.message.mentions).not.toContain(me.id);
  await send(blocked.client, group.id, "@all everyone look");
  // The owner's mention still reaches me: only the blocked sender is stopped.
  const fromOwner = await send(owner.client, group.id, `@${me.username} hi`);
  expect(fromOwner.mentions).toEqual([me.id]);

  // An edit that adds the mention afterwards is stopped too.
  const edited = await blocked.client.ok<{ message: Message }>("message.edit", {
    conversationId: group.id,
    seq: mention.seq,
    text: `@${me.username} edited in`,
  });
  expect(edited.message.mentions).toEqual([]);

  const list = await me.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
  const summary = list.conversations.find((c) => c.conversation.id === group.id);
  expect(summary?.unreadCount).toBe(3);
  expect(summary?.unreadMentionCount).toBe(1); // the owner's, not the blocked user's two
  // Carol, who blocked nobody, counts the blocked user's @all: the message itself is not hidden.
  const carolList = await carol.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
  expect(carolList.conversations.find((c) => c.conversation.id === group.id)?.unreadMentionCount).toBe(1);
  await closeAll(owner.client, me.client, blocked.client, carol.client);
});

it("a blocked user cannot watch the blocker's presence, not even through a subscription made before the block", async () => {
  const me = await person(server, "blkpre");
  const blocked = await person(server, "blkpre");
  const friend = await person(server, "blkpre");
  for (const other of [blocked, friend]) {
    await me.client.ok("contact.add", { userId: other.id });
    await other.client.ok("contact.add", { userId: me.id });
  }
  // Mutual contacts: both may subscribe before the block.
  for (const watcher of [blocked, friend]) {
    expect(
      (await watcher.client.ok<{ refused: string[] }>("presence.subscribe", { userIds: [me.id] })).refused,
    ).toEqual([]);
  }

  await me.client.ok("block.add", { userId: blocked.id });
  await expectError(blocked.client, "presence.subscribe", { userIds: [me.id] }, "forbidden");
  // The subscription made before the block is gone too: my going offline reaches the friend
  // (the positive control) but not the blocked user.
  const seen = blocked.client.events.length;
  await me.client.close();
  await nextEvent(friend.client, "presence", (e) => e.userId === me.id && !e.online);
  await settle(blocked.client);
  expect(blocked.client.events.slice(seen).filter((e) => e.type === "presence")).toEqual([]);
  await closeAll(blocked.client, friend.client);
});

it("a blocked user finds no profile of the blocker: user.find and user.get answer as for no such user", async () => {
  const me = await person(server, "blkpro");
  const blocked = await person(server, "blkpro");
  const other = await person(server, "blkpro");
  expect((await blocked.client.ok<{ user: User }>("user.find", { username: me.username })).user.id).toBe(me.id);
  await me.client.ok("block.add", { userId: blocked.id });
  await expectError(blocked.client, "user.find", { username: me.username }, "user_not_found");
  const got = await blocked.client.ok<{ users: User[] }>("user.get", { userIds: [me.id, other.id] });
  expect(got.users.map((u) => u.id)).toEqual([other.id]);
  // The blocker still sees the blocked user (to unblock them), and others still see the blocker.
  expect((await me.client.ok<{ user: User }>("user.find", { username: blocked.username })).user.id).toBe(blocked.id);
  expect((await other.client.ok<{ user: User }>("user.find", { username: me.username })).user.id).toBe(me.id);
  // Unblocking shows the profile again.
  await me.client.ok("block.remove", { userId: blocked.id });
  expect((await blocked.client.ok<{ user: User }>("user.find", { username: me.username })).user.id).toBe(me.id);
  await closeAll(me.client, blocked.client, other.client);
});
