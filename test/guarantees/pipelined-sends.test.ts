/**
 * Sends pipelined on one connection (a client that does not wait for each ack) share group
 * commits instead of waiting out one commit each; they must still be stored, numbered and
 * answered in the order they were sent (G3, and the protocol's "answered in order"), a bad send
 * in the middle must fail alone, a retry racing its original must get the original (G2), and a
 * request after the sends must see them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContactOf, type Frame, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

type Sent = { message: { id: string; seq: number; clientMsgId: string }; duplicate: boolean };

describe("sends pipelined on one connection", () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof registerUser>>;
  let bob: Awaited<ReturnType<typeof registerUser>>;
  let conversationId: string;
  beforeAll(async () => {
    server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000, maxTextLength: 100 });
    alice = await registerUser(server.url, "pipea");
    bob = await registerUser(server.url, "pipeb");
    const c = await RawClient.connect(server.wsUrl, alice.token);
    await addContactOf(server, alice.user.id, [bob.user.id]);
    conversationId = (
      await c.ok<{ conversation: { id: string } }>("conversation.create", { kind: "group", memberIds: [bob.user.id] })
    ).conversation.id;
    await c.close();
  });
  afterAll(() => server.stop());

  it("numbers and answers them in sending order, a bad one failing alone, a racing retry getting the original", async () => {
    const sender = await RawClient.connect(server.wsUrl, alice.token);
    const reader = await RawClient.connect(server.wsUrl, bob.token);
    const answered: (string | number)[] = [];
    sender.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === "ok" || frame.type === "error") answered.push(frame.id as number);
    });
    const plan: { clientMsgId: string; text: string }[] = [];
    for (let i = 0; i < 200; i++) {
      // Send 50 is too long (refused before the write), send 120 replays send 119 (same clientMsgId).
      if (i === 50) plan.push({ clientMsgId: "p50", text: "x".repeat(101) });
      else if (i === 120) plan.push({ clientMsgId: "p119", text: "replay of 119" });
      else plan.push({ clientMsgId: `p${i}`, text: `pipelined ${i}` });
    }
    const ids: number[] = [];
    const replies = await Promise.all(
      plan.map((p) => {
        const reply = sender.request("message.send", { conversationId, ...p });
        ids.push(ids.length + 1);
        return reply;
      }),
    );
    // Answered in the order sent, the refusal included.
    expect(answered).toEqual(ids);
    expect(replies[50]).toMatchObject({ type: "error", code: "text_too_long" });
    const acked = replies.filter((_, i) => i !== 50) as unknown as (Frame & Sent)[];
    expect(acked.every((r) => r.type === "ok")).toBe(true);
    const r119 = replies[119] as unknown as Sent;
    const r120 = replies[120] as unknown as Sent;
    expect(r120.duplicate).toBe(true);
    expect(r120.message.id).toBe(r119.message.id);
    expect(r120.message.seq).toBe(r119.message.seq);
    // Seqs follow the sending order, with no gap for the refusal or the replay.
    const stored = acked.filter((r) => !r.duplicate).map((r) => r.message);
    expect(stored).toHaveLength(198);
    const first = (stored[0] as { seq: number }).seq;
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => first + i));
    expect(stored.map((m) => m.clientMsgId)).toEqual(
      plan.filter((_, i) => i !== 50 && i !== 120).map((p) => p.clientMsgId),
    );
    // The other member gets them live in the same order.
    await reader.until(() => reader.eventsOf("message.new").length >= 198);
    expect(reader.eventsOf("message.new").map((e) => e.message.seq)).toEqual(stored.map((m) => m.seq));
    await sender.close();
    await reader.close();
  });

  it("lets a request after the sends see every one of them", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    const sends = Array.from({ length: 30 }, (_, i) =>
      c.request("message.send", { conversationId, clientMsgId: `h${i}`, text: `then read ${i}` }),
    );
    const history = c.request("history", { conversationId, limit: 30 });
    const last = (await Promise.all(sends)).at(-1) as unknown as Sent;
    const read = (await history) as unknown as { messages: { seq: number }[] };
    expect(read.messages.at(-1)?.seq).toBe(last.message.seq);
    await c.close();
  });
});
