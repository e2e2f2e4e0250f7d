/**
 * Search, history around a seq, pinned notices and forwarding, over a real socket: Korean as
 * typed, bad input answered with a clear error or an empty page, search deferred first under load.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, FeedEvent, Message, SearchResult } from "../../src/protocol/index.js";
import { uploaded } from "../files/files-helpers.js";
import { startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createGroup, expectError, person, send } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000 });
});
afterAll(() => server.stop());

type SearchReply = { results: SearchResult[]; cursor: string | null; hasMore: boolean };
type HistoryReply = { messages: Message[]; hasMore: boolean; hasMoreBefore?: boolean; hasMoreAfter?: boolean };

describe("search", () => {
  it("finds Korean as typed with its chat and highlights, pages by cursor, ranks by relevance", async () => {
    const alice = await person(server, "srch");
    const bob = await person(server, "srch");
    await befriend(alice, bob);
    const group = await createGroup(alice.client, [bob.id], "팀");
    await send(alice.client, group.id, "내일회의는 10시");
    await send(bob.client, group.id, "회의 회의 또 회의");
    await send(alice.client, group.id, "점심 뭐 먹지");
    const found = await alice.client.ok<SearchReply>("search", { query: "회의" });
    expect(found.results.map((r) => r.message.text)).toEqual(["회의 회의 또 회의", "내일회의는 10시"]);
    expect(found.results[1]).toMatchObject({
      conversation: { id: group.id, title: "팀" },
      highlights: [{ start: 2, end: 4 }],
    });
    const first = await bob.client.ok<SearchReply>("search", { query: "회의", limit: 1 });
    expect(first).toMatchObject({ hasMore: true });
    const second = await bob.client.ok<SearchReply>("search", { query: "회의", limit: 1, cursor: first.cursor });
    expect(second.results.map((r) => r.message.text)).toEqual(["내일회의는 10시"]);
    expect(second).toMatchObject({ hasMore: false, cursor: null });
    const byRelevance = await bob.client.ok<SearchReply>("search", { query: "10시", order: "relevance" });
    expect(byRelevance.results.map((r) => r.message.seq)).toEqual([1]);
    const fromBob = await alice.client.ok<SearchReply>("search", { query: "회의", senderId: bob.id });
    expect(fromBob.results.map((r) => r.message.senderId)).toEqual([bob.id]);
    await closeAll(alice.client, bob.client);
  });

  it("answers bad input with a clear error or an empty page, never an index syntax error", async () => {
    const alice = await person(server, "srchbad");
    const group = await createGroup(alice.client, []);
    await send(alice.client, group.id, 'quote " star * NEAR -dash 100%_x');
    for (const query of ["", "   ", "a", " 회 "]) {
      const reply = await expectError(alice.client, "search", { query }, "invalid_request");
      expect(String(reply.message)).toMatch(/two characters/);
    }
    await expectError(alice.client, "search", { query: "가".repeat(10_000) }, "invalid_request");
    for (const query of ['"', "*", "NEAR", "-", "%", "_", "%%", '" OR "', "NEAR(a b)", "*)", "\\%"]) {
      const padded = query.length < 2 ? `${query} ${query}` : query;
      const reply = await alice.client.request("search", { query: padded });
      expect({ query, type: reply.type }).toEqual({ query, type: "ok" });
    }
    const star = await alice.client.ok<SearchReply>("search", { query: "star *" });
    expect(star.results).toHaveLength(1);
    expect((await alice.client.ok<SearchReply>("search", { query: "%%" })).results).toEqual([]);
    for (const cursor of ["nonsense", "bi4xMjM", "r.9", "cj4x", "!!", Buffer.from("r.1").toString("base64url")]) {
      await expectError(alice.client, "search", { query: "star", cursor }, "invalid_cursor");
    }
    await expectError(alice.client, "search", { query: "star", before: "yesterday" }, "invalid_request");
    await closeAll(alice.client);
  });

  it("refuses a chat the user is not in, and is deferred first under load with retryAfterMs (G5)", async () => {
    const alice = await person(server, "srchload");
    const eve = await person(server, "srchload");
    const group = await createGroup(alice.client, []);
    await send(alice.client, group.id, "load test words");
    await expectError(eve.client, "search", { query: "load", conversationId: group.id }, "forbidden");
    expect((await eve.client.ok<SearchReply>("search", { query: "load" })).results).toEqual([]);
    server.app.load.pin(2);
    try {
      const refused = await expectError(alice.client, "search", { query: "load" }, "overloaded");
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      // History is deferred only later (level 3): a search hit can still be opened.
      await alice.client.ok("history", { conversationId: group.id, aroundSeq: 1 });
    } finally {
      server.app.load.pin(0);
    }
    expect((await alice.client.ok<SearchReply>("search", { query: "load" })).results).toHaveLength(1);
    await closeAll(alice.client, eve.client);
  });
});

describe("history around a seq", () => {
  it("opens any message in context, and gives an empty page past the end", async () => {
    const alice = await person(server, "around");
    const group = await createGroup(alice.client, []);
    for (let i = 1; i <= 7; i++) await send(alice.client, group.id, `m${i}`);
    const window = await alice.client.ok<HistoryReply>("history", { conversationId: group.id, aroundSeq: 4, limit: 4 });
    expect(window.messages.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    expect(window).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: true });
    const past = await alice.client.ok<HistoryReply>("history", { conversationId: group.id, aroundSeq: 99 });
    expect(past).toMatchObject({ messages: [], hasMoreAfter: false, hasMoreBefore: true });
    await expectError(
      alice.client,
      "history",
      { conversationId: group.id, aroundSeq: 2, beforeSeq: 3 },
      "invalid_request",
    );
    await expectError(alice.client, "history", { conversationId: group.id, aroundSeq: 0 }, "invalid_request");
    await closeAll(alice.client);
  });
});

describe("pin and forward", () => {
  it("lets the owner pin a notice every member gets in sync, and forwards a message with its files", async () => {
    const alice = await person(server, "pin");
    const bob = await person(server, "pin");
    await befriend(alice, bob);
    const group = await createGroup(alice.client, [bob.id]);
    const other = await createGroup(alice.client, [bob.id]);
    const notice = await send(bob.client, group.id, "공지: 금요일 휴무");
    await expectError(bob.client, "pin", { conversationId: group.id, seq: notice.seq }, "forbidden");
    const pinned = await alice.client.ok<{ conversation: Conversation }>("pin", {
      conversationId: group.id,
      seq: notice.seq,
    });
    expect(pinned.conversation.pinned).toMatchObject({ seq: notice.seq, byUserId: alice.id });
    const { events } = await bob.client.ok<{ events: FeedEvent[] }>("sync");
    const last = events.filter((e) => e.type === "conversation.updated").at(-1);
    expect(last).toMatchObject({ conversation: { id: group.id, pinned: { seq: notice.seq } } });
    expect(
      (await alice.client.ok<{ conversation: Conversation }>("unpin", { conversationId: group.id })).conversation
        .pinned,
    ).toBeUndefined();

    const file = await uploaded(server.url, bob.auth.token, new TextEncoder().encode("minutes"), "회의록.txt");
    const original = await send(bob.client, group.id, "회의록 첨부", { fileIds: [file.id] });
    const forward = {
      fromConversationId: group.id,
      seq: original.seq,
      toConversationIds: [other.id],
      clientMsgId: "fw-1",
    };
    const copies = await alice.client.ok<{ messages: Message[] }>("message.forward", forward);
    expect(copies.messages).toMatchObject([
      {
        conversationId: other.id,
        senderId: alice.id,
        text: "회의록 첨부",
        files: [{ id: file.id, name: "회의록.txt" }],
        forwarded: true,
      },
    ]);
    // The original is not marked; the copy is, in the target's history too.
    expect(original.forwarded).toBeUndefined();
    const history = await alice.client.ok<{ messages: Message[] }>("history", { conversationId: other.id, limit: 5 });
    expect(history.messages.at(-1)).toMatchObject({ id: copies.messages[0]?.id, forwarded: true });
    const again = await alice.client.ok<{ messages: Message[] }>("message.forward", forward);
    expect(again.messages[0]?.id).toBe(copies.messages[0]?.id);
    const eve = await person(server, "pin");
    const theirs = await createGroup(eve.client, []);
    await expectError(alice.client, "message.forward", { ...forward, toConversationIds: [theirs.id] }, "forbidden");
    await expectError(eve.client, "message.forward", { ...forward, toConversationIds: [theirs.id] }, "forbidden");
    await closeAll(alice.client, bob.client, eve.client);
  });
});
