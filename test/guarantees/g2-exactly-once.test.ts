/**
 * G2: a retried send with the same (senderId, clientMsgId) returns the original message, same
 * id and seq, never a second copy: on the same connection, after a reconnect, and from a
 * second device of the same user racing the first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContactOf, loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

type Sent = { message: { id: string; seq: number; text: string }; duplicate: boolean };

describe("G2 exactly-once sends", () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof registerUser>>;
  let conversationId: string;
  beforeAll(async () => {
    server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
    alice = await registerUser(server.url, "g2a");
    const bob = await registerUser(server.url, "g2b");
    const c = await RawClient.connect(server.wsUrl, alice.token);
    await addContactOf(server, alice.user.id, [bob.user.id]);
    conversationId = (
      await c.ok<{ conversation: { id: string } }>("conversation.create", { kind: "group", memberIds: [bob.user.id] })
    ).conversation.id;
    await c.close();
  });
  afterAll(() => server.stop());

  async function count(client: RawClient, clientMsgId: string): Promise<number> {
    const { messages } = await client.ok<{ messages: { clientMsgId: string }[] }>("history", {
      conversationId,
      limit: 100,
    });
    return messages.filter((m) => m.clientMsgId === clientMsgId).length;
  }

  it("returns the original on a replay over the same connection, even pipelined", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    const frames = Array.from({ length: 5 }, () =>
      c.request("message.send", { conversationId, clientMsgId: "same-conn", text: "once" }),
    );
    const replies = (await Promise.all(frames)) as unknown as Sent[];
    const first = replies[0] as Sent;
    for (const r of replies) {
      expect(r.message.id).toBe(first.message.id);
      expect(r.message.seq).toBe(first.message.seq);
    }
    expect(replies.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await count(c, "same-conn")).toBe(1);
    await c.close();
  });

  it("returns the original after a reconnect, even with different text", async () => {
    const c1 = await RawClient.connect(server.wsUrl, alice.token);
    const first = await c1.ok<Sent>("message.send", { conversationId, clientMsgId: "reconnect", text: "original" });
    c1.ws.terminate(); // cut, not closed politely
    const c2 = await RawClient.connect(server.wsUrl, alice.token);
    const retry = await c2.ok<Sent>("message.send", {
      conversationId,
      clientMsgId: "reconnect",
      text: "changed on retry",
    });
    expect(retry.duplicate).toBe(true);
    expect(retry.message).toMatchObject({ id: first.message.id, seq: first.message.seq, text: "original" });
    expect(await count(c2, "reconnect")).toBe(1);
    await c2.close();
  });

  it("stores one message when two devices of the same user race the same send", async () => {
    const phone = await loginDevice(server.url, alice.user.username, "phone");
    const pc = await RawClient.connect(server.wsUrl, alice.token);
    const mobile = await RawClient.connect(server.wsUrl, phone.token);
    for (let round = 0; round < 20; round++) {
      const clientMsgId = `race-${round}`;
      const [a, b] = (await Promise.all([
        pc.request("message.send", { conversationId, clientMsgId, text: "race" }),
        mobile.request("message.send", { conversationId, clientMsgId, text: "race" }),
      ])) as unknown as Sent[];
      expect(a?.message.id).toBe(b?.message.id);
      expect(a?.message.seq).toBe(b?.message.seq);
      expect([a?.duplicate, b?.duplicate].filter(Boolean)).toHaveLength(1);
    }
    const { messages } = await pc.ok<{ messages: { seq: number; clientMsgId: string }[] }>("history", {
      conversationId,
      limit: 1000,
    });
    const raced = messages.filter((m) => m.clientMsgId.startsWith("race-"));
    expect(raced).toHaveLength(20);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1)); // still gap-free
    await Promise.all([pc.close(), mobile.close()]);
  });

  it("refuses to reuse a clientMsgId for another conversation", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    const other = (
      await c.ok<{ conversation: { id: string } }>("conversation.create", { kind: "direct", memberIds: [] })
    ).conversation.id;
    await c.ok("message.send", { conversationId, clientMsgId: "cross", text: "here" });
    const reply = await c.request("message.send", { conversationId: other, clientMsgId: "cross", text: "there" });
    expect(reply).toMatchObject({ type: "error", code: "client_msg_id_conflict" });
    await c.close();
  });
});
