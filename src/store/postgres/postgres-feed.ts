/**
 * @module The feed on PostgreSQL, where batches of many nodes commit side by side and so feed
 * event ids (taken from a sequence inside each transaction) do not become visible in id order.
 * A cursor is a transaction snapshot instead of an id: a page gives the events of the
 * transactions that committed after the cursor's snapshot and before the page's own. A cursor
 * names the PostgreSQL timeline its snapshots were taken on (postgres-epochs.ts): xids are not
 * unique across a failover.
 */

import { HaetaeError } from "../../protocol/errors.js";
import { decodeIdCursor, invalidCursor, toFeedEvents, userChannel } from "../sql/feed-queries.js";
import { type MessageRow, toMessage } from "../sql/rows.js";
import type { SqlExecutor } from "../sql/sql-driver.js";
import type { FeedPage } from "../store.js";
import { StoreUnavailableError } from "../store-errors.js";
import { CURRENT_TIMELINE, clampSnapshot, type StoreEpochs } from "./postgres-epochs.js";

/** The prefix of a snapshot cursor: `c3.<timeline>.<lo>.<hi>.<after>` (see `SnapshotCursor`). */
const SNAPSHOT_CURSOR = "c3.";
/** The snapshot cursors given out before they named their timeline: `c2.<lo>.<hi>.<after>`, read as of the oldest recorded one. */
const UNTIMED_CURSOR = "c2.";

/**
 * Where a reader stands. `lo`: the snapshot (PostgreSQL's `pg_snapshot` text) whose committed
 * transactions the reader has read every event of; none from the beginning. `hi` and `after`,
 * while a window is read in pages: the window is the events of transactions visible in `hi` and
 * not in `lo`, read in id order, and `after` is the last id of it read so far.
 */
export interface SnapshotCursor {
  /** The timeline `lo` and `hi` were taken on; `"oldest"` for a `c2.` cursor (the oldest recorded one). */
  timeline: number | "oldest";
  lo: string | null;
  hi: string | null;
  after: number;
}

const BASE36 = /^[0-9a-z]{1,12}$/;

function fromBase36(text: string): number | null {
  const value = Number.parseInt(text, 36);
  return BASE36.test(text) && Number.isSafeInteger(value) ? value : null;
}

/** `xmin:xmax:xip,…` as base-36 `xmin-(xmax−xmin)-(xip−xmin)…`: short, and only the characters a cursor has. */
function packSnapshot(snapshot: string): string {
  const [xmin, xmax, xip] = snapshot.split(":");
  const base = BigInt(xmin ?? "0");
  const offsets = [BigInt(xmax ?? "0") - base, ...(xip ? xip.split(",").map((x) => BigInt(x) - base) : [])];
  return [base, ...offsets].map((n) => n.toString(36)).join("-");
}

/** The `pg_snapshot` text of a packed snapshot; `null` unless it is one PostgreSQL could have made. */
function unpackSnapshot(packed: string): string | null {
  const numbers = packed.split("-").map(fromBase36);
  if (numbers.length < 2 || numbers.some((n) => n === null)) return null;
  const [xmin, span, ...offsets] = numbers as number[];
  let previous = -1;
  for (const offset of offsets) {
    // In-progress transactions are listed once each, ascending, from xmin up to (not with) xmax.
    if (offset <= previous || offset >= (span as number)) return null;
    previous = offset;
  }
  const base = BigInt(xmin as number);
  return `${base}:${base + BigInt(span as number)}:${offsets.map((o) => base + BigInt(o)).join(",")}`;
}

/** The longest cursor `sync` takes back (src/protocol/requests.ts). */
const MAX_CURSOR = 2000;

/**
 * The cursor's text. One too long for `sync` to take back (thousands of transactions running
 * at the snapshot) is not given out: the reader is told to retry, when fewer are running.
 */
export function encodeSnapshotCursor(cursor: SnapshotCursor & { timeline: number }): string {
  const lo = cursor.lo === null ? "" : packSnapshot(cursor.lo);
  const hi = cursor.hi === null ? "" : packSnapshot(cursor.hi);
  const text = `${SNAPSHOT_CURSOR}${cursor.timeline.toString(36)}.${lo}.${hi}.${cursor.after.toString(36)}`;
  if (text.length > MAX_CURSOR) {
    throw new HaetaeError(
      "overloaded",
      "Too many transactions are running to name a sync cursor; retry shortly.",
      1000,
    );
  }
  return text;
}

