/** @module Appending messages in groups: the sends of one group commit share their statements (one multi-row INSERT per table). */

import { HaetaeError } from "../../protocol/errors.js";
import type { FeedEvent, Message } from "../../protocol/index.js";
import type { AppendMessageInput, Written } from "../store.js";
import { byJoinOrder } from "./conversation-queries.js";
import type { BatchableWrite, Outcome } from "./group-commit.js";
import { appendMessage, messageByClientMsgId, newMessage, refuseAppend, refuseRetry } from "./message-queries.js";
import { placeholders, type SqlExecutor } from "./sql-driver.js";

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

/** `size` copies of `row`, comma-separated (or `separator`-separated). */
const repeated = (row: string, size: number, separator = ", ") =>
  Array.from({ length: size }, () => row).join(separator);

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values. */
function valuesList(rows: number, columns: number): string {
  return repeated(`(${repeated("?", columns)})`, rows);
}

/** Statement texts by shape and chunk size, made once each. */
const SHAPED_SQL = new Map<string, string>();

/**
 * One statement per fixed-size chunk of `rows` (each of `columns` values), its text made by
 * `make(chunk size)` once per `shape`; the rows the statements give back, in chunk order (none
 * for a `run`: an UPDATE, or an INSERT without RETURNING).
 */
async function inChunks<T>(
  db: SqlExecutor,
  shape: string,
  columns: number,
  rows: readonly (readonly unknown[])[],
  make: (size: number) => string,
  kind: "all" | "run" = "all",
): Promise<T[]> {
  const out: T[] = [];
  let at = 0;
  for (const size of chunkSizes(rows.length)) {
    const params: unknown[] = new Array(size * columns);
    for (let r = 0, k = 0; r < size; r++) {
      const row = rows[at + r] as readonly unknown[];
      for (let c = 0; c < columns; c++) params[k++] = row[c];
    }
    at += size;
    const key = `${shape}\u0000${size}`;
    let sql = SHAPED_SQL.get(key);
    if (sql === undefined) {
      sql = make(size);
      SHAPED_SQL.set(key, sql);
    }
    if (kind === "all") out.push(...(await db.all<T>(sql, params)));
    else await db.run(sql, params);
  }
  return out;
}

/** Run `INSERT … VALUES` over `rows` in fixed-size chunks; `RETURNING` rows come back chunk by chunk, in order. */
function insertRows<T>(
  db: SqlExecutor,
  head: string,
  columns: number,
  rows: readonly unknown[][],
  tail = "",
): Promise<T[]> {
  const make = (size: number) => `${head} VALUES ${valuesList(size, columns)}${tail}`;
  return inChunks<T>(db, head, columns, rows, make, tail.includes("RETURNING") ? "all" : "run");
}

/** Which of these (sender, clientMsgId) pairs are stored already, as `sender\0clientMsgId` keys. */
async function storedClientMsgIds(db: SqlExecutor, inputs: readonly AppendMessageInput[]): Promise<Set<string>> {
  const keys = new Map<string, [string, string]>();
  for (const input of inputs)
    keys.set(`${input.senderId}\u0000${input.clientMsgId}`, [input.senderId, input.clientMsgId]);
  const rows = await inChunks<{ sender_id: string; client_msg_id: string }>(
    db,
    "stored",
    2,
    [...keys.values()],
    (n) => {
      return `SELECT sender_id, client_msg_id FROM messages WHERE ${repeated("(sender_id = ? AND client_msg_id = ?)", n, " OR ")}`;
    },
  );
  return new Set(rows.map((r) => `${r.sender_id}\u0000${r.client_msg_id}`));
}

/**
 * The batch's conversations, each with its active members in join order and, for a direct one,
 * whether either member blocks the other: three statements per chunk of conversations, not
 * three per conversation (on PostgreSQL each statement is a round trip while the batch holds its locks).
 */
