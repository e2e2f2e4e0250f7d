/**
 * Read receipts: `read` moves my cursor forward only, tells the other members and my other
 * devices, and the "1" beside a message (members other than the sender who have not read it)
 * counts down as they read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createDirect, createGroup, nextEvent, person, send, settle, syncAll } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
});
afterAll(() => server.stop());

type HistoryReply = { messages: Message[]; hasMore: boolean; readSeqs: Record<string, number> };

/** The "1" beside a message: members other than the sender whose read cursor is below its seq. */
function unreadBy(readSeqs: Record<string, number>, message: Message): number {
  return Object.entries(readSeqs).filter(([userId, readSeq]) => userId !== message.senderId && readSeq < message.seq)
    .length;
}

async function unreadCounts(client: RawClient, conversationId: string): Promise<number[]> {
  const page = await client.ok<HistoryReply>("history", { conversationId });
  return page.messages.map((m) => unreadBy(page.readSeqs, m));
}

describe("read", () => {
  it("sends a receipt to the other members and to my other device, not moving backwards", async () => {
    const alice = await person(server, "rd");
    const bobAuth = (await person(server, "rd")).auth;
    const bobPc = await RawClient.connect(server.wsUrl, bobAuth.token);
    const bobPhone = await RawClient.connect(
      server.wsUrl,
      (await loginDevice(server.url, bobAuth.user.username)).token,
    );
    const direct = await createDirect(alice.client, bobAuth.user.id);
    for (const text of ["a", "b", "c"]) await send(alice.client, direct.id, text);

    const reply = await bobPc.ok<{ readSeq: number }>("read", { conversationId: direct.id, seq: 2 });
    expect(reply.readSeq).toBe(2);
    for (const client of [alice.client, bobPhone, bobPc]) {
      const receipt = await nextEvent(client, "receipt", (e) => e.userId === bobAuth.user.id);
      expect(receipt).toMatchObject({ conversationId: direct.id, userId: bobAuth.user.id, readSeq: 2 });
      expect(typeof receipt.eventId).toBe("number");
    }

    // An older seq does not move it back, and announces nothing.
    const older = await bobPhone.ok<{ readSeq: number }>("read", { conversationId: direct.id, seq: 1 });
    expect(older.readSeq).toBe(2);
    const same = await bobPhone.ok<{ readSeq: number }>("read", { conversationId: direct.id, seq: 2 });
    expect(same.readSeq).toBe(2);
    // Past the last seq it stops at the last seq.
    const far = await bobPhone.ok<{ readSeq: number }>("read", { conversationId: direct.id, seq: 99 });
    expect(far.readSeq).toBe(3);
    await settle(alice.client);
    expect(alice.client.eventsOf("receipt").map((e) => e.readSeq)).toEqual([2, 3]);
    const history = await alice.client.ok<HistoryReply>("history", { conversationId: direct.id });
    expect(history.readSeqs[bobAuth.user.id]).toBe(3);
    await closeAll(alice.client, bobPc, bobPhone);
  });

  it("the '1' beside a message goes 1 → 0 in a direct chat when the other member reads", async () => {
    const alice = await person(server, "one");
    const bob = await person(server, "one");
    const direct = await createDirect(alice.client, bob.id);
    await send(alice.client, direct.id, "did you read this?");
    const before = await alice.client.ok<HistoryReply>("history", { conversationId: direct.id });
    expect(before.readSeqs).toEqual({ [alice.id]: 1, [bob.id]: 0 });
    expect(await unreadCounts(alice.client, direct.id)).toEqual([1]);
    await bob.client.ok("read", { conversationId: direct.id, seq: 1 });
    expect(await unreadCounts(alice.client, direct.id)).toEqual([0]);
    await closeAll(alice.client, bob.client);
  });

  it("the '1' goes 2 → 1 → 0 in a group of three, message by message", async () => {
    const alice = await person(server, "three");
    const bob = await person(server, "three");
    const carol = await person(server, "three");
    await befriend(alice, bob, carol);
    const group = await createGroup(alice.client, [bob.id, carol.id]);
    await send(alice.client, group.id, "one");
    await send(alice.client, group.id, "two");
    expect(await unreadCounts(alice.client, group.id)).toEqual([2, 2]);
    await bob.client.ok("read", { conversationId: group.id, seq: 2 });
    expect(await unreadCounts(alice.client, group.id)).toEqual([1, 1]);
    await carol.client.ok("read", { conversationId: group.id, seq: 1 });
    expect(await unreadCounts(alice.client, group.id)).toEqual([0, 1]);
    // Carol replying reads everything up to her own message.
    await send(carol.client, group.id, "three");
    expect(await unreadCounts(alice.client, group.id)).toEqual([0, 0, 2]);
    await alice.client.ok("read", { conversationId: group.id, seq: 3 });
    expect(await unreadCounts(bob.client, group.id)).toEqual([0, 0, 1]);
    const got = await bob.client.ok<{ members: { userId: string; readSeq: number }[] }>("conversation.get", {
      conversationId: group.id,
    });
    expect(Object.fromEntries(got.members.map((m) => [m.userId, m.readSeq]))).toEqual({
      [alice.id]: 3,
      [bob.id]: 2,
      [carol.id]: 3,
    });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("my read on device A is in device B's sync feed as a receipt", async () => {
    const alice = await person(server, "feed");
    const bobA = await person(server, "feed");
    const direct = await createDirect(alice.client, bobA.id);
    await send(alice.client, direct.id, "hello");
    await bobA.client.ok("read", { conversationId: direct.id, seq: 1 });
    const bobB = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, bobA.username, "tablet")).token);
    const { events } = await syncAll(bobB);
    const receipts = events.filter((e) => e.type === "receipt");
    expect(receipts).toEqual([expect.objectContaining({ conversationId: direct.id, userId: bobA.id, readSeq: 1 })]);
    const live = await nextEvent(bobA.client, "receipt");
    expect(receipts[0]?.eventId).toBe(live.eventId);
    await closeAll(alice.client, bobA.client, bobB);
  });
});
