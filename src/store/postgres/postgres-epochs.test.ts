/** @module Feed cursors across PostgreSQL timelines: the cursor's text, the cut of an older timeline's snapshots at the next floor, and a real store reading an older cursor after a (simulated) promotion. */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../../../test/services.js";
import type { FeedEvent } from "../../protocol/index.js";
import type { Store } from "../store.js";
import { clampSnapshot, floorAfter } from "./postgres-epochs.js";
import { decodeSnapshotCursor, encodeSnapshotCursor } from "./postgres-feed.js";
import { openPostgresStore } from "./postgres-store.js";

/** vis(x, S): transaction x is finished in snapshot S (`xmin:xmax:xip,…`). */
function finished(x: bigint, snapshot: string): boolean {
  const [xmin, xmax, xip] = snapshot.split(":") as [string, string, string];
  if (x < BigInt(xmin)) return true;
  if (x >= BigInt(xmax)) return false;
  return !(xip ? xip.split(",").map(BigInt) : []).includes(x);
}

describe("feed cursors and timelines", () => {
  it("names the timeline in a c3 cursor, reads a c2 cursor as of the oldest timeline, and refuses malformed ones", () => {
    const text = encodeSnapshotCursor({ timeline: 2, lo: "100:105:101,103", hi: null, after: 0 });
    expect(text).toBe("c3.2.2s-5-1-3..0");
    expect(decodeSnapshotCursor(text)).toEqual({ timeline: 2, lo: "100:105:101,103", hi: null, after: 0 });
    const paging = encodeSnapshotCursor({ timeline: 37, lo: "100:105:", hi: "110:120:111", after: 4000 });
    expect(decodeSnapshotCursor(paging)).toEqual({ timeline: 37, lo: "100:105:", hi: "110:120:111", after: 4000 });
    expect(decodeSnapshotCursor("c2.2s-5-1-3..0")).toEqual({
      timeline: "oldest",
      lo: "100:105:101,103",
      hi: null,
      after: 0,
    });
    for (const bad of [
      "c3.0.2s-5..0",
      "c3.2s-5..0",
      "c3..2s-5..0",
      "c3.-1.2s-5..0",
      "c3.zzzzzzz.2s-5..0",
      "c3.1.2s-5.x.0",
    ]) {
      expect(decodeSnapshotCursor(bad), bad).toBeNull();
    }
  });

  it("cuts a snapshot at a floor: finished after the cut iff below the floor and finished before", () => {
    const snapshots = ["100:110:", "100:110:101,104,108", "100:100:", "105:130:106,120,129"];
    const floors = [90n, 100n, 101n, 104n, 105n, 109n, 110n, 125n, 200n];
    for (const snapshot of snapshots) {
      for (const floor of floors) {
        const cut = clampSnapshot(snapshot, floor);
        for (let x = 80n; x < 220n; x++) {
          expect(finished(x, cut), `${snapshot} at ${floor}, xid ${x}`).toBe(x < floor && finished(x, snapshot));
        }
      }
    }
    expect(clampSnapshot("100:110:101,108", 105n)).toBe("100:105:101");
    expect(clampSnapshot("100:110:101,108", 90n)).toBe("90:90:");
    expect(clampSnapshot("100:110:101,108", 500n)).toBe("100:110:101,108");
  });

  it("takes the lowest floor of the timelines after the cursor's, none for the current one, and refuses a newer one", () => {
    const epochs = [
      { timeline: 1, floor: 3n },
      { timeline: 2, floor: 900n },
      { timeline: 4, floor: 5000n },
    ];
    expect(floorAfter(epochs, 4, 4)).toBeNull();
    expect(floorAfter(epochs, 2, 4)).toBe(5000n);
    expect(floorAfter(epochs, 1, 4)).toBe(900n);
    // A timeline no node wrote on (3) reads from the next one that has a floor.
    expect(floorAfter(epochs, 3, 4)).toBe(5000n);
    expect(floorAfter(epochs, "oldest", 4)).toBe(900n);
    expect(floorAfter([{ timeline: 4, floor: 5000n }], "oldest", 4)).toBeNull();
    expect(floorAfter(epochs, 5, 4)).toBeUndefined();
  });
});

