/**
 * Reactions: counts per emoji across users (each user once), a `message.reaction` event per
 * change, exactly one emoji per reaction, and none on deleted messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createGroup, expectError, type Person, person, send, settle } from "./helpers.js";

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

describe("reactions", () => {
  it("counts per emoji across users, each user once, and announces each change", async () => {
    const { alice, bob, carol, groupId } = await trio("rx");
    await send(alice.client, groupId, "react to me");
    const r1 = await alice.client.ok<{ message: Message }>("reaction.add", {
      conversationId: groupId,
      seq: 1,
      emoji: "👍",
    });
    expect(r1.message.reactions).toEqual({ "👍": 1 });
    const r2 = await bob.client.ok<{ message: Message }>("reaction.add", {
      conversationId: groupId,
      seq: 1,
      emoji: "👍",
    });
    expect(r2.message.reactions).toEqual({ "👍": 2 });
    const r3 = await bob.client.ok<{ message: Message }>("reaction.add", {
      conversationId: groupId,
      seq: 1,
      emoji: "❤️",
    });
    expect(r3.message.reactions).toEqual({ "👍": 2, "❤️": 1 });
    // The same reaction twice counts once.
    const dup = await bob.client.ok<{ message: Message }>("reaction.add", {
      conversationId: groupId,
      seq: 1,
      emoji: "👍",
    });
    expect(dup.message.reactions).toEqual({ "👍": 2, "❤️": 1 });

    const removed = await alice.client.ok<{ message: Message }>("reaction.remove", {
      conversationId: groupId,
      seq: 1,
      emoji: "👍",
    });
    expect(removed.message.reactions).toEqual({ "👍": 1, "❤️": 1 });
    const gone = await bob.client.ok<{ message: Message }>("reaction.remove", {
      conversationId: groupId,
      seq: 1,
      emoji: "❤️",
    });
    expect(gone.message.reactions).toEqual({ "👍": 1 });

    await carol.client.until(() => carol.client.eventsOf("message.reaction").length === 5);
    await settle(carol.client);
    expect(
      carol.client.eventsOf("message.reaction").map((e) => [e.userId, e.emoji, e.added, e.message.reactions]),
    ).toEqual([
      [alice.id, "👍", true, { "👍": 1 }],
      [bob.id, "👍", true, { "👍": 2 }],
      [bob.id, "❤️", true, { "👍": 2, "❤️": 1 }],
      [alice.id, "👍", false, { "👍": 1, "❤️": 1 }],
      [bob.id, "❤️", false, { "👍": 1 }],
    ]);
    const [stored] = (await carol.client.ok<HistoryReply>("history", { conversationId: groupId })).messages;
    expect(stored?.reactions).toEqual({ "👍": 1 });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("refuses a non-emoji with invalid_request and a deleted message with message_deleted", async () => {
    const { alice, bob, carol, groupId } = await trio("rxx");
    await send(alice.client, groupId, "one");
    await send(alice.client, groupId, "two");
    for (const emoji of ["abc", "1", "👍abc"]) {
      await expectError(bob.client, "reaction.add", { conversationId: groupId, seq: 1, emoji }, "invalid_request");
    }
    await alice.client.ok("message.delete", { conversationId: groupId, seq: 2 });
    await expectError(bob.client, "reaction.add", { conversationId: groupId, seq: 2, emoji: "👍" }, "message_deleted");
    await expectError(
      bob.client,
      "reaction.add",
      { conversationId: groupId, seq: 9, emoji: "👍" },
      "message_not_found",
    );
    const history = await bob.client.ok<HistoryReply>("history", { conversationId: groupId });
    expect(history.messages.map((m) => m.reactions)).toEqual([{}, {}]);
    await closeAll(alice.client, bob.client, carol.client);
  });

  it.each(["👍🏽", "👨‍👩‍👧", "🇰🇷", "1️⃣", "#️⃣"])("takes the single emoji %s", async (emoji) => {
    const { alice, bob, carol, groupId } = await trio("rxe");
    await send(alice.client, groupId, "one");
    const reply = await bob.client.ok<{ message: Message }>("reaction.add", { conversationId: groupId, seq: 1, emoji });
    expect(reply.message.reactions).toEqual({ [emoji]: 1 });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it.each(["👍👍", "😀😀😀", "🇰🇷🇯🇵", "👍1"])("refuses %s (not one emoji) with invalid_request", async (emoji) => {
    const { alice, bob, carol, groupId } = await trio("rxf");
    await send(alice.client, groupId, "one");
    await expectError(bob.client, "reaction.add", { conversationId: groupId, seq: 1, emoji }, "invalid_request");
    const [stored] = (await bob.client.ok<HistoryReply>("history", { conversationId: groupId })).messages;
    expect(stored?.reactions).toEqual({});
    await closeAll(alice.client, bob.client, carol.client);
  });
});
