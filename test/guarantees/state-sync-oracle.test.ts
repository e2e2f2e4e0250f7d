/**
 * The state-sync oracle: snapshot what a user sees, act, apply the events the user's device
 * received to the snapshot, and compare with a fresh snapshot — after every kind of mutation.
 * Every event is also validated against the protocol's event schema. A mutation that forgets to
 * emit an event, or emits one that does not say what changed, fails here.
 */
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serverEventSchema } from "../../src/protocol/event-schemas.js";
import type {
  ChatMute,
  Conversation,
  FeedEvent,
  Invitation,
  Message,
  NotifySettings,
  ServerEvent,
  User,
} from "../../src/protocol/index.js";
import { uploaded } from "../files/files-helpers.js";
import { addContactOf, loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { type PageServer, startPageServer } from "../previews/page-server.js";

interface ConvState {
  conversation: Conversation;
  readSeqs: Record<string, number>;
  lastSeq: number;
  messages: Message[];
}
/** The conversations the user is in, the invitations waiting for their answer, the user's notification choices and their own profile. */
interface State {
  conversations: Record<string, ConvState>;
  invitations: Record<string, Invitation>;
  notify: { settings: NotifySettings; mutes: Record<string, ChatMute> };
  me: User;
  /** Every member's role in each group, from `conversation.get`'s members. */
  roles: Record<string, Record<string, string>>;
}

/** Every page of `conversation.list`, one conversation a page so the cursor is exercised. */
async function listAll(c: RawClient): Promise<{ conversation: Conversation }[]> {
  const all: { conversation: Conversation }[] = [];
  let cursor: string | null = null;
  do {
    const page: { conversations: { conversation: Conversation }[]; cursor: string | null; hasMore: boolean } =
      await c.ok("conversation.list", { limit: 1, ...(cursor ? { cursor } : {}) });
    expect(page.conversations.length).toBeLessThanOrEqual(1);
    expect(page.hasMore).toBe(page.cursor !== null);
    all.push(...page.conversations);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

/** What the user sees, read fresh from the server. */
async function snapshot(c: RawClient, myId: string): Promise<State> {
  const { users } = await c.ok<{ users: User[] }>("user.get", { userIds: [myId] });
  const notify = await c.ok<{ settings: NotifySettings; mutes: ChatMute[] }>("notify.get");
  const state: State = {
    conversations: {},
    invitations: {},
    notify: {
      settings: notify.settings,
      mutes: Object.fromEntries(notify.mutes.map((m) => [m.conversationId, m])),
    },
    me: users[0] as User,
    roles: {},
  };
  const { invitations } = await c.ok<{ invitations: Invitation[] }>("invitation.list");
  for (const invitation of invitations) state.invitations[invitation.id] = invitation;
  for (const { conversation } of await listAll(c)) {
    const got = await c.ok<{
      conversation: Conversation;
      members: { userId: string; readSeq: number; role: string }[];
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
    state.conversations[conversation.id] = {
      conversation: got.conversation,
      readSeqs: Object.fromEntries(got.members.map((m) => [m.userId, m.readSeq])),
      lastSeq: got.lastSeq,
      messages,
    };
    if (got.conversation.kind === "group") state.roles[conversation.id] = rolesOf(got.conversation);
  }
  return state;
}

/** Each member's role as the conversation object itself tells it (`ownerId`, `adminIds`). */
function rolesOf(conversation: Conversation): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const id of conversation.memberIds) {
    roles[id] = id === conversation.ownerId ? "owner" : conversation.adminIds?.includes(id) ? "admin" : "member";
  }
  return roles;
}

/** A conversation with no message yet, every member at readSeq 0. */
function empty(conversation: Conversation): ConvState {
  return {
    conversation,
    readSeqs: Object.fromEntries(conversation.memberIds.map((id) => [id, 0])),
    lastSeq: 0,
    messages: [],
  };
}

/** The client's model: how a feed event changes what the user sees. */
function apply(state: State, event: FeedEvent, me: string): void {
  const conv = state.conversations[event.conversationId];
  if ("conversation" in event && event.conversation.kind === "group") {
    state.roles[event.conversationId] = rolesOf(event.conversation);
  }
  switch (event.type) {
    case "account.updated": {
      // My own profile, as others read it: everything but the role.
      const { role: _role, hidePresence: _hidden, ...profile } = event.user;
      state.me = profile;
      return;
    }
    case "notify.mute":
      state.notify.mutes[event.mute.conversationId] = event.mute;
      return;
    case "notify.settings":
      state.notify.settings = event.settings;
      return;
    case "invitation.new":
    case "invitation.updated":
      // Only a pending invitation waits for an answer; an answered one leaves the list.
      if (event.invitation.status === "pending") state.invitations[event.invitation.id] = event.invitation;
      else delete state.invitations[event.invitation.id];
      return;
    case "conversation.created":
      state.conversations[event.conversationId] = empty(event.conversation);
      return;
    case "conversation.updated": {
      if (!conv) {
        // Joined by accepting an invitation. The oracle's invited groups are still empty when
        // joined (lastSeq 0); a client joining a group with history reads it with `history`.
        if (!event.added.includes(me)) throw new Error("update of an unknown conversation");
        state.conversations[event.conversationId] = empty(event.conversation);
        return;
      }
      if (event.removed.includes(me)) {
        delete state.conversations[event.conversationId];
        delete state.roles[event.conversationId];
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
      // Sending moves the sender's read cursor to the message; a system line moves nobody's.
      if (!event.message.system) {
        conv.readSeqs[event.message.senderId] = Math.max(conv.readSeqs[event.message.senderId] ?? 0, event.seq);
      }
      return;
    case "message.edited":
    case "message.deleted":
    case "message.reaction":
    case "message.preview": {
      if (!conv) throw new Error("change in an unknown conversation");
      const i = conv.messages.findIndex((m) => m.seq === event.seq);
      conv.messages[i] = event.message;
      // A deleted message is no notice: its delete takes the pin down too (docs/protocol.md `pin`).
      if (event.type === "message.deleted" && conv.conversation.pinned?.seq === event.seq) {
        const { pinned: _, ...unpinned } = conv.conversation;
        conv.conversation = unpinned;
      }
      return;
    }
    case "receipt":
      if (!conv) throw new Error("receipt in an unknown conversation");
      conv.readSeqs[event.userId] = event.readSeq;
      return;
  }
}

let server: TestServer;
let site: PageServer;
beforeAll(async () => {
  // Link previews on, for a local site only (test/previews/page-server.ts).
  site = await startPageServer();
  // Each step reads two fresh snapshots (a request per conversation and page): past forty steps
  // that is more than the default request rates allow, and a refusal would fail the oracle.
  server = await startTestServer({
    linkPreviews: true,
    linkPreviewAllowPrivate: "127.0.0.1/32",
    requestsPerSecond: 10_000,
    requestBurst: 10_000,
    userRequestsPerSecond: 10_000,
  });
});
afterAll(async () => {
  await server.stop();
  await site.close();
});

it("every mutation's events turn the old snapshot into the new one", async () => {
  const [o, a, b, c, s] = await Promise.all(
    ["oracle_o", "oracle_a", "oracle_b", "oracle_c", "oracle_s"].map((p) => registerUser(server.url, p)),
  );
  if (!o || !a || !b || !c || !s) throw new Error("registration failed");
  // The observer, b and c have a as a contact: a's group takes them at once. s is a stranger.
  await addContactOf(server, a.user.id, [o.user.id, b.user.id, c.user.id]);
  const observer = await RawClient.connect(server.wsUrl, o.token);
  const otherDevice = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, o.user.username)).token);
  const [ac, bc, cc, sc] = await Promise.all([a, b, c, s].map((u) => RawClient.connect(server.wsUrl, u.token)));
  if (!ac || !bc || !cc || !sc) throw new Error("connect failed");
  const invited: string[] = [];
  const inviteObserver = async () => {
    const reply = await sc.ok<{ invitations: Invitation[] }>("conversation.create", {
      kind: "group",
      title: "모르는 사람",
      memberIds: [o.user.id],
    });
    invited.push(reply.invitations[0]?.id ?? "");
  };

  const photo = await sharp({ create: { width: 20, height: 10, channels: 3, background: "red" } })
    .png()
    .toBuffer();
  const [groupPhoto, myPhoto] = [
    await uploaded(server.url, a.token, photo, "g.png"),
    await uploaded(server.url, o.token, photo, "me.png"),
  ];
  let state = await snapshot(observer, o.user.id);
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
    ["the owner pins a notice", () => ac.ok("pin", { conversationId: groupId, seq: 2 })],
    ["delete for everyone (the pinned one)", () => bc.ok("message.delete", { conversationId: groupId, seq: 2 })],
    ["the owner pins another", () => ac.ok("pin", { conversationId: groupId, seq: 3 })],
    ["the owner unpins", () => ac.ok("unpin", { conversationId: groupId })],
    ["the owner pins again", () => ac.ok("pin", { conversationId: groupId, seq: 1 })],
    [
      "forward a message into the same group",
      () => bc.ok("message.forward", { fromConversationId: groupId, seq: 3, toConversationIds: [groupId] }),
    ],
    ["another member reads", () => ac.ok("read", { conversationId: groupId, seq: 3 })],
    ["rename", () => ac.ok("conversation.update", { conversationId: groupId, title: "팀 2" })],
    ["group photo", () => ac.ok("conversation.update", { conversationId: groupId, photoFileId: groupPhoto.id })],
    ["photo removed", () => ac.ok("conversation.update", { conversationId: groupId, photoFileId: null })],
    [
      "owner makes the observer an admin",
      () => ac.ok("conversation.setRole", { conversationId: groupId, userId: o.user.id, role: "admin" }),
    ],
    [
      "owner hands the group to b",
      () => ac.ok("conversation.transferOwnership", { conversationId: groupId, userId: b.user.id }),
    ],
    [
      "the new owner makes a a member again",
      () => bc.ok("conversation.setRole", { conversationId: groupId, userId: a.user.id, role: "member" }),
    ],
    [
      "the observer changes its profile on its other device",
      () =>
        otherDevice.ok("account.update", { displayName: "관찰자", statusText: "회의 중", avatarFileId: myPhoto.id }),
    ],
    ["the observer clears its status line", () => observer.ok("account.update", { statusText: null })],
    ["add a member", () => ac.ok("conversation.addMembers", { conversationId: groupId, userIds: [c.user.id] })],
    [
      "new member sends",
      () =>
        cc.ok("message.send", { conversationId: groupId, clientMsgId: "4", text: `@${b.user.username} welcome me` }),
    ],
    ["observer reads on its other device", () => otherDevice.ok("read", { conversationId: groupId, seq: 4 })],
    [
      "an admin (the observer) removes a member",
      () => observer.ok("conversation.removeMember", { conversationId: groupId, userId: a.user.id }),
    ],
    ["a member leaves", () => cc.ok("conversation.leave", { conversationId: groupId })],
    ["the owner leaves: the admin inherits the group", () => bc.ok("conversation.leave", { conversationId: groupId })],
    [
      "direct chat",
      async () => {
        directId = (
          await ac.ok<{ conversation: Conversation }>("conversation.create", { kind: "direct", memberIds: [o.user.id] })
        ).conversation.id;
      },
    ],
    ["direct message", () => ac.ok("message.send", { conversationId: directId, clientMsgId: "5", text: "just us" })],
    [
      "a link, then its preview",
      async () => {
        await ac.ok("message.send", { conversationId: directId, clientMsgId: "5b", text: `${site.origin}/og-oracle` });
        await server.app.previews.idle();
        await observer.until(() => observer.eventsOf("message.preview").length === 1);
      },
    ],
    [
      "the link edited to another, then its preview",
      async () => {
        await ac.ok("message.edit", { conversationId: directId, seq: 2, text: `${site.origin}/og-oracle-2` });
        await server.app.previews.idle();
        await observer.until(() => observer.eventsOf("message.preview").length === 2);
      },
    ],
    ["observer is removed... by leaving", () => observer.ok("conversation.leave", { conversationId: groupId })],
    ["a stranger invites the observer", inviteObserver],
    [
      "the observer declines on its other device",
      () => otherDevice.ok("invitation.decline", { invitationId: invited[0] }),
    ],
    ["the stranger invites again", inviteObserver],
    ["the observer accepts", () => observer.ok("invitation.accept", { invitationId: invited[1] })],
    [
      "the observer joins the stranger's other group by its invite link",
      async () => {
        const made = await sc.ok<{ conversation: Conversation }>("conversation.create", {
          kind: "group",
          title: "링크로",
          memberIds: [],
        });
        const { link } = await sc.ok<{ link: { token: string } }>("groupLink.create", {
          conversationId: made.conversation.id,
        });
        await observer.ok("groupLink.join", { token: link.token });
      },
    ],
    [
      "the observer hides its presence on its other device",
      () => otherDevice.ok("account.update", { hidePresence: true }),
    ],
    [
      "the stranger sends into the joined group",
      async () => {
        const { conversations } = await sc.ok<{ conversations: { conversation: Conversation }[] }>("conversation.list");
        const joined = conversations.find((x) => x.conversation.memberIds.includes(o.user.id));
        await sc.ok("message.send", { conversationId: joined?.conversation.id, clientMsgId: "6", text: "환영" });
      },
    ],
    [
      "the stranger deletes its account: it leaves, its message stays",
      () => sc.ok("account.delete", { password: "correct horse" }),
    ],
    [
      "mute the direct chat for an hour",
      () => observer.ok("notify.mute", { conversationId: directId, duration: "1h" }),
    ],
    [
      "mute it until turned on, mentions muted too, on the other device",
      () =>
        otherDevice.ok("notify.mute", { conversationId: directId, duration: "forever", mentionsOverrideMute: false }),
    ],
    ["unmute", () => observer.ok("notify.mute", { conversationId: directId, duration: "off" })],
    [
      "quiet hours in Seoul's time",
      () => otherDevice.ok("notify.settings", { dnd: { start: 1320, end: 420 }, utcOffsetMinutes: 540 }),
    ],
    ["hide message text", () => observer.ok("notify.settings", { hideText: true })],
    ["mentions through quiet hours", () => otherDevice.ok("notify.settings", { mentionsInQuietHours: true })],
    ["quiet hours off", () => observer.ok("notify.settings", { dnd: null })],
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
    const expected = await snapshot(observer, o.user.id);
    expect(state, name).toEqual(expected);
    state = expected;
  }
  await Promise.all([observer, otherDevice, ac, bc, cc, sc].map((x) => x.close()));
});

it("events that reach a user are only about their conversations (the ServerEvent type is exhaustive)", () => {
  const sample: ServerEvent = { type: "typing", conversationId: "c", userId: "u" };
  expect(serverEventSchema.safeParse(sample).success).toBe(true);
  expect(serverEventSchema.safeParse({ ...sample, extra: 1 }).success).toBe(false);
});
