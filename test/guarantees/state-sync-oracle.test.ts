/**
 * The state-sync oracle: snapshot what a user sees, act, apply the events the user's device
 * received to the snapshot, and compare with a fresh snapshot — after every kind of mutation.
 * Every event is also validated against the protocol's event schema. A mutation that forgets to
 * emit an event, or emits one that does not say what changed, fails here.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Conversation, FeedEvent, Message, ServerEvent } from "../../src/protocol/index.js";
import { serverEventSchema } from "../../src/protocol/index.js";
import { loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

interface ConvState {
  conversation: Conversation;
  readSeqs: Record<string, number>;
  lastSeq: number;
  messages: Message[];
}
type State = Record<string, ConvState>;

/** What the user sees, read fresh from the server. */
async function snapshot(c: RawClient): Promise<State> {
  const state: State = {};
  const { conversations } = await c.ok<{ conversations: { conversation: Conversation }[] }>("conversation.list");
  for (const { conversation } of conversations) {
    const got = await c.ok<{
      conversation: Conversation;
      members: { userId: string; readSeq: number }[];
      lastSeq: number;
    }>("conversation.get", { conversationId: conversation.id });
    const messages: Message[] = [];
    for (let more = true; more; ) {
      const page = await c.ok<{ messages: Message[]; hasMore: boolean }>("history", {
        conversationId: conversation.id,
        afterSeq: messages.at(-1)?.seq ?? 0,
      });
      messages.push(...page.messages);
      more = page.hasMore;
    }
    state[conversation.id] = {
      conversation: got.conversation,
      readSeqs: Object.fromEntries(got.members.map((m) => [m.userId, m.readSeq])),
      lastSeq: got.lastSeq,
      messages,
    };
  }
  return state;
}

