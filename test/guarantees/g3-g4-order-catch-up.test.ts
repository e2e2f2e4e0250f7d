/**
 * G3 and G4: two devices of one user. The phone goes offline while 1,000 messages (and edits,
 * deletions, reactions and reads) arrive in several conversations from several senders at
 * once; it comes back, syncs page by page from its cursor, and ends with exactly what the PC,
 * online all along, has — the same events in the same order, and the same per-conversation
 * gap-free seq that the server's history holds.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FeedEvent, Message } from "../../src/protocol/index.js";
import {
  addContactOf,
  afterDeletions,
  loginDevice,
  RawClient,
  registerUser,
  startTestServer,
  type TestServer,
} from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 100_000, requestBurst: 100_000 });
});
afterAll(() => server.stop());

type SyncReply = { events: FeedEvent[]; cursor: string; hasMore: boolean };

async function syncAll(client: RawClient, cursor: string | undefined, limit: number) {
  const events: FeedEvent[] = [];
  let pages = 0;
  for (;;) {
    const page = await client.ok<SyncReply>("sync", cursor === undefined ? { limit } : { cursor, limit });
    events.push(...page.events);
    cursor = page.cursor;
    pages += 1;
    if (!page.hasMore) return { events, cursor, pages };
  }
}

/** Fold feed events into per-conversation message state, as a client would. */
function fold(events: FeedEvent[]): Map<string, Map<number, Message>> {
  const state = new Map<string, Map<number, Message>>();
  for (const e of events) {
    if (
      e.type === "message.new" ||
      e.type === "message.edited" ||
      e.type === "message.deleted" ||
      e.type === "message.reaction"
    ) {
      const conv = state.get(e.conversationId) ?? new Map<number, Message>();
      conv.set(e.seq, e.message);
      state.set(e.conversationId, conv);
    }
  }
  return state;
}

