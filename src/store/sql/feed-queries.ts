/** @module SQL of the feed: appending events in a write, and reading a user's feed through their membership spans. */
import type { FeedEvent } from "../../protocol/index.js";
import type { NewFeedEvent } from "../store.js";
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

/**
 * The feed of `userId` after `afterEventId`: every event of every conversation while the user
 * was a member of it (a user removed and added again has two spans), and every event of the
 * user's own channel (their invitations), in id order.
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
  const hasMore = rows.length > limit;
  const events = rows
    .slice(0, limit)
    .map((row) => ({ ...(JSON.parse(row.payload) as NewFeedEvent), eventId: Number(row.id) }) as FeedEvent);
  return { events, hasMore };
}

export async function lastEventId(db: SqlExecutor): Promise<number> {
  const row = await db.get<{ id: number | null }>("SELECT max(id) AS id FROM events");
  return Number(row?.id ?? 0);
}
