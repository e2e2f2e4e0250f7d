/** @module Appending messages in groups: the sends of one group commit share their statements (one multi-row INSERT per table). */
import type { FeedEvent, Message } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import type { AppendMessageInput, Written } from "../store.js";
import { memberIds } from "./conversation-queries.js";
import type { BatchableWrite, Outcome } from "./group-commit.js";
import { appendMessage, messageByClientMsgId, newMessage, refuseAppend } from "./message-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

/** What an append gives back: the message, its feed event and its live audience. */
export type Appended = Written<Message> & { duplicate: boolean };

/** Rows per multi-row statement: a few fixed shapes, so every dialect caches a handful of statements. */
const CHUNKS = [128, 32, 8, 1] as const;

/** Split `n` rows into the fixed chunk sizes, largest first. */
function chunkSizes(n: number): number[] {
  const sizes: number[] = [];
  let left = n;
  for (const size of CHUNKS) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values. */
function valuesList(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  return Array.from({ length: rows }, () => row).join(", ");
}

/** Statement texts by head and chunk size, made once: a head here always has the same columns and tail. */
const INSERT_SQL = new Map<string, Map<number, string>>();
function insertSql(head: string, columns: number, rows: number, tail: string): string {
  let bySize = INSERT_SQL.get(head);
  if (!bySize) {
    bySize = new Map();
    INSERT_SQL.set(head, bySize);
  }
  let sql = bySize.get(rows);
  if (sql === undefined) {
    sql = `${head} VALUES ${valuesList(rows, columns)}${tail}`;
    bySize.set(rows, sql);
  }
  return sql;
}

/** Run `INSERT … VALUES` over `rows` in fixed-size chunks; `returning` rows come back chunk by chunk, in order. */
async function insertRows<T>(
  db: SqlExecutor,
  head: string,
  columns: number,
  rows: readonly unknown[][],
  tail = "",
): Promise<T[]> {
  const out: T[] = [];
  let at = 0;
  for (const size of chunkSizes(rows.length)) {
    const params: unknown[] = new Array(size * columns);
    for (let r = 0, k = 0; r < size; r++) {
      const row = rows[at + r] as unknown[];
      for (let c = 0; c < columns; c++) params[k++] = row[c];
    }
    at += size;
    const sql = insertSql(head, columns, size, tail);
    if (tail.includes("RETURNING")) out.push(...(await db.all<T>(sql, params)));
    else await db.run(sql, params);
  }
  return out;
}

/** One conversation as the group sees it: read once, then advanced in memory under the batch's write lock. */
interface ConversationState {
  members: string[];
  lastSeq: number;
  lastActivityAt: string;
  touched: boolean;
  /** For a direct conversation: whether either member blocks the other (read when first needed). */
  blocked?: boolean;
}

/**
 * The sends of one batch, together. The checks are the same as `appendMessage` (clientMsgId
 * seen before: the original, or `client_msg_id_conflict`; then `refuseAppend`'s), and the same
 * rows are written, but each conversation is read once (members,
 * `last_seq`) and its seqs are handed out in memory (G3: the batch holds the write lock, and
 * the database's `last_seq` is the authority it starts from); the messages, mentions and feed
 * events go in with one multi-row INSERT per table, the conversation row and the sender's read
 * cursor are updated once per conversation and sender. A refused send writes nothing.
 */
async function appendMessages(db: SqlExecutor, inputs: readonly AppendMessageInput[]): Promise<Outcome<Appended>[]> {
  const outcomes: Outcome<Appended>[] = [];
  const conversations = new Map<string, ConversationState | null>();
  const byClientMsgId = new Map<string, Message>();
  const readCursors = new Map<string, { conversationId: string; userId: string; seq: number }>();
  const messageRows: unknown[][] = [];
  const mentionRows: unknown[][] = [];
  const eventRows: unknown[][] = [];
  const pending: { outcome: number; event: Omit<FeedEvent, "eventId">; message: Message }[] = [];

  for (const input of inputs) {
    const key = `${input.senderId}\u0000${input.clientMsgId}`;
    const existing = byClientMsgId.get(key) ?? (await messageByClientMsgId(db, input.senderId, input.clientMsgId));
    if (existing) {
      outcomes.push(
        existing.conversationId !== input.conversationId
          ? { ok: false, error: new HaetaeError("client_msg_id_conflict") }
          : { ok: true, value: { value: existing, event: null, audience: [], duplicate: true } },
      );
      continue;
    }
    let state = conversations.get(input.conversationId);
    if (state === undefined) {
      const row = await db.get<{ kind: string; last_seq: number; last_activity_at: string }>(
        "SELECT kind, last_seq, last_activity_at FROM conversations WHERE id = ?",
        [input.conversationId],
      );
      state = row
        ? {
            members: await memberIds(db, input.conversationId),
            lastSeq: Number(row.last_seq),
            lastActivityAt: row.last_activity_at,
            touched: false,
            ...(row.kind === "direct" ? {} : { blocked: false }),
          }
        : null;
      conversations.set(input.conversationId, state);
    }
    const refusal = await refuseAppend(db, input, state);
    if (refusal || !state) {
      outcomes.push({ ok: false, error: refusal ?? new HaetaeError("conversation_not_found") });
      continue;
    }
    state.lastSeq += 1;
    state.lastActivityAt = input.createdAt;
    state.touched = true;
    const seq = state.lastSeq;
    const message = newMessage(input, seq);
    byClientMsgId.set(key, message);
    messageRows.push([
      input.conversationId,
      seq,
      input.id,
      input.senderId,
      input.clientMsgId,
      input.text,
      input.createdAt,
      input.replyToSeq ?? null,
      JSON.stringify(input.mentions),
      input.mentionsAll ? 1 : 0,
    ]);
    for (const userId of new Set(input.mentions)) mentionRows.push([input.conversationId, userId, seq]);
    readCursors.set(`${input.conversationId}\u0000${input.senderId}`, {
      conversationId: input.conversationId,
      userId: input.senderId,
      seq,
    });
    const event = { type: "message.new" as const, conversationId: input.conversationId, seq, message };
    eventRows.push([input.conversationId, event.type, JSON.stringify(event), input.createdAt, seq]);
    pending.push({ outcome: outcomes.length, event, message });
    // A placeholder, filled in once the feed event has its id.
    outcomes.push({ ok: false, error: new Error("unfinished") });
  }
  if (pending.length === 0) return outcomes;

  for (const [id, state] of conversations) {
    if (!state?.touched) continue;
    await db.run("UPDATE conversations SET last_seq = ?, last_activity_at = ? WHERE id = ?", [
      state.lastSeq,
      state.lastActivityAt,
      id,
    ]);
  }
  await insertRows(
    db,
    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, reply_to_seq, mentions, mentions_all)",
    10,
    messageRows,
  );
  if (mentionRows.length > 0) {
    await insertRows(
      db,
      "INSERT INTO message_mentions (conversation_id, user_id, seq)",
      3,
      mentionRows,
      " ON CONFLICT DO NOTHING",
    );
  }
  for (const cursor of readCursors.values()) {
    await db.run("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?", [
      cursor.seq,
      cursor.conversationId,
      cursor.userId,
      cursor.seq,
    ]);
  }
  const ids = await insertRows<{ id: number; conversation_id: string; seq: number }>(
    db,
    "INSERT INTO events (conversation_id, type, payload, created_at, seq)",
    5,
    eventRows,
    " RETURNING id, conversation_id, seq",
  );
  // Ids are given in row order by both dialects; RETURNING's own order is not promised, so rows
  // are matched by (conversation, seq), and ids must rise in row order — a feed read in id order
  // shows a conversation's messages in seq order (G3, G4). If not, the group is undone and each
  // send runs alone.
  const idOf = new Map(ids.map((r) => [`${r.conversation_id}\u0000${Number(r.seq)}`, Number(r.id)]));
  let previous = Number.NEGATIVE_INFINITY;
  for (const item of pending) {
    const eventId = idOf.get(`${item.event.conversationId}\u0000${item.message.seq}`);
    if (eventId === undefined || eventId <= previous) throw new Error("feed event ids out of row order");
    previous = eventId;
    const state = conversations.get(item.message.conversationId) as ConversationState;
    outcomes[item.outcome] = {
      ok: true,
      value: {
        value: item.message,
        event: { ...item.event, eventId } as FeedEvent,
        // One array per conversation, shared by its sends: it crosses the writer thread's
        // boundary once, not once per message.
        audience: state.members,
        duplicate: false,
      },
    };
  }
  return outcomes;
}

/** The message append as a batchable write: alone, the one-statement-per-step path; in a group, `appendMessages`. */
export const APPEND_MESSAGE: BatchableWrite<AppendMessageInput, Appended> = {
  name: "appendMessages",
  runOne: appendMessage,
  runMany: appendMessages,
};
