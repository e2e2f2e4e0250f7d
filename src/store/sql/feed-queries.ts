/** @module SQL of the feed: appending events in a write, and reading a user's feed through their membership spans. */
import type { FeedEvent } from "../../protocol/index.js";
import type { NewFeedEvent } from "../store.js";
import type { SqlExecutor } from "./sql-driver.js";

/** Append one feed event inside a write; its id comes from the database, in commit order. */
export async function appendEvent<E extends NewFeedEvent>(
  db: SqlExecutor,
  event: E,
  at: string,
): Promise<E & { eventId: number }> {
  // `seq` is kept beside the payload so that deleting a message can find the events that carried it.
  const seq = "seq" in event ? event.seq : null;
  const row = await db.get<{ id: number }>(
    "INSERT INTO events (conversation_id, type, payload, created_at, seq) VALUES (?, ?, ?, ?, ?) RETURNING id",
    [event.conversationId, event.type, JSON.stringify(event), at, seq],
  );
  if (!row) throw new Error("INSERT … RETURNING gave no row");
  return { ...event, eventId: Number(row.id) };
}

/**
 * The feed of `userId` after `afterEventId`: every event of every conversation while the user
 * was a member of it (a user removed and added again has two spans), in id order.
 */
export async function feedOf(
  db: SqlExecutor,
  userId: string,
  afterEventId: number,
  limit: number,
): Promise<{ events: FeedEvent[]; hasMore: boolean }> {
  const rows = await db.all<{ id: number; payload: string }>(
    `SELECT e.id, e.payload FROM membership_spans m
     JOIN events e ON e.conversation_id = m.conversation_id
     WHERE m.user_id = ? AND e.id > ? AND e.id >= m.joined_event_id
       AND (m.left_event_id IS NULL OR e.id <= m.left_event_id)
     ORDER BY e.id LIMIT ?`,
    [userId, afterEventId, limit + 1],
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