async function conversationStates(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, ConversationState | null>> {
  const states = new Map<string, ConversationState | null>(ids.map((id) => [id, null]));
  const list = ids.map((id) => [id]);
  const rows = await inChunks<{ id: string; kind: string; last_seq: number; last_activity_at: string }>(
    db,
    "conversations",
    1,
    list,
    (n) => `SELECT id, kind, last_seq, last_activity_at FROM conversations WHERE id IN (${placeholders(n)})`,
  );
  const memberRows = await inChunks<{ conversation_id: string; user_id: string; joined_event_id: number }>(
    db,
    "members",
    1,
    list,
    (n) =>
      `SELECT conversation_id, user_id, joined_event_id FROM members WHERE active = 1 AND conversation_id IN (${placeholders(n)})`,
  );
  const membersOf = new Map<string, typeof memberRows>();
  for (const row of memberRows) {
    const of = membersOf.get(row.conversation_id) ?? [];
    of.push(row);
    membersOf.set(row.conversation_id, of);
  }
  const pairs: [string, string, string, string][] = [];
  for (const row of rows) {
    const members = byJoinOrder(membersOf.get(row.id) ?? []).map((m) => m.user_id);
    // A direct conversation with both members is checked for a block below; with fewer, the
    // sender can only be the one member left, and no one else to block or be blocked.
    const direct = row.kind === "direct";
    if (direct && members.length === 2) {
      const [a, b] = members as [string, string];
      pairs.push([a, b, b, a]);
    }
    states.set(row.id, {
      members,
      lastSeq: Number(row.last_seq),
      lastActivityAt: row.last_activity_at,
      touched: false,
      ...(direct && members.length === 2 ? {} : { blocked: false }),
    });
  }
  const blocks = await inChunks<{ user_id: string; blocked_id: string }>(db, "blocks", 4, pairs, (n) => {
    return `SELECT user_id, blocked_id FROM blocks WHERE ${repeated("(user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?)", n, " OR ")}`;
  });
  const blocked = new Set(
    blocks.flatMap((b) => [`${b.user_id}\u0000${b.blocked_id}`, `${b.blocked_id}\u0000${b.user_id}`]),
  );
  for (const state of states.values()) {
    if (state && state.blocked === undefined) {
      state.blocked = blocked.has(`${state.members[0]}\u0000${state.members[1]}`);
    }
  }
  return states;
}

/** One conversation as the group sees it: read once, then advanced in memory under the batch's lock on its row. */
interface ConversationState {
  members: string[];
  lastSeq: number;
  lastActivityAt: string;
  touched: boolean;
  /** For a direct conversation: whether either member blocks the other. */
  blocked?: boolean;
}

/**
 * The sends of one batch, together. The checks are the same as `appendMessage` (clientMsgId
 * seen before: the original, unless `refuseRetry` refuses it; then `refuseAppend`'s), and the same
 * rows are written, but each conversation is read once (members, `last_seq`) and its seqs are
 * handed out in memory (G3: the batch holds the conversation's row lock, and the database's
 * `last_seq` is the authority it starts from); the messages, mentions and feed
 * events go in with one multi-row INSERT per table, the conversation row and the sender's read
 * cursor are updated once per conversation and sender. A refused send writes nothing.
 */
async function appendMessages(db: SqlExecutor, inputs: readonly AppendMessageInput[]): Promise<Outcome<Appended>[]> {
  const outcomes: Outcome<Appended>[] = [];
  const stored = await storedClientMsgIds(db, inputs);
  const conversations = await conversationStates(db, [...new Set(inputs.map((i) => i.conversationId))]);
  const byClientMsgId = new Map<string, Message>();
  const readCursors = new Map<string, { conversationId: string; userId: string; seq: number }>();
  const messageRows: unknown[][] = [];
  const mentionRows: unknown[][] = [];
  const eventRows: unknown[][] = [];
  const pending: { outcome: number; event: Omit<FeedEvent, "eventId">; message: Message }[] = [];

  for (const input of inputs) {
    const key = `${input.senderId}\u0000${input.clientMsgId}`;
    const existing =
      byClientMsgId.get(key) ??
      (stored.has(key) ? await messageByClientMsgId(db, input.senderId, input.clientMsgId) : null);
    const state = conversations.get(input.conversationId) ?? null;
    if (existing) {
      const refused = refuseRetry(input, existing, state);
      outcomes.push(
        refused
          ? { ok: false, error: refused }
          : { ok: true, value: { value: existing, event: null, audience: [], duplicate: true } },
      );
      continue;
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
      input.forwarded ? 1 : 0,
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

  // One statement per chunk for the conversation rows and one for the senders' read cursors.
  const advanced: unknown[][] = [];
  for (const [id, state] of conversations) if (state?.touched) advanced.push([id, state.lastSeq, state.lastActivityAt]);
  await inChunks(
    db,
    "advance",
    3,
    advanced,
    (n) => {
      return `WITH v(id, last_seq, at) AS (VALUES ${repeated("(?, CAST(? AS INTEGER), ?)", n)})
      UPDATE conversations SET last_seq = v.last_seq, last_activity_at = v.at FROM v WHERE conversations.id = v.id`;
    },
    "run",
  );
  await insertRows(
    db,
    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, reply_to_seq, mentions, mentions_all, forwarded)",
    11,
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
  const cursors = [...readCursors.values()].map((c) => [c.conversationId, c.userId, c.seq]);
  await inChunks(
    db,
    "cursors",
    3,
    cursors,
    (n) => {
      return `WITH v(conversation_id, user_id, seq) AS (VALUES ${repeated("(?, ?, CAST(? AS INTEGER))", n)})
      UPDATE members SET read_seq = v.seq FROM v
      WHERE members.conversation_id = v.conversation_id AND members.user_id = v.user_id AND members.read_seq < v.seq`;
    },
    "run",
  );
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
  locksOf: (input) => [input.conversationId],
  runOne: appendMessage,
  runMany: appendMessages,
};