/** The client's model: how a feed event changes what the user sees. */
function apply(state: State, event: FeedEvent, me: string): void {
  const conv = state[event.conversationId];
  switch (event.type) {
    case "conversation.created":
      state[event.conversationId] = {
        conversation: event.conversation,
        readSeqs: Object.fromEntries(event.conversation.memberIds.map((id) => [id, 0])),
        lastSeq: 0,
        messages: [],
      };
      return;
    case "conversation.updated": {
      if (!conv) throw new Error("update of an unknown conversation");
      if (event.removed.includes(me)) {
        delete state[event.conversationId];
        return;
      }
      conv.conversation = event.conversation;
      for (const id of event.added) conv.readSeqs[id] = conv.lastSeq; // newcomers start caught up
      for (const id of event.removed) delete conv.readSeqs[id];
      return;
    }
    case "message.new":
      if (!conv) throw new Error("message in an unknown conversation");
      conv.messages.push(event.message);
      conv.lastSeq = event.seq;
      // Sending moves the sender's read cursor to the message.
      conv.readSeqs[event.message.senderId] = Math.max(conv.readSeqs[event.message.senderId] ?? 0, event.seq);
      return;
    case "message.edited":
    case "message.deleted":
    case "message.reaction": {
      if (!conv) throw new Error("change in an unknown conversation");
      const i = conv.messages.findIndex((m) => m.seq === event.seq);
      conv.messages[i] = event.message;
      return;
    }
    case "receipt":
      if (!conv) throw new Error("receipt in an unknown conversation");
      conv.readSeqs[event.userId] = event.readSeq;
      return;
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

it("every mutation's events turn the old snapshot into the new one", async () => {
  const [o, a, b, c] = await Promise.all(
    ["oracle_o", "oracle_a", "oracle_b", "oracle_c"].map((p) => registerUser(server.url, p)),
  );
  if (!o || !a || !b || !c) throw new Error("registration failed");
  const observer = await RawClient.connect(server.wsUrl, o.token);
  const otherDevice = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, o.user.username)).token);
  const [ac, bc, cc] = await Promise.all([a, b, c].map((u) => RawClient.connect(server.wsUrl, u.token)));
  if (!ac || !bc || !cc) throw new Error("connect failed");

  let state = await snapshot(observer);
  let seen = 0;
  let groupId = "";
  let directId = "";
  const steps: [string, () => Promise<unknown>][] = [
    [
      "create group",
      async () => {
        groupId = (
          await ac.ok<{ conversation: Conversation }>("conversation.create", {
            kind: "group",
            title: "팀",
            memberIds: [o.user.id, b.user.id],
          })
        ).conversation.id;
      },
    ],
    [
      "send with a mention",
      () => ac.ok("message.send", { conversationId: groupId, clientMsgId: "1", text: `hi @${o.user.username}` }),
    ],
    [
      "reply with @all",
      () => bc.ok("message.send", { conversationId: groupId, clientMsgId: "2", text: "@all lunch?", replyToSeq: 1 }),
    ],
    ["observer sends", () => observer.ok("message.send", { conversationId: groupId, clientMsgId: "3", text: "ok" })],
    ["edit drops the mention", () => ac.ok("message.edit", { conversationId: groupId, seq: 1, text: "hello" })],
    ["react", () => bc.ok("reaction.add", { conversationId: groupId, seq: 2, emoji: "👍" })],
    ["react again", () => ac.ok("reaction.add", { conversationId: groupId, seq: 2, emoji: "👍" })],
    ["unreact", () => bc.ok("reaction.remove", { conversationId: groupId, seq: 2, emoji: "👍" })],
    ["delete for everyone", () => bc.ok("message.delete", { conversationId: groupId, seq: 2 })],
    ["another member reads", () => ac.ok("read", { conversationId: groupId, seq: 3 })],
    ["rename", () => ac.ok("conversation.update", { conversationId: groupId, title: "팀 2" })],
    ["add a member", () => ac.ok("conversation.addMembers", { conversationId: groupId, userIds: [c.user.id] })],
    [
      "new member sends",
      () =>
        cc.ok("message.send", { conversationId: groupId, clientMsgId: "4", text: `@${b.user.username} welcome me` }),
    ],
    ["observer reads on its other device", () => otherDevice.ok("read", { conversationId: groupId, seq: 4 })],
    [
      "owner removes a member",
      () => ac.ok("conversation.removeMember", { conversationId: groupId, userId: b.user.id }),
    ],
    ["a member leaves", () => cc.ok("conversation.leave", { conversationId: groupId })],
    ["the owner leaves", () => ac.ok("conversation.leave", { conversationId: groupId })],
    [
      "direct chat",
      async () => {
        directId = (
          await ac.ok<{ conversation: Conversation }>("conversation.create", { kind: "direct", memberIds: [o.user.id] })
        ).conversation.id;
      },
    ],
    ["direct message", () => ac.ok("message.send", { conversationId: directId, clientMsgId: "5", text: "just us" })],
    ["observer is removed... by leaving", () => observer.ok("conversation.leave", { conversationId: groupId })],
  ];
  for (const [name, act] of steps) {
    await act();
    await observer.ok("ping"); // every event of the act is on the wire before this reply
    const fresh = observer.events.slice(seen);
    seen = observer.events.length;
    for (const event of fresh) {
      const parsed = serverEventSchema.safeParse(event);
      expect(parsed.success, `${name}: ${JSON.stringify(event)} ${parsed.error?.message ?? ""}`).toBe(true);
      if ("eventId" in event) apply(state, event, o.user.id);
    }
    expect(fresh.length, `${name} produced no event`).toBeGreaterThan(0);
    const expected = await snapshot(observer);
    expect(state, name).toEqual(expected);
    state = expected;
  }
  await Promise.all([observer, otherDevice, ac, bc, cc].map((x) => x.close()));
});

it("events that reach a user are only about their conversations (the ServerEvent type is exhaustive)", () => {
  const sample: ServerEvent = { type: "typing", conversationId: "c", userId: "u" };
  expect(serverEventSchema.safeParse(sample).success).toBe(true);
  expect(serverEventSchema.safeParse({ ...sample, extra: 1 }).success).toBe(false);
});
