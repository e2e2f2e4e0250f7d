/**
 * @module The PostgreSQL statements of a run of appends (`APPEND_MESSAGE_ARRAYS.runMany`), called
 * directly: a failure there would not show through the store, whose group falls back to one
 * append at a time, only slower.
 */
import { afterEach, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../../test/services.js";
import { APPEND_MESSAGE_ARRAYS } from "../sql/append-messages.js";
import type { AppendMessageInput } from "../store.js";
import { connectionSettings, PgExecutor } from "./postgres-connection.js";
import { openPostgresStore } from "./postgres-store.js";

const now = () => new Date().toISOString();
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

describe("a run of appends on PostgreSQL", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("writes odd texts, mentions, replies and refusals in its own statements, each array element as given", async () => {
    const schema = freshSchema();
    const url = postgresUrlWithSchema(schema);
    const store = await openPostgresStore(url);
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => store.close());
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((name) =>
        store.createUser({
          id: uid(name),
          username: uid(name),
          displayName: name,
          passwordHash: "x",
          createdAt: now(),
        }),
      ),
    );
    if (!a || !b || !c) throw new Error("users");
    const g = uid("g");
    await store.createGroup({ id: g, kind: "group", memberIds: [a.id, b.id], createdAt: now(), createdBy: a.id });
    const direct = (
      await store.getOrCreateDirect({
        id: uid("d"),
        kind: "direct",
        memberIds: [a.id, c.id],
        createdAt: now(),
        createdBy: a.id,
      })
    ).value.id;
    const blocked = (
      await store.getOrCreateDirect({
        id: uid("d"),
        kind: "direct",
        memberIds: [b.id, c.id],
        createdAt: now(),
        createdBy: b.id,
      })
    ).value.id;
    await store.addBlock(c.id, b.id, now());

    const texts = ['say "hi"', "back\\slash \\", "{a,b}", "NULL", "", "tab\tand\nline", 'ünïcode 🙂, {"x"}'];
    const send = (conversationId: string, senderId: string, text: string, extra: Partial<AppendMessageInput> = {}) => ({
      id: uid("m"),
      conversationId,
      senderId,
      clientMsgId: `k ${text} ${uid("")}`,
      text,
      createdAt: now(),
      mentions: [],
      mentionsAll: false,
      ...extra,
    });
    const inputs: AppendMessageInput[] = [
      ...texts.map((text) => send(g, a.id, text)),
      send(g, b.id, "hi @a", { mentions: [a.id], replyToSeq: 1 }),
      send(direct, c.id, "direct"),
      send(blocked, b.id, "blocked"),
      send(g, c.id, "not a member"),
      send(g, a.id, "reply to nothing", { replyToSeq: 99 }),
    ];
    const client = connectionSettings(url).newClient();
    await client.connect();
    cleanups.push(() => client.end());
    const db = new PgExecutor(client);
    await db.run("BEGIN");
    const outcomes = await APPEND_MESSAGE_ARRAYS.runMany(db, inputs);
    await db.run("COMMIT");

    expect(outcomes.map((o) => (o.ok ? o.value.value.seq : (o.error as { code?: string }).code))).toEqual([
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      1,
      "blocked",
      "forbidden",
      "message_not_found",
    ]);
    for (const [i, text] of texts.entries()) expect((await store.getMessage(g, i + 1))?.text).toBe(text);
    const reply = await store.getMessage(g, 8);
    expect([reply?.mentions, reply?.replyToSeq]).toEqual([[a.id], 1]);
    expect((await store.getMember(g, b.id))?.readSeq).toBe(8);
    expect(await store.lastSeq(g)).toBe(8);
    expect(await store.lastSeq(blocked)).toBe(0);
    // Feed events: one per stored message, ids rising in input order.
    const ids = outcomes.flatMap((o) => (o.ok && o.value.event ? [o.value.event.eventId] : []));
    expect(ids).toHaveLength(9);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    // The same run again: every stored one a duplicate, found by its odd clientMsgId.
    await db.run("BEGIN");
    const again = await APPEND_MESSAGE_ARRAYS.runMany(db, inputs.slice(0, 9));
    await db.run("COMMIT");
    expect(again.map((o) => o.ok && o.value.duplicate)).toEqual(Array.from({ length: 9 }, () => true));

    // The event rows name their message instead of repeating it; the feed reads the message with
    // the event, as stored now: an edit's text, a deletion's tombstone.
    const stored = await db.all<{ payload: string }>(
      "SELECT payload FROM events WHERE conversation_id = ? AND type = 'message.new' ORDER BY id",
      [g],
    );
    expect(stored.map((r) => JSON.parse(r.payload))).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seq) => ({ type: "message.new", conversationId: g, seq })),
    );
    await store.editMessage(g, 1, "edited", [], false, now(), a.id);
    await store.deleteMessage(g, 2, now(), a.id);
    const news = (await store.feed(b.id, undefined, 100)).events.flatMap((e) =>
      e.type === "message.new" && e.conversationId === g ? [e.message] : [],
    );
    const history = (await store.history(g, { limit: 10 })).messages;
    expect(news).toEqual(history.map((m) => ({ ...m, reactions: {} })));
    expect(news.map((m) => [m.seq, m.text, m.deleted ?? false])).toEqual([
      [1, "edited", false],
      [2, "", true],
      ...texts.slice(2).map((text, i) => [i + 3, text, false]),
      [8, "hi @a", false],
    ]);
  });
});
