/**
 * G3/G4 with writers side by side: three PostgreSQL store instances (three nodes' stores on one
 * schema) append, react and mark read at full rate, on conversations they share, while readers
 * page through the feed in tight loops, each page from whichever node. Batches of the three
 * commit out of event-id order all the time (the test checks that they did); yet every reader
 * gets every acknowledged event exactly once, and each conversation's messages in seq order
 * without a gap.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FeedEvent } from "../../src/protocol/index.js";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";

const NODES = 3;
const WRITERS_PER_NODE = 24;
/** Conversations every node writes to, and conversations of each node's own. */
const SHARED = 4;
const OWN = 8;
const CONVERSATIONS = SHARED + NODES * OWN;
const READERS = 3;
const WRITE_MS = 4000;

const schema = freshSchema();
const stores: Store[] = [];
beforeAll(async () => {
  for (let i = 0; i < NODES; i++) stores.push(await openPostgresStore(postgresUrlWithSchema(schema)));
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await dropSchema(schema);
});

const now = () => new Date().toISOString();

it("no reader misses or repeats an event while three nodes write at full rate", async () => {
  const [first] = stores as [Store];
  const users = [] as string[];
  for (let i = 0; i < READERS + 2; i++) {
    const id = `u${i}-${schema}`;
    await first.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: now() });
    users.push(id);
  }
  const conversations: string[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const id = `g${c}-${schema}`;
    await first.createGroup({ id, kind: "group", memberIds: users, createdAt: now(), createdBy: users[0] as string });
    conversations.push(id);
  }

  /** Every event a write was acknowledged with: what each reader must end with, once each. */
  const acknowledged = new Set<number>();
  const failures: unknown[] = [];
  let writing = true;
  /** Set once every write has settled: a reader that starts a page after it sees them all. */
  let settled = false;
  let n = 0;
  const writer = async (store: Store, node: number, w: number) => {
    while (writing) {
      const k = n++;
      // One write in forty to a conversation all nodes write to (its seqs interleave across
      // nodes); the rest to the node's own, whose batches commit beside the other nodes'.
      const c = k % 40 === 0 ? k % SHARED : SHARED + node * OWN + ((w + k) % OWN);
      const conversationId = conversations[c] as string;
      const senderId = users[k % users.length] as string;
      try {
        if (k % 10 === 9) {
          const read = await store.markRead(conversationId, senderId, 1_000_000, now());
          if (read.event) acknowledged.add(read.event.eventId);
        } else if (k % 10 === 8) {
          const reacted = await store.setReaction(conversationId, 1, senderId, `r${k % 3}`, k % 2 === 0, now());
          if (reacted.event) acknowledged.add(reacted.event.eventId);
        } else {
          const sent = await store.appendMessage({
            id: `m${k}-${schema}`,
            conversationId,
            senderId,
            clientMsgId: `c${k}`,
            text: `message ${k}`,
            createdAt: now(),
            mentions: [],
            mentionsAll: false,
          });
          if (sent.event) acknowledged.add(sent.event.eventId);
        }
      } catch (error) {
        // The first reaction may come before message 1 exists.
        if ((error as { code?: string }).code !== "message_not_found") failures.push(error);
      }
    }
  };

  /** A reader: pages through the feed from any node until told to stop and caught up. */
  const reader = async (userId: string, r: number) => {
    const received: FeedEvent[] = [];
    let cursor: string | undefined;
    let highest = 0;
    let laterSmaller = 0;
    let pages = 0;
    for (;;) {
      const stopping = settled;
      const page = await (stores[(r + pages) % NODES] as Store).feed(userId, cursor, 50);
      pages += 1;
      const before = highest;
      for (const event of page.events) {
        // An event with a smaller id than one a previous page gave: an id cursor would have skipped it.
        if (event.eventId < before) laterSmaller += 1;
        highest = Math.max(highest, event.eventId);
      }
      received.push(...page.events);
      cursor = page.cursor;
      // Every write had settled before this page began: read to the end, then stop.
      if (stopping && !page.hasMore) break;
    }
    return { received, laterSmaller, pages };
  };

  const writers = stores.flatMap((store, node) =>
    Array.from({ length: WRITERS_PER_NODE }, (_, w) => writer(store, node, w)),
  );
  const readers = users.slice(0, READERS).map((userId, r) => reader(userId, r));
  await new Promise((resolve) => setTimeout(resolve, WRITE_MS));
  writing = false;
  await Promise.all(writers);
  settled = true;
  const results = await Promise.all(readers);

  expect(failures).toEqual([]);
  expect(acknowledged.size).toBeGreaterThan(100);
  const created = CONVERSATIONS; // one conversation.created each
  for (const { received, pages } of results) {
    expect(pages).toBeGreaterThan(20);
    const ids = received.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length); // never repeated
    const got = new Set(ids);
    const missing = [...acknowledged].filter((id) => !got.has(id));
    expect(missing).toEqual([]); // never missed
    expect(ids.length).toBe(acknowledged.size + created);
    // Each conversation's messages in seq order, 1, 2, 3, … without a gap.
    const seqs = new Map<string, number>();
    for (const event of received) {
      if (event.type !== "message.new") continue;
      const last = seqs.get(event.conversationId) ?? 0;
      expect(event.seq).toBe(last + 1);
      seqs.set(event.conversationId, event.seq);
    }
  }
  // The hazard was there: pages brought events with ids below ones already read.
  expect(results.reduce((sum, r) => sum + r.laterSmaller, 0)).toBeGreaterThan(0);
}, 60_000);
