/**
 * G7: a user sees only the conversations they are a member of. Every request that names a
 * conversation is refused with `forbidden` for a non-member (the list of such requests is read
 * from the protocol, so a new one is covered the day it is added), and sync never leaks.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FeedEvent } from "../../src/protocol/index.js";
import { REQUESTS } from "../../src/protocol/index.js";
import { addContactOf, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** Plausible parameters for each field a conversation request may take. */
const SAMPLE: Record<string, unknown> = {
  seq: 1,
  text: "let me in",
  clientMsgId: "intruder-1",
  emoji: "👍",
  title: "mine now",
  userIds: [],
  userId: "",
  limit: 10,
  role: "admin",
  query: "secret",
  duration: "1h",
  linkId: "no-such-link",
};

it("refuses every conversation request from a non-member, and sync leaks nothing", async () => {
  const alice = await registerUser(server.url, "g7a");
  const bob = await registerUser(server.url, "g7b");
  const eve = await registerUser(server.url, "g7e");
  const a = await RawClient.connect(server.wsUrl, alice.token);
  const e = await RawClient.connect(server.wsUrl, eve.token);
  const direct = (
    await a.ok<{ conversation: { id: string } }>("conversation.create", { kind: "direct", memberIds: [bob.user.id] })
  ).conversation.id;
  await addContactOf(server, alice.user.id, [bob.user.id]);
  const group = (
    await a.ok<{ conversation: { id: string } }>("conversation.create", { kind: "group", memberIds: [bob.user.id] })
  ).conversation.id;
  for (const conversationId of [direct, group]) {
    await a.ok("message.send", { conversationId, clientMsgId: `secret-${conversationId}`, text: "secret" });
  }

  const conversationRequests = Object.entries(REQUESTS).filter(([, schema]) => "conversationId" in schema.shape);
  expect(conversationRequests.length).toBeGreaterThanOrEqual(13);
  for (const conversationId of [direct, group]) {
    for (const [type, schema] of conversationRequests) {
      const params: Record<string, unknown> = { conversationId };
      for (const key of Object.keys(schema.shape)) {
        if (key === "conversationId") continue;
        if (key === "userIds") params[key] = [eve.user.id];
        else if (key === "userId") params[key] = bob.user.id;
        else if (key in SAMPLE) params[key] = SAMPLE[key];
      }
      const reply = await e.request(type, params);
      expect({ type, reply }).toMatchObject({ type, reply: { type: "error", code: "forbidden" } });
    }
  }
  // Nothing changed: no message, no member, no receipt from eve.
  const { messages } = await a.ok<{ messages: unknown[] }>("history", { conversationId: group });
  expect(messages).toHaveLength(1);
  const got = await a.ok<{ conversation: { memberIds: string[]; title?: string } }>("conversation.get", {
    conversationId: group,
  });
  expect(got.conversation.memberIds).not.toContain(eve.user.id);
  expect(got.conversation.title).toBeUndefined();

  // Eve's sync and list hold none of it; her socket got no live event of it.
  const sync = await e.ok<{ events: FeedEvent[] }>("sync");
  expect(sync.events).toEqual([]);
  expect((await e.ok<{ conversations: unknown[] }>("conversation.list")).conversations).toEqual([]);
  expect(e.events).toEqual([]);
  // Nor may she watch their presence.
  expect(await e.request("presence.subscribe", { userIds: [alice.user.id] })).toMatchObject({ code: "forbidden" });
  await Promise.all([a.close(), e.close()]);
});

it("cuts a removed member off: forbidden from then on, and sync stops at the removal", async () => {
  const alice = await registerUser(server.url, "g7c");
  const bob = await registerUser(server.url, "g7d");
  const a = await RawClient.connect(server.wsUrl, alice.token);
  const b = await RawClient.connect(server.wsUrl, bob.token);
  await addContactOf(server, alice.user.id, [bob.user.id]);
  const group = (
    await a.ok<{ conversation: { id: string } }>("conversation.create", { kind: "group", memberIds: [bob.user.id] })
  ).conversation.id;
  await a.ok("message.send", { conversationId: group, clientMsgId: "while", text: "while bob is here" });
  await a.ok("conversation.removeMember", { conversationId: group, userId: bob.user.id });
  await a.ok("message.send", { conversationId: group, clientMsgId: "after", text: "after bob left" });
  await a.ok("ping");

  for (const [type, params] of [
    ["history", {}],
    ["message.send", { clientMsgId: "back", text: "hello?" }],
    ["read", { seq: 2 }],
    ["conversation.get", {}],
  ] as const) {
    expect(await b.request(type, { conversationId: group, ...params })).toMatchObject({ code: "forbidden" });
  }
  const { events } = await b.ok<{ events: FeedEvent[] }>("sync");
  const texts = events.flatMap((x) => (x.type === "message.new" ? [x.message.text] : []));
  expect(texts).toEqual(["while bob is here"]);
  expect(events.at(-1)).toMatchObject({ type: "conversation.updated", removed: [bob.user.id] });
  expect(b.eventsOf("message.new").map((x) => x.message.text)).toEqual(["while bob is here"]);
  await Promise.all([a.close(), b.close()]);
});