/** A `c3.` or `c2.` cursor; `null` for any other text. */
export function decodeSnapshotCursor(text: string): SnapshotCursor | null {
  let timeline: number | "oldest";
  let parts: string[];
  if (text.startsWith(SNAPSHOT_CURSOR)) {
    parts = text.slice(SNAPSHOT_CURSOR.length).split(".");
    const named = fromBase36(parts.shift() ?? "");
    // Timelines start at 1 and are 32-bit.
    if (named === null || named < 1 || named > 0xffffffff) return null;
    timeline = named;
  } else if (text.startsWith(UNTIMED_CURSOR)) {
    parts = text.slice(UNTIMED_CURSOR.length).split(".");
    timeline = "oldest";
  } else return null;
  if (parts.length !== 3) return null;
  const [lo, hi, after] = parts as [string, string, string];
  const cursor: SnapshotCursor = {
    timeline,
    lo: lo === "" ? null : unpackSnapshot(lo),
    hi: hi === "" ? null : unpackSnapshot(hi),
    after: fromBase36(after) ?? -1,
  };
  if ((lo !== "" && cursor.lo === null) || (hi !== "" && cursor.hi === null) || cursor.after < 0) return null;
  // Paging inside a window needs its upper snapshot; only then does `after` mean anything.
  if (cursor.hi === null && cursor.after !== 0) return null;
  return cursor;
}

/**
 * One page of the window (events of transactions visible in `hi` but not in `lo`, id above
 * `after`), `hi` being this statement's own snapshot when the cursor has none. The snapshot
 * comes back with the rows: one statement, so it is the very snapshot the rows were read in.
 * `e.tx >= xmin(lo)` bounds the scan by the index: every transaction below `lo`'s xmin had
 * finished when `lo` was taken, so all of its events are behind the reader. The user's
 * conversations are read one by one (`LATERAL`, kept apart by `OFFSET 0` so the planner cannot
 * fold it into a join): a join let it plan one scan of every conversation's events above
 * `after` (all of them, for a window's first page), filtered by membership afterwards, whenever
 * its statistics of the young `events` table were behind; the cost grew with the table.
 */
const WINDOW = `WITH s AS (SELECT COALESCE(CAST(? AS pg_snapshot), pg_current_snapshot()) AS hi, CAST(? AS pg_snapshot) AS lo,
  ${CURRENT_TIMELINE} AS timeline)
SELECT CAST(s.hi AS text) AS hi, s.timeline, w.id, w.payload,
  CASE WHEN msg.id IS NULL THEN NULL ELSE CAST(row_to_json(msg) AS text) END AS message
FROM s LEFT JOIN LATERAL (
  SELECT f.id, f.payload, f.conversation_id, f.seq, f.type FROM (
    SELECT e.id, e.payload, e.tx, e.conversation_id, e.seq, e.type
    FROM (SELECT conversation_id, joined_event_id, left_event_id FROM membership_spans WHERE user_id = ?) m
    CROSS JOIN LATERAL (
      SELECT e.id, e.payload, e.tx, e.conversation_id, e.seq, e.type FROM events e
      WHERE e.conversation_id = m.conversation_id AND e.tx >= CAST(? AS xid8) AND e.id > ?
        AND e.id >= m.joined_event_id AND (m.left_event_id IS NULL OR e.id <= m.left_event_id)
      OFFSET 0
    ) e
    UNION ALL
    SELECT e.id, e.payload, e.tx, e.conversation_id, e.seq, e.type FROM events e
    WHERE e.conversation_id = ? AND e.tx >= CAST(? AS xid8) AND e.id > ?
  ) f
  WHERE (s.lo IS NULL OR NOT pg_visible_in_snapshot(f.tx, s.lo)) AND pg_visible_in_snapshot(f.tx, s.hi)
  ORDER BY f.id LIMIT ?
) w ON true
LEFT JOIN messages msg ON w.type = 'message.new' AND strpos(w.payload, '"message":') = 0
  AND msg.conversation_id = w.conversation_id AND msg.seq = w.seq
ORDER BY w.id`;

/**
 * A feed row's payload with its message in place: a `message.new` event written by a group
 * commit names its message (conversation, seq) and the window read the message's row with it,
 * in the same snapshot. The message is as stored now, as `history` shows it (an edit's text, a
 * deletion's tombstone), with no reactions: the events after it carry those, as they did when
 * the event held the message as sent.
 */