describe("feed cursors across a promotion, on PostgreSQL", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const messagesOf = (events: FeedEvent[]) => events.flatMap((e) => (e.type === "message.new" ? [e.message.text] : []));

  async function readAll(store: Store, userId: string, cursor: string | undefined) {
    const events: FeedEvent[] = [];
    let at = cursor;
    for (;;) {
      const page = await store.feed(userId, at, 2);
      events.push(...page.events);
      at = page.cursor;
      if (!page.hasMore) return { events, cursor: at as string };
    }
  }

  it("reads again what a later timeline wrote from its floor on, for a cursor of an older timeline, and nothing twice otherwise", async () => {
    const schema = freshSchema();
    const store = await openPostgresStore(postgresUrlWithSchema(schema));
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => admin.end());
    cleanups.push(() => store.close());
    const now = () => new Date().toISOString();
    const alice = await store.createUser({
      id: "a1",
      username: "alice",
      displayName: "A",
      passwordHash: "x",
      createdAt: now(),
    });
    await store.createGroup({ id: "g1", kind: "group", memberIds: [alice.id], createdAt: now(), createdBy: alice.id });
    const send = (text: string) =>
      store.appendMessage({
        id: text,
        conversationId: "g1",
        senderId: alice.id,
        clientMsgId: text,
        text,
        createdAt: now(),
        mentions: [],
        mentionsAll: false,
      });
    await send("m1");
    await send("m2");
    const before = await readAll(store, alice.id, undefined);
    expect(messagesOf(before.events)).toEqual(["m1", "m2"]);
    const { rows } = await admin.query(
      `SELECT timeline, CAST(xid_floor AS text) AS floor FROM ${schema}.store_epochs ORDER BY timeline`,
    );
    expect(rows).toHaveLength(1);
    const timeline = Number(rows[0].timeline);
    expect(before.cursor.startsWith(`c3.${timeline.toString(36)}.`)).toBe(true);
    await send("m3");

    // On the cursor's own timeline: only what came after it.
    expect(messagesOf((await readAll(store, alice.id, before.cursor)).events)).toEqual(["m3"]);
    // A c2 cursor (from before cursors named their timeline) with one timeline recorded: the same.
    const untimed = before.cursor.replace(/^c3\.[0-9a-z]+\./, "c2.");
    expect(messagesOf((await readAll(store, alice.id, untimed)).events)).toEqual(["m3"]);

    // Now as if the current timeline came after a promotion: an older timeline recorded, and the
    // current one's floor at m2's transaction, which the cursor counts as finished (a reused xid).
    const m2 = await admin.query(
      `SELECT CAST(tx AS text) AS tx FROM ${schema}.events WHERE conversation_id = 'g1' AND seq = 2`,
    );
    await admin.query(`INSERT INTO ${schema}.store_epochs (timeline, xid_floor) VALUES (0, CAST('1' AS xid8))`);
    await admin.query(`UPDATE ${schema}.store_epochs SET xid_floor = CAST($1 AS xid8) WHERE timeline = $2`, [
      m2.rows[0].tx,
      timeline,
    ]);
    const after = await readAll(store, alice.id, untimed);
    expect(messagesOf(after.events)).toEqual(["m2", "m3"]);
    // The cursor it ends with is of the current timeline: read from there, nothing comes twice.
    expect(after.cursor.startsWith(`c3.${timeline.toString(36)}.`)).toBe(true);
    await send("m4");
    expect(messagesOf((await readAll(store, alice.id, after.cursor)).events)).toEqual(["m4"]);

    // A timeline newer than the server's is no cursor this store gave out.
    const newer = before.cursor.replace(/^c3\.[0-9a-z]+\./, `c3.${(timeline + 1).toString(36)}.`);
    await expect(store.feed(alice.id, newer, 10)).rejects.toMatchObject({ code: "invalid_cursor" });
  });
});