it("a device that was offline catches up to exactly what the online device has", async () => {
  const u = await registerUser(server.url, "g4u");
  const phoneAuth = await loginDevice(server.url, u.user.username, "phone");
  const b = await registerUser(server.url, "g4b");
  const c = await registerUser(server.url, "g4c");
  const pc = await RawClient.connect(server.wsUrl, u.token);
  const bc = await RawClient.connect(server.wsUrl, b.token);
  const cc = await RawClient.connect(server.wsUrl, c.token);
  // Everyone is everyone's contact, so groups take members directly (strangers are only invited).
  for (const [who, others] of [
    [u, [b, c]],
    [b, [u, c]],
    [c, [u, b]],
  ] as const) {
    await addContactOf(
      server,
      who.user.id,
      others.map((o) => o.user.id),
    );
  }
  const create = async (client: RawClient, kind: string, memberIds: string[]) =>
    (await client.ok<{ conversation: { id: string } }>("conversation.create", { kind, memberIds })).conversation.id;
  const convs = [
    await create(pc, "direct", [b.user.id]),
    await create(cc, "direct", [u.user.id]),
    await create(bc, "group", [u.user.id, c.user.id]),
    await create(pc, "group", [b.user.id]),
  ];

  // The phone syncs once (its cursor now covers the conversations' creation), then goes offline.
  const phone1 = await RawClient.connect(server.wsUrl, phoneAuth.token);
  const first = await syncAll(phone1, undefined, 1000);
  expect(first.events.filter((e) => e.type === "conversation.created")).toHaveLength(4);
  await phone1.close();
  const pcLiveFrom = pc.events.length;

  // 1,000 messages from three senders at once across four conversations.
  const senders: [RawClient, string[]][] = [
    [pc, convs],
    [bc, [convs[0], convs[2], convs[3]] as string[]],
    [cc, [convs[1], convs[2]] as string[]],
  ];
  let n = 0;
  const sent: { sender: number; message: Message }[] = [];
  await Promise.all(
    senders.map(async ([client, targets], s) => {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < 334 && n < 1000; i++, n++) {
        const conversationId = targets[i % targets.length] as string;
        batch.push(
          client
            .ok<{ message: Message }>("message.send", {
              conversationId,
              clientMsgId: `s${s}-${i}`,
              text: `from ${s}: ${i}`,
            })
            .then((r) => sent.push({ sender: s, message: r.message })),
        );
      }
      await Promise.all(batch);
    }),
  );
  // Mixed in: edits, deletions, reactions, and reads on the PC (the phone must learn those too).
  const pick = (sender: number, conversationId: string | undefined) =>
    (sent.find((x) => x.sender === sender && x.message.conversationId === conversationId) as { message: Message })
      .message;
  const edited = pick(1, convs[0]);
  const deleted = pick(2, convs[1]);
  const reacted = pick(0, convs[2]);
  await bc.ok("message.edit", { conversationId: convs[0], seq: edited.seq, text: "edited while the phone slept" });
  await cc.ok("message.delete", { conversationId: convs[1], seq: deleted.seq });
  await bc.ok("reaction.add", { conversationId: convs[2], seq: reacted.seq, emoji: "👍" });
  await cc.ok("reaction.add", { conversationId: convs[2], seq: reacted.seq, emoji: "👍" });
  // Read everything, so each cursor moves (a cursor already at the end would not make an event).
  for (const conversationId of convs)
    await cc
      .ok("message.send", { conversationId, clientMsgId: `last-${conversationId}`, text: "last" })
      .catch(() => bc.ok("message.send", { conversationId, clientMsgId: `last-${conversationId}`, text: "last" }));
  for (const conversationId of convs) await pc.ok("read", { conversationId, seq: 100_000 });
  await pc.ok("ping"); // a round trip so that every live event has arrived

  const totalAfter = await Promise.all(
    convs.map((conversationId) => pc.ok<{ lastSeq: number }>("conversation.get", { conversationId })),
  );
  expect(totalAfter.reduce((sum, r) => sum + r.lastSeq, 0)).toBe(1004);
  const pcLive = pc.events.slice(pcLiveFrom).filter((e): e is FeedEvent => "eventId" in e);

  // G3 on the live path: per conversation the PC saw seq 1, 2, 3, … with no gap and no repeat.
  for (const conversationId of convs) {
    const seqs = pcLive
      .filter((e) => e.type === "message.new" && e.conversationId === conversationId)
      .map((e) => (e as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  }

  // G4: the phone comes back and syncs in pages of 97 from its cursor.
  const phone2 = await RawClient.connect(server.wsUrl, phoneAuth.token);
  const caught = await syncAll(phone2, first.cursor, 97);
  expect(caught.pages).toBeGreaterThan(10);
  const pcFeed = pc.events.filter(
    (e): e is FeedEvent => "eventId" in e && e.eventId > (first.events.at(-1)?.eventId ?? 0),
  );
  expect(caught.events.map((e) => e.eventId)).toEqual(pcFeed.map((e) => e.eventId).sort((x, y) => x - y));
  expect(caught.events).toEqual(afterDeletions([...pcFeed].sort((x, y) => x.eventId - y.eventId)));
  const receipts = caught.events.filter((e) => e.type === "receipt" && e.userId === u.user.id);
  expect(receipts).toHaveLength(4);

  // Both devices fold to the same state, and it is the server's history.
  const phoneState = fold([...first.events, ...caught.events]);
  const pcState = fold(pc.events.filter((e): e is FeedEvent => "eventId" in e));
  expect(phoneState).toEqual(pcState);
  for (const conversationId of convs) {
    const messages: Message[] = [];
    for (let more = true; more; ) {
      const page = await phone2.ok<{ messages: Message[]; hasMore: boolean }>("history", {
        conversationId,
        afterSeq: messages.at(-1)?.seq ?? 0,
      });
      messages.push(...page.messages);
      more = page.hasMore;
    }
    expect([...(phoneState.get(conversationId)?.values() ?? [])].sort((x, y) => x.seq - y.seq)).toEqual(messages);
  }
  expect(phoneState.get(convs[0] as string)?.get(edited.seq)?.text).toBe("edited while the phone slept");
  expect(phoneState.get(convs[1] as string)?.get(deleted.seq)?.deleted).toBe(true);
  expect(phoneState.get(convs[2] as string)?.get(reacted.seq)?.reactions).toEqual({ "👍": 2 });
  await Promise.all([pc.close(), bc.close(), cc.close(), phone2.close()]);
}, 60_000);
