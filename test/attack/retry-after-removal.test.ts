/**
 * @module Attack: a removed member resends the clientMsgId of an old message of theirs to read
 * the message as it is now (its edited text, the reactions it got after the removal). The retry
 * must be answered `forbidden`, while a member's retry still gets the original (G2).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { befriend, closeAll, createGroup, type Person, person } from "../features/helpers.js";
import { type Frame, RawClient, startTestServer, type TestServer } from "../harness.js";

describe("attack: an idempotent retry after removal", () => {
  let server: TestServer;
  let owner: Person;
  let mallory: Person;
  let conversationId: string;
  let original: Message;

  beforeAll(async () => {
    server = await startTestServer({ maxTextLength: 100 });
    owner = await person(server, "retryowner");
    mallory = await person(server, "retrymallory");
    await befriend(owner, mallory);
    conversationId = (await createGroup(owner.client, [mallory.id], "retries")).id;
    original = (
      await mallory.client.ok<{ message: Message }>("message.send", {
        conversationId,
        clientMsgId: "old-one",
        text: "first words",
      })
    ).message;
    // The message changes while Mallory is a member (an edit from another of her devices)…
    await mallory.client.ok("message.edit", { conversationId, seq: original.seq, text: "edited later" });
    await owner.client.ok("conversation.removeMember", { conversationId, userId: mallory.id });
    // …and after she is gone.
    await owner.client.ok("reaction.add", { conversationId, seq: original.seq, emoji: "👀" });
  });
  afterAll(async () => {
    await closeAll(owner.client, mallory.client);
    await server.stop();
  });

  function expectNothingRevealed(reply: Frame): void {
    expect(reply).toMatchObject({ type: "error", code: "forbidden" });
    const text = JSON.stringify(reply);
    expect(text).not.toContain("edited later");
    expect(text).not.toContain("first words");
    expect(text).not.toContain("👀");
    expect(text).not.toContain(original.id);
  }

  it("answers a removed member's retry with forbidden, not the message as it is now", async () => {
    const retry = await mallory.client.request("message.send", {
      conversationId,
      clientMsgId: "old-one",
      text: "first words",
    });
    expectNothingRevealed(retry);
  });

  it("answers forbidden on a new connection and when the retry breaks a limit before the write", async () => {
    const fresh = await RawClient.connect(server.wsUrl, mallory.auth.token);
    // A text over the limit fails before the write, where a retry used to be looked up alone.
    for (const text of ["first words", "x".repeat(101)]) {
      expectNothingRevealed(await fresh.request("message.send", { conversationId, clientMsgId: "old-one", text }));
    }
    await fresh.close();
  });

  it("still answers a member's retry with the original message, same id and seq (G2)", async () => {
    const sent = await owner.client.ok<{ message: Message }>("message.send", {
      conversationId,
      clientMsgId: "owner-one",
      text: "still here",
    });
    const again = await owner.client.ok<{ message: Message; duplicate: boolean }>("message.send", {
      conversationId,
      clientMsgId: "owner-one",
      text: "still here",
    });
    expect(again.duplicate).toBe(true);
    expect([again.message.id, again.message.seq]).toEqual([sent.message.id, sent.message.seq]);
    const { messages } = await owner.client.ok<{ messages: Message[] }>("history", { conversationId });
    expect(messages.filter((m) => m.clientMsgId === "owner-one")).toHaveLength(1);
  });

  it("answers the original again once the sender is a member again", async () => {
    await owner.client.ok("conversation.addMembers", { conversationId, userIds: [mallory.id] });
    const again = await mallory.client.ok<{ message: Message; duplicate: boolean }>("message.send", {
      conversationId,
      clientMsgId: "old-one",
      text: "first words",
    });
    expect([again.duplicate, again.message.id, again.message.seq]).toEqual([true, original.id, original.seq]);
  });
});
