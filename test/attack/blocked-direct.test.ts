/**
 * Attack: a blocked user keeps reaching the blocker through the direct chat they had before the
 * block. Sending is refused, but editing an old message rewrites it on the blocker's screen, and
 * reactions and typing still arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAll, createDirect, expectError, person, send, settle } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 100_000, requestBurst: 100_000 });
});
afterAll(() => server.stop());

describe("a block in an existing direct chat", () => {
  it("stops edits, reactions and typing from the blocked user, and lets them through after the unblock", async () => {
    const me = await person(server, "bdme");
    const pest = await person(server, "bdpest");
    const direct = await createDirect(pest.client, me.id);
    const old = await send(pest.client, direct.id, "hello there");
    const mine = await send(me.client, direct.id, "hi");
    await me.client.ok("block.add", { userId: pest.id });
    await settle(me.client, pest.client);
    const before = me.client.events.length;

    await expectError(
      pest.client,
      "message.send",
      { conversationId: direct.id, clientMsgId: "bd-1", text: "still here" },
      "blocked",
    );
    await expectError(
      pest.client,
      "message.edit",
      { conversationId: direct.id, seq: old.seq, text: "something abusive" },
      "blocked",
    );
    await expectError(
      pest.client,
      "reaction.add",
      { conversationId: direct.id, seq: mine.seq, emoji: "💩" },
      "blocked",
    );
    await expectError(pest.client, "typing", { conversationId: direct.id }, "blocked");
    await settle(me.client, pest.client);
    expect(me.client.events.slice(before).map((e) => e.type)).toEqual([]);
    const { messages } = await me.client.ok<{ messages: { seq: number; text: string; reactions?: unknown }[] }>(
      "history",
      { conversationId: direct.id, aroundSeq: old.seq },
    );
    expect(messages.find((m) => m.seq === old.seq)?.text).toBe("hello there");
    expect(messages.find((m) => m.seq === mine.seq)?.reactions ?? {}).toEqual({});

    // The blocker cannot use the chat to reach the one they blocked either, as with sends.
    await expectError(me.client, "reaction.add", { conversationId: direct.id, seq: old.seq, emoji: "👍" }, "blocked");

    await me.client.ok("block.remove", { userId: pest.id });
    await pest.client.ok("reaction.add", { conversationId: direct.id, seq: mine.seq, emoji: "👍" });
    await pest.client.ok("message.edit", { conversationId: direct.id, seq: old.seq, text: "sorry" });
    await closeAll(me.client, pest.client);
  });
});
