/**
 * @module PostgreSQL's newest-first search walk: however its windows fall and wherever it hands
 * over to the index, it finds what reading the spans outright finds, in the same order.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../../test/services.js";
import { openPostgresStore } from "../postgres/postgres-store.js";
import type { MessageSearch, Store } from "../store.js";
import { searchScope, walkThenRest } from "./search-queries.js";
import { handOver, queryTrigrams, WALK_TUNING, type WalkTuning } from "./search-walk.js";
import type { SqlStore } from "./sql-store.js";

const schema = freshSchema();
let store: Store;
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;
const base = Date.parse("2024-05-01T00:00:00.000Z");
const at = (second: number) => new Date(base + second * 1000).toISOString();
const people = { a: "", b: "" };
const chats: string[] = [];

beforeAll(async () => {
  store = await openPostgresStore(postgresUrlWithSchema(schema));
  for (const key of ["a", "b"] as const) {
    const username = uid("walker");
    people[key] = (
      await store.createUser({ id: uid("id"), username, displayName: username, passwordHash: "x", createdAt: at(0) })
    ).id;
  }
  for (let c = 0; c < 3; c++) {
    const conversation = { id: uid("conv"), kind: "group" as const, memberIds: [people.a, people.b] };
    chats.push((await store.createGroup({ ...conversation, createdAt: at(1), createdBy: people.a })).value.id);
  }
  // 90 messages over three chats; b is out of the second chat for a stretch (G7); some share an
  // instant across chats (the keyset's ties), and every tenth is stamped earlier than the one
  // before it in its chat (a clock that stepped back: seq order is not time order).
  const sent: { conversationId: string; seq: number }[] = [];
  for (let i = 0; i < 90; i++) {
    const conversationId = chats[i % 3] as string;
    if (i === 30) await store.removeMember(chats[1] as string, people.b, people.a, at(10 + i * 10));
    if (i === 60) await store.addMembers(chats[1] as string, [people.b], people.a, at(10 + i * 10), 100);
    const second = i % 10 === 9 ? 10 + (i - 5) * 10 : 10 + Math.floor(i / 2) * 20;
    const text = `${i % 4 === 0 ? "common word" : "other words"} #${i}${i % 29 === 0 ? " rare needle" : ""}`;
    const written = await store.appendMessage({
      id: uid("m"),
      conversationId,
      senderId: i % 2 || (i >= 30 && i < 60 && i % 3 === 1) ? people.a : people.b,
      clientMsgId: uid("c"),
      text,
      createdAt: at(second),
      mentions: [],
      mentionsAll: false,
    });
    sent.push(written.value);
  }
  const [gone, edited] = [sent[40], sent[44]] as [{ conversationId: string; seq: number }, (typeof sent)[0] & {}];
  await store.deleteMessage(gone.conversationId, gone.seq, at(5000), people.a);
  await store.editMessage(edited.conversationId, edited.seq, "edited away", [], false, at(5001), people.a);
});

afterAll(async () => {
  await store?.close();
  await dropSchema(schema);
});

const TUNINGS: Record<string, WalkTuning> = {
  "windows to the end": { firstRows: 1, rowsPerSpan: 0, rowBudget: Number.POSITIVE_INFINITY, ginCandidateCost: 10 },
  "a hand-over early, to the index": { firstRows: 1, rowsPerSpan: 0, rowBudget: 4, ginCandidateCost: 0 },
  "a hand-over early, outright": {
    firstRows: 1,
    rowsPerSpan: 0,
    rowBudget: 4,
    ginCandidateCost: Number.POSITIVE_INFINITY,
  },
  "a hand-over later, to the index": { firstRows: 5, rowsPerSpan: 1, rowBudget: 30, ginCandidateCost: 0 },
  "a hand-over later, outright": {
    firstRows: 5,
    rowsPerSpan: 1,
    rowBudget: 30,
    ginCandidateCost: Number.POSITIVE_INFINITY,
  },
  "the store's own": WALK_TUNING,
};

it("finds what reading outright finds, in its order, however the windows fall (G7, deletes, edits, cursors)", async () => {
  const db = (store as SqlStore).driver.reader;
  const seen = { windows: 0, toTheIndex: 0, outright: 0, walkedToTheEnd: 0 };
  for (const user of [people.a, people.b])
    for (const query of ["common", "word", "rare needle", "edited", "#40", "nowhere at all"])
      for (const more of [{}, { senderId: people.a }, { createdBefore: at(700), createdAfter: at(200) }])
        for (const limit of [3, 100]) {
          const search: MessageSearch = { userId: user, query, limit, ...more };
          const outright = await store.searchMessages({ ...search, force: "scan" });
          const expected = outright.messages.map((m) => m.id);
          for (const [name, tuning] of Object.entries(TUNINGS)) {
            const walked = await walkThenRest(db, search, await searchScope(db, search), tuning);
            const where = JSON.stringify({ name, query, more, limit, user: user === people.a ? "a" : "b" });
            expect(
              walked.rows.slice(0, limit).map((r) => r.id),
              where,
            ).toEqual(expected);
            expect(walked.rows.length > limit, where).toBe(outright.hasMore);
            seen.windows = Math.max(seen.windows, walked.windows);
            if (walked.rest === "index") seen.toTheIndex++;
            else if (walked.rest === "outright") seen.outright++;
            else if (walked.windows > 2) seen.walkedToTheEnd++;
          }
        }
  // The tunings did reach every path: many windows, both hand-overs, a walk through to the oldest.
  expect(seen.windows).toBeGreaterThanOrEqual(4);
  expect(seen.toTheIndex).toBeGreaterThan(0);
  expect(seen.outright).toBeGreaterThan(0);
  expect(seen.walkedToTheEnd).toBeGreaterThan(0);
  // Paging through the walk, newest first, without a gap or a repeat.
  const pages: string[] = [];
  let from: MessageSearch["from"];
  for (;;) {
    const page = await store.searchMessages({
      userId: people.b,
      query: "word",
      limit: 7,
      force: "walk",
      ...(from ? { from } : {}),
    });
    pages.push(...page.messages.map((m) => m.id));
    const end = page.messages.at(-1);
    if (!page.hasMore || !end) break;
    from = { createdAt: end.createdAt, conversationId: end.conversationId, seq: end.seq };
  }
  const all = await store.searchMessages({ userId: people.b, query: "word", limit: 500, force: "scan" });
  expect(pages).toEqual(all.messages.map((m) => m.id));
  expect(pages.length).toBeGreaterThan(50);
});

it("hands the rest to the index only for a query with a trigram rare enough, else reads it outright", () => {
  expect(queryTrigrams("내일회의")).toEqual(["내일회", "일회의"]);
  expect(queryTrigrams("deploy server")).toEqual(["dep", "epl", "plo", "loy", "ser", "erv", "rve", "ver"]);
  expect(queryTrigrams("ab cd")).toEqual([]);
  const sample = { tableMessages: 1_000_000, sampled: 2_000 };
  // A trigram never seen in 2,000 sampled messages: at most ~500 candidates in a million, against 98,000 to read.
  expect(handOver({ ...sample, rarest: 0 }, 98_000, WALK_TUNING)).toBe("index");
  // Its rarest trigram in a sixth of the messages: the index would offer ~160,000 messages.
  expect(handOver({ ...sample, rarest: 320 }, 98_000, WALK_TUNING)).toBe("outright");
  // No trigram to weigh by (words of two characters): outright, bounded by the history.
  expect(handOver(sample, 98_000, WALK_TUNING)).toBe("outright");
});