function withMessage(row: { id: number; payload: string; message: string | null }): { id: number; payload: string } {
  if (row.message === null) return row;
  const event = JSON.parse(row.payload) as Record<string, unknown>;
  event.message = toMessage(JSON.parse(row.message) as MessageRow, {});
  return { id: row.id, payload: JSON.stringify(event) };
}

/**
 * The cursor as it reads on timeline `current`: unchanged when it was taken there (or holds no
 * snapshot); one of an older timeline has its snapshots cut at the floor of the timelines after
 * it, and counts as taken on `current` from then on. See docs/decisions.md, "Several PostgreSQL
 * hosts…", for why that neither skips nor repeats an event.
 */
async function placed(
  db: SqlExecutor,
  epochs: StoreEpochs,
  cursor: SnapshotCursor,
  current: number,
): Promise<SnapshotCursor & { timeline: number }> {
  if (cursor.timeline === current || (cursor.lo === null && cursor.hi === null))
    return { ...cursor, timeline: current };
  const floor = await epochs.floorFor(db, cursor.timeline, current);
  if (floor === undefined) throw invalidCursor();
  if (floor === null) return { ...cursor, timeline: current };
  return {
    timeline: current,
    lo: cursor.lo === null ? null : clampSnapshot(cursor.lo, floor),
    hi: cursor.hi === null ? null : clampSnapshot(cursor.hi, floor),
    after: cursor.after,
  };
}

/**
 * The feed of `userId` after `cursor`, by snapshot cursors (an id cursor from before them is
 * read as the window above that id: ids were taken in commit order then). See docs/decisions.md,
 * "Writes side by side, a feed read by snapshots", for why no event is ever skipped or repeated.
 * A page read on another timeline than the cursor was placed for (a failover in between) is read
 * again, once.
 */
export async function feedBySnapshots(
  db: SqlExecutor,
  epochs: StoreEpochs,
  userId: string,
  text: string | undefined,
  limit: number,
): Promise<FeedPage> {
  let given: SnapshotCursor;
  if (text === undefined || text === "") given = { timeline: "oldest", lo: null, hi: null, after: 0 };
  else {
    const legacy = decodeIdCursor(text);
    const decoded = legacy === null ? decodeSnapshotCursor(text) : null;
    if (legacy === null && decoded === null) throw invalidCursor();
    given = decoded ?? { timeline: "oldest", lo: null, hi: null, after: legacy as number };
  }
  for (let attempt = 0; ; attempt++) {
    const current = await epochs.timeline(db);
    const cursor = await placed(db, epochs, given, current);
    const page = await windowPage(db, userId, cursor, limit);
    if (page.timeline === current) {
      // Nothing new since a cursor that is not inside a window: the same cursor, as on SQLite.
      if (page.unchanged && text && given.timeline === current) return { ...page.page, cursor: text };
      return page.page;
    }
    epochs.forget();
    if (attempt > 0) throw new StoreUnavailableError("the PostgreSQL timeline changed while the feed was read");
  }
}

/** One page of `cursor`'s window, with the timeline it was read on. */
async function windowPage(
  db: SqlExecutor,
  userId: string,
  cursor: SnapshotCursor & { timeline: number },
  limit: number,
): Promise<{ page: FeedPage; timeline: number; unchanged: boolean }> {
  const floor = cursor.lo === null ? "0" : (cursor.lo.split(":")[0] as string);
  const rows = await db.all<{
    hi: string;
    timeline: number;
    id: number | null;
    payload: string | null;
    message: string | null;
  }>(WINDOW, [cursor.hi, cursor.lo, userId, floor, cursor.after, userChannel(userId), floor, cursor.after, limit + 1]);
  const first = rows[0];
  if (first === undefined) throw new Error("the feed's window gave no snapshot");
  const { hi } = first;
  const timeline = Number(first.timeline);
  const found = rows.filter((r): r is typeof r & { id: number; payload: string } => r.id !== null).map(withMessage);
  const page = toFeedEvents(found, limit);
  const last = page.events.at(-1);
  if (page.hasMore && last) {
    return {
      page: { ...page, cursor: encodeSnapshotCursor({ timeline, lo: cursor.lo, hi, after: last.eventId }) },
      timeline,
      unchanged: false,
    };
  }
  // The window is read: everything visible in `hi` is behind the reader.
  const next = encodeSnapshotCursor({ timeline, lo: hi, hi: null, after: 0 });
  return { page: { ...page, cursor: next }, timeline, unchanged: page.events.length === 0 && cursor.hi === null };
}
