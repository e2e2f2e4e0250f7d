/**
 * Messages: gap-free seq, text limits, replies, mentions, edits, deletions (tombstones and the
 * delete window), and history paging in both directions. Reactions are in reactions.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationSummary, Message } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";
import {
  befriend,
  closeAll,
  createDirect,
  createGroup,
  expectError,
  nextEvent,
  type Person,
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

type HistoryReply = { messages: Message[]; hasMore: boolean; readSeqs: Record<string, number> };

async function trio(prefix: string): Promise<{ alice: Person; bob: Person; carol: Person; groupId: string }> {
  const alice = await person(server, prefix);
  const bob = await person(server, prefix);
  const carol = await person(server, prefix);
  await befriend(alice, bob, carol);
  const group = await createGroup(alice.client, [bob.id, carol.id]);
  return { alice, bob, carol, groupId: group.id };
}

describe("sending", () => {
  it("numbers messages 1, 2, 3 and delivers each live with its seq", async () => {
    const alice = await person(server, "seq");
    const bob = await person(server, "seq");
    const direct = await createDirect(alice.client, bob.id);
    const seqs = [];
    for (const text of ["하나", "둘", "셋"]) seqs.push((await send(alice.client, direct.id, text)).seq);
    expect(seqs).toEqual([1, 2, 3]);
    await bob.client.until(() => bob.client.eventsOf("message.new").length === 3);
    expect(bob.client.eventsOf("message.new").map((e) => [e.seq, e.message.seq, e.message.text])).toEqual([
      [1, 1, "하나"],
      [2, 2, "둘"],
      [3, 3, "셋"],
    ]);
    const reply = await bob.client.ok<{ message: Message }>("message.send", {
      conversationId: direct.id,
      clientMsgId: "bob-4",
      text: "넷",
    });
    expect(reply.message).toMatchObject({ seq: 4, senderId: bob.id, clientMsgId: "bob-4", text: "넷" });
    expect(Number.isNaN(Date.parse(reply.message.createdAt))).toBe(false);
    await closeAll(alice.client, bob.client);
  });

  it("refuses empty and whitespace-only text with invalid_request and stores nothing", async () => {
    const alice = await person(server, "empty");
    const direct = await createDirect(alice.client, (await person(server, "empty")).id);
    for (const [i, text] of ["", "   ", "\n\t "].entries()) {
      await expectError(
        alice.client,
        "message.send",
        { conversationId: direct.id, clientMsgId: `e${i}`, text },
        "invalid_request",
      );
    }
    expect((await send(alice.client, direct.id, "real")).seq).toBe(1);
    await alice.client.close();
  });

  it("stores replyToSeq and returns it; a reply to a missing seq is message_not_found", async () => {
    const alice = await person(server, "reply");
    const bob = await person(server, "reply");
    const direct = await createDirect(alice.client, bob.id);
    await send(alice.client, direct.id, "question?");
    const answer = await send(bob.client, direct.id, "answer", { replyToSeq: 1 });
    expect(answer.replyToSeq).toBe(1);
    const live = await nextEvent(alice.client, "message.new", (e) => e.seq === 2);
    expect(live.message.replyToSeq).toBe(1);
    const history = await alice.client.ok<HistoryReply>("history", { conversationId: direct.id });
    expect(history.messages.map((m) => m.replyToSeq)).toEqual([undefined, 1]);
    await expectError(
      bob.client,
      "message.send",
      { conversationId: direct.id, clientMsgId: "dangling", text: "to nothing", replyToSeq: 99 },
      "message_not_found",
    );
    await expectError(
      bob.client,
      "message.send",
      { conversationId: direct.id, clientMsgId: "self-reply", text: "to myself", replyToSeq: 3 },
      "message_not_found",
    );
    expect((await send(bob.client, direct.id, "next")).seq).toBe(3);
    await closeAll(alice.client, bob.client);
  });
});

describe("text limit (maxTextLength: 10)", () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ maxTextLength: 10 });
  });
  afterAll(() => short.stop());

  it("refuses 11 characters with text_too_long and takes 10 Korean characters", async () => {
    const alice = await person(short, "len");
    const direct = await createDirect(alice.client, (await person(short, "len")).id);
    await expectError(
      alice.client,
      "message.send",
      { conversationId: direct.id, clientMsgId: "long", text: "abcdefghijk" },
      "text_too_long",
    );
    const korean = "가나다라마바사아자차";
    expect([...korean]).toHaveLength(10);
    expect(Buffer.byteLength(korean)).toBe(30);
    expect((await send(alice.client, direct.id, korean)).text).toBe(korean);
    await expectError(
      alice.client,
      "message.send",
      { conversationId: direct.id, clientMsgId: "long-ko", text: `${korean}카` },
      "text_too_long",
    );
    // An emoji is one character (one code point), not two UTF-16 units.
    expect((await send(alice.client, direct.id, "🐯".repeat(10))).seq).toBe(2);
    // An edit is held to the same limit.
    await expectError(
      alice.client,
      "message.edit",
      { conversationId: direct.id, seq: 1, text: "x".repeat(11) },
      "text_too_long",
    );
    await alice.client.close();
  });
});

describe("mentions", () => {
  it("resolves @username of members, @all, and ignores e-mail addresses, strangers and oneself", async () => {
    const { alice, bob, carol, groupId } = await trio("men");
    const stranger = await person(server, "men");

    const hi = await send(alice.client, groupId, `@${bob.username} hi`);
    expect(hi).toMatchObject({ mentions: [bob.id], mentionsAll: false });
    const all = await send(alice.client, groupId, "@all meeting now");
    expect(all).toMatchObject({ mentions: [], mentionsAll: true });
    const mail = await send(alice.client, groupId, `mail me at ${bob.username}@example.com`);
    expect(mail).toMatchObject({ mentions: [], mentionsAll: false });
    const plainMail = await send(alice.client, groupId, "mail@example.com");
    expect(plainMail).toMatchObject({ mentions: [], mentionsAll: false });
    const outsider = await send(alice.client, groupId, `@${stranger.username} are you there?`);
    expect(outsider.mentions).toEqual([]);
    const self = await send(alice.client, groupId, `@${alice.username} note to self`);
    expect(self.mentions).toEqual([]);
    const upper = await send(alice.client, groupId, `(@${carol.username.toUpperCase()}) and @${bob.username}.`);
    expect(upper.mentions).toEqual([carol.id, bob.id]);

    // The live event carries the same mentions.
    const live = await nextEvent(bob.client, "message.new", (e) => e.seq === hi.seq);
    expect(live.message.mentions).toEqual([bob.id]);
    await closeAll(alice.client, bob.client, carol.client, stranger.client);
  });

  it("counts unread mentions per member in conversation.list", async () => {
    const { alice, bob, carol, groupId } = await trio("menc");
    await send(alice.client, groupId, `@${bob.username} one`);
    await send(alice.client, groupId, `@${bob.username} two`);
    await send(alice.client, groupId, `@${carol.username} three`);
    await send(alice.client, groupId, "@all four");
    await send(bob.client, groupId, `@${bob.username} @all myself`);
    const mentionCount = async (who: Person) => {
      const list = (await who.client.ok<{ conversations: ConversationSummary[] }>("conversation.list")).conversations;
      const summary = list.find((s) => s.conversation.id === groupId);
      return [summary?.unreadCount, summary?.unreadMentionCount];
    };
    expect(await mentionCount(bob)).toEqual([0, 0]); // bob's send moved his read cursor to 5
    expect(await mentionCount(carol)).toEqual([5, 3]); // three, four (@all) and bob's @all
    expect(await mentionCount(alice)).toEqual([1, 1]); // bob's @all
    await closeAll(alice.client, bob.client, carol.client);
  });
});

describe("editing", () => {
  it("lets the sender edit: editedAt is set, mentions are parsed again and others get message.edited", async () => {
    const { alice, bob, carol, groupId } = await trio("edit");
    await send(alice.client, groupId, `hi @${bob.username}`);
    const reply = await alice.client.ok<{ message: Message }>("message.edit", {
      conversationId: groupId,
      seq: 1,
      text: `hi @${carol.username}, @all`,
    });
    expect(reply.message).toMatchObject({
      seq: 1,
      text: `hi @${carol.username}, @all`,
      mentions: [carol.id],
      mentionsAll: true,
    });
    expect(Number.isNaN(Date.parse(reply.message.editedAt ?? ""))).toBe(false);
    for (const other of [bob, carol]) {
      const event = await nextEvent(other.client, "message.edited", (e) => e.conversationId === groupId);
      expect(event).toMatchObject({ seq: 1, message: { text: `hi @${carol.username}, @all`, mentions: [carol.id] } });
      expect(event.message.editedAt).toBe(reply.message.editedAt);
    }
    const [stored] = (await bob.client.ok<HistoryReply>("history", { conversationId: groupId })).messages;
    expect(stored).toMatchObject({ text: `hi @${carol.username}, @all`, mentions: [carol.id], mentionsAll: true });

    // Mentions removed by the edit stop counting; mentions added start counting.
    await alice.client.ok("message.edit", { conversationId: groupId, seq: 1, text: "never mind" });
    const list = (await bob.client.ok<{ conversations: ConversationSummary[] }>("conversation.list")).conversations;
    expect(list[0]).toMatchObject({ unreadCount: 1, unreadMentionCount: 0 });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("refuses an edit by another user with not_message_owner, and of a missing seq with message_not_found", async () => {
    const { alice, bob, carol, groupId } = await trio("editx");
    await send(alice.client, groupId, "mine");
    await expectError(
      bob.client,
      "message.edit",
      { conversationId: groupId, seq: 1, text: "yours now" },
      "not_message_owner",
    );
    await expectError(
      alice.client,
      "message.edit",
      { conversationId: groupId, seq: 7, text: "?" },
      "message_not_found",
    );
    await expectError(alice.client, "message.edit", { conversationId: groupId, seq: 1, text: "  " }, "invalid_request");
    const [stored] = (await alice.client.ok<HistoryReply>("history", { conversationId: groupId })).messages;
    expect(stored?.text).toBe("mine");
    expect(stored?.editedAt).toBeUndefined();
    await closeAll(alice.client, bob.client, carol.client);
  });
});

describe("deleting", () => {
  it("leaves a tombstone that keeps its seq, and tells the others with message.deleted", async () => {
    const { alice, bob, carol, groupId } = await trio("del");
    await send(alice.client, groupId, "first");
    await send(alice.client, groupId, `secret @${bob.username}`);
    await send(alice.client, groupId, "third");
    await bob.client.ok("reaction.add", { conversationId: groupId, seq: 2, emoji: "👍" });
    const reply = await alice.client.ok<{ message: Message }>("message.delete", { conversationId: groupId, seq: 2 });
    expect(reply.message).toMatchObject({ seq: 2, text: "", deleted: true, mentions: [], reactions: {} });
    expect(typeof reply.message.deletedAt).toBe("string");
    const event = await nextEvent(bob.client, "message.deleted", (e) => e.conversationId === groupId);
    expect(event).toMatchObject({ seq: 2, message: { seq: 2, text: "", deleted: true } });
    await nextEvent(carol.client, "message.deleted", (e) => e.conversationId === groupId);

    const history = await carol.client.ok<HistoryReply>("history", { conversationId: groupId });
    expect(history.messages.map((m) => [m.seq, m.text, m.deleted ?? false])).toEqual([
      [1, "first", false],
      [2, "", true],
      [3, "third", false],
    ]);
    expect(JSON.stringify(history)).not.toContain("secret");
    // Deleting again returns the tombstone; the next message still gets seq 4.
    const again = await alice.client.ok<{ message: Message }>("message.delete", { conversationId: groupId, seq: 2 });
    expect(again.message).toMatchObject({ seq: 2, deleted: true });
    expect((await send(bob.client, groupId, "after")).seq).toBe(4);
    // Others may not delete it; a deleted message may not be edited.
    await expectError(bob.client, "message.delete", { conversationId: groupId, seq: 1 }, "not_message_owner");
    await expectError(
      alice.client,
      "message.edit",
      { conversationId: groupId, seq: 2, text: "back" },
      "message_deleted",
    );
    await closeAll(alice.client, bob.client, carol.client);
  });

  describe("past the window (deleteWindowMs: 0)", () => {
    let strict: TestServer;
    beforeAll(async () => {
      strict = await startTestServer({ deleteWindowMs: 0 });
    });
    afterAll(() => strict.stop());

    it("refuses with delete_window_expired and keeps the message", async () => {
      const alice = await person(strict, "win");
      const bob = await person(strict, "win");
      const direct = await createDirect(alice.client, bob.id);
      await send(alice.client, direct.id, "too late to take back");
      await sleep(20);
      await expectError(alice.client, "message.delete", { conversationId: direct.id, seq: 1 }, "delete_window_expired");
      const [stored] = (await bob.client.ok<HistoryReply>("history", { conversationId: direct.id })).messages;
      expect(stored).toMatchObject({ text: "too late to take back" });
      expect(stored?.deleted).toBeUndefined();
      await settle(bob.client);
      expect(bob.client.eventsOf("message.deleted")).toEqual([]);
      await closeAll(alice.client, bob.client);
    });
  });
});

describe("history paging", () => {
  it("pages back with beforeSeq and forward with afterSeq, always in ascending seq", async () => {
    const alice = await person(server, "page");
    const bob = await person(server, "page");
    const direct = await createDirect(alice.client, bob.id);
    for (let i = 1; i <= 25; i++) await send(i % 2 ? alice.client : bob.client, direct.id, `m${i}`);
    const seqs = (page: HistoryReply) => page.messages.map((m) => m.seq);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const get = (params: Record<string, unknown>) =>
      bob.client.ok<HistoryReply>("history", { conversationId: direct.id, ...params });

    const newest = await get({ limit: 10 });
    expect(seqs(newest)).toEqual(range(16, 25));
    expect(newest.hasMore).toBe(true);
    expect(newest.messages.map((m) => m.text)).toEqual(range(16, 25).map((i) => `m${i}`));

    const older = await get({ limit: 10, beforeSeq: 16 });
    expect(seqs(older)).toEqual(range(6, 15));
    expect(older.hasMore).toBe(true);
    const oldest = await get({ limit: 10, beforeSeq: 6 });
    expect(seqs(oldest)).toEqual(range(1, 5));
    expect(oldest.hasMore).toBe(false);

    const first = await get({ limit: 10, afterSeq: 0 });
    expect(seqs(first)).toEqual(range(1, 10));
    expect(first.hasMore).toBe(true);
    const second = await get({ limit: 10, afterSeq: 10 });
    expect(seqs(second)).toEqual(range(11, 20));
    expect(second.hasMore).toBe(true);
    const last = await get({ limit: 10, afterSeq: 20 });
    expect(seqs(last)).toEqual(range(21, 25));
    expect(last.hasMore).toBe(false);
    const beyond = await get({ limit: 10, afterSeq: 25 });
    expect(beyond).toMatchObject({ messages: [], hasMore: false });

    await expectError(
      bob.client,
      "history",
      { conversationId: direct.id, beforeSeq: 5, afterSeq: 1 },
      "invalid_request",
    );
    await closeAll(alice.client, bob.client);
  });
});
