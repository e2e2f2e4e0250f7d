/** @module SQL of the feed: appending events in a write, and reading a user's feed through their membership spans. */
import { HaetaeError } from "../../protocol/errors.js";
import type { FeedEvent } from "../../protocol/index.js";
import type { FeedPage, NewFeedEvent } from "../store.js";
import type { SqlExecutor } from "./sql-driver.js";

/**
 * The feed channel of one user's own events (invitations). Its events sit in the events table
 * under this key instead of a conversation id, so no membership span ever reaches them: only
 * the invitee reads them (`feedOf`). Conversation ids are UUIDs, so the prefix cannot collide.
 */
export function userChannel(userId: string): string {
  return `user:${userId}`;
}

/**
 * Append one feed event inside a write; its id comes from the database, in commit order. It is
 * filed under its conversation, whose members read it, or under `channel` (one user's own
 * channel, `userChannel`), which only that user reads.
 */
export async function appendEvent<E extends NewFeedEvent>(
  db: SqlExecutor,
  event: E,
  at: string,
  options: { channel?: string } = {},
): Promise<E & { eventId: number }> {
  // `seq` is kept beside the payload so that deleting a message can find the events that carried it.
  const seq = "seq" in event ? event.seq : null;
  const row = await db.get<{ id: number }>(
    "INSERT INTO events (conversation_id, type, payload, created_at, seq) VALUES (?, ?, ?, ?, ?) RETURNING id",
    [options.channel ?? event.conversationId, event.type, JSON.stringify(event), at, seq],
  );
  if (!row) throw new Error("INSERT … RETURNING gave no row");
  return { ...event, eventId: Number(row.id) };
}

/** The prefix of a cursor that is the last event id a reader has (SQLite's, and PostgreSQL's before its snapshot cursors). */
const ID_CURSOR = "c1.";

/** The cursor after event `eventId`. */
export function encodeIdCursor(eventId: number): string {
  return `${ID_CURSOR}${eventId.toString(36)}`;
}

/** The event id in an id cursor; `null` for a cursor that is not one (another kind, or none this server made). */
export function decodeIdCursor(cursor: string): number | null {
  if (!cursor.startsWith(ID_CURSOR)) return null;
  const body = cursor.slice(ID_CURSOR.length);
  const value = Number.parseInt(body, 36);
  if (!/^[0-9a-z]{1,12}$/.test(body) || !Number.isSafeInteger(value) || value < 0) return null;
  return value;
}

/** A cursor this server did not issue. */
export function invalidCursor(): HaetaeError {
  return new HaetaeError("invalid_cursor");
}

/** The feed's rows from the SQL of either dialect, as events: at most `limit`, and whether there are more. */
export function toFeedEvents(rows: readonly { id: number; payload: string }[], limit: number) {
  return {
    events: rows
      .slice(0, limit)
      .map((row) => ({ ...(JSON.parse(row.payload) as NewFeedEvent), eventId: Number(row.id) }) as FeedEvent),
    hasMore: rows.length > limit,
  };
}

/**
 * The feed of `userId` after `afterEventId`: every event of every conversation while the user
 * was a member of it (a user removed and added again has two spans), and every event of the
 * user's own channel (their invitations), in id order. Exact where ids are taken in commit order
 * (SQLite: one writer): an event with a smaller id than one already read has been read too.
 */
export async function feedOf(
  db: SqlExecutor,
  userId: string,
  afterEventId: number,
  limit: number,
): Promise<{ events: FeedEvent[]; hasMore: boolean }> {
  const rows = await db.all<{ id: number; payload: string }>(
    `SELECT f.id, f.payload FROM (
       SELECT e.id, e.payload FROM membership_spans m
       JOIN events e ON e.conversation_id = m.conversation_id
       WHERE m.user_id = ? AND e.id > ? AND e.id >= m.joined_event_id
         AND (m.left_event_id IS NULL OR e.id <= m.left_event_id)
       UNION ALL
       SELECT e.id, e.payload FROM events e WHERE e.conversation_id = ? AND e.id > ?
     ) f ORDER BY f.id LIMIT ?`,
    [userId, afterEventId, userChannel(userId), afterEventId, limit + 1],
  );
  return toFeedEvents(rows, limit);
}

/** The feed by id cursors (`c1.<last event id>`), from the beginning without one. */
export async function feedByIds(
  db: SqlExecutor,
  userId: string,
  cursor: string | undefined,
  limit: number,
): Promise<FeedPage> {
  const after = cursor === undefined || cursor === "" ? 0 : decodeIdCursor(cursor);
  if (after === null) throw invalidCursor();
  const page = await feedOf(db, userId, after, limit);
  const last = page.events.at(-1);
  return { ...page, cursor: encodeIdCursor(last ? last.eventId : after) };
}

export async function lastEventId(db: SqlExecutor): Promise<number> {
  const row = await db.get<{ id: number | null }>("SELECT max(id) AS id FROM events");
  return Number(row?.id ?? 0);
}
