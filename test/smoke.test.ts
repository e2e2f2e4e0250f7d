import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient, registerUser, startTestServer, type TestServer } from "./harness.js";

describe("a new user chats", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("registers two users, opens a direct chat and delivers a message live", async () => {
    const alice = await registerUser(server.url, "alice");
    const bob = await registerUser(server.url, "bob");
    const a = await RawClient.connect(server.wsUrl, alice.token);
    const b = await RawClient.connect(server.wsUrl, bob.token);
    const { conversation } = await a.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [bob.user.id],
    });
    const sent = await a.ok<{ message: { seq: number; text: string } }>("message.send", {
      conversationId: conversation.id,
      clientMsgId: "m1",
      text: "안녕, bob",
    });
    expect(sent.message.seq).toBe(1);
    await b.until(() => b.eventsOf("message.new").length === 1);
    expect(b.eventsOf("message.new")[0]?.message.text).toBe("안녕, bob");
    await Promise.all([a.close(), b.close()]);
  });

  it("answers healthz and readyz", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
