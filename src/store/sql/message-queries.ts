/** @module SQL of messages, reactions and read cursors. */

import { HaetaeError } from "../../protocol/errors.js";
import type { Message } from "../../protocol/index.js";
import type { AppendMessageInput, HistoryPage, Written } from "../store.js";
import { blockedEitherWay } from "./account-queries.js";
import { memberIds, membersForWrite } from "./conversation-queries.js";
import { appendEvent } from "./feed-queries.js";
import { attachFiles, detachFiles } from "./file-queries.js";
import { unpinDeleted } from "./pin-queries.js";
import { dropPreview } from "./preview-queries.js";
import { type MessageRow, toMessage } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

async function reactionCounts(db: SqlExecutor, conversationId: string, seq: number): Promise<Record<string, number>> {
  const rows = await db.all<{ emoji: string; n: number }>(
    `SELECT emoji, CAST(count(*) AS INTEGER) AS n FROM reactions WHERE conversation_id = ? AND seq = ?
     GROUP BY emoji ORDER BY min(created_at), emoji`,
    [conversationId, seq],
  );
  return Object.fromEntries(rows.map((r) => [r.emoji, Number(r.n)]));
}

async function toFullMessage(db: SqlExecutor, row: MessageRow): Promise<Message> {
  return toMessage(row, await reactionCounts(db, row.conversation_id, Number(row.seq)));
}

export async function messageAt(db: SqlExecutor, conversationId: string, seq: number): Promise<Message | null> {
  const row = await db.get<MessageRow>("SELECT * FROM messages WHERE conversation_id = ? AND seq = ?", [
    conversationId,
    seq,
  ]);
  return row ? toFullMessage(db, row) : null;
}

async function messageOrThrow(db: SqlExecutor, conversationId: string, seq: number): Promise<Message> {
  const message = await messageAt(db, conversationId, seq);
  if (!message) throw new Error(`message ${conversationId}#${seq} vanished inside a transaction`);
  return message;
}

export async function messageByClientMsgId(
  db: SqlExecutor,
  senderId: string,
  clientMsgId: string,
): Promise<Message | null> {
  const row = await db.get<MessageRow>("SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?", [
    senderId,
    clientMsgId,
  ]);
  return row ? toFullMessage(db, row) : null;
}

async function insertMentions(db: SqlExecutor, conversationId: string, seq: number, mentions: readonly string[]) {
  for (const userId of mentions) {
    await db.run(
      "INSERT INTO message_mentions (conversation_id, user_id, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      [conversationId, userId, seq],
    );
  }
}

/** The message a new append stores under `seq`, as read back it would be: no reactions yet. */
export function newMessage(input: AppendMessageInput, seq: number): Message {
  return {
    id: input.id,
    conversationId: input.conversationId,
    seq,
    senderId: input.senderId,
    clientMsgId: input.clientMsgId,
    text: input.text,
    createdAt: input.createdAt,
    ...(input.replyToSeq !== undefined ? { replyToSeq: input.replyToSeq } : {}),
    mentions: input.mentions,
    mentionsAll: input.mentionsAll,
    reactions: {},
    ...(input.forwarded ? { forwarded: true as const } : {}),
    ...(input.files && input.files.length > 0 ? { files: input.files } : {}),
  };
}

/** A conversation as a new append sees it under the write's locks (`blocked` left out until read). */
export interface AppendTarget {
  members: readonly string[];
  lastSeq: number;
  blocked?: boolean;
}

/**
 * Why a retry of a stored send (same sender, same clientMsgId) may not be answered with the
 * stored message: the clientMsgId belongs to another conversation, or the sender is no longer
 * an active member. G2 answers a member's retry with the original; a removed member would
 * otherwise read the message as it is now (an edit or a reaction made after the removal), so
 * G7 wins and the retry gets `forbidden`, as a new send would. `null` when it may.
 */
export function refuseRetry(
  input: AppendMessageInput,
  stored: Message,
  target: AppendTarget | null,
): HaetaeError | null {
  if (stored.conversationId !== input.conversationId) return new HaetaeError("client_msg_id_conflict");
  if (!target) return new HaetaeError("conversation_not_found");
  if (!target.members.includes(input.senderId)) {
    return new HaetaeError("forbidden", "You are not a member of this conversation.");
  }
  return null;
}

/**
 * Why a new message may not be appended, checked inside the write so that no membership change,
 * block or concurrent send can slip between the check and the append: the conversation must
 * exist, the sender must be an active member (G7), neither member of a direct conversation may
 * block the other, and a reply must point at a seq the conversation has (messages are never
 * removed: a deleted one keeps its seq). `null` when it may. The block is read once per target.
 */
export async function refuseAppend(
  db: SqlExecutor,
  input: AppendMessageInput,
  target: AppendTarget | null,
): Promise<HaetaeError | null> {
  if (!target) return new HaetaeError("conversation_not_found");
  if (!target.members.includes(input.senderId)) {
    return new HaetaeError("forbidden", "You are not a member of this conversation.");
  }
  if (target.blocked === undefined) {
    const other = target.members.find((id) => id !== input.senderId);
    target.blocked = other !== undefined && (await blockedEitherWay(db, input.senderId, other));
  }
  if (target.blocked) return new HaetaeError("blocked");
  if (input.replyToSeq !== undefined && (input.replyToSeq < 1 || input.replyToSeq > target.lastSeq)) {
    return new HaetaeError("message_not_found", `replyToSeq: there is no message ${input.replyToSeq}.`);
  }
  return null;
}

/**
 * Append with the next seq (the conversation row's `last_seq + 1`, taken under the write's
 * lock) and move the sender's read cursor to it; a second send of the same clientMsgId
 * returns the first and writes nothing (G2) unless `refuseRetry` refuses it; otherwise
 * `refuseAppend` decides.
 */
export async function appendMessage(
  db: SqlExecutor,
  input: AppendMessageInput,
): Promise<Written<Message> & { duplicate: boolean }> {
  const existing = await messageByClientMsgId(db, input.senderId, input.clientMsgId);
  // Checked again here: the same clientMsgId raced into two conversations must not pass as a duplicate.
  if (existing && existing.conversationId !== input.conversationId) throw new HaetaeError("client_msg_id_conflict");
  const row = await db.get<{ kind: string; last_seq: number }>(
    "SELECT kind, last_seq FROM conversations WHERE id = ?",
    [input.conversationId],
  );
  const audience = row ? await memberIds(db, input.conversationId) : [];
  const target = row
    ? { members: audience, lastSeq: Number(row.last_seq), ...(row.kind === "direct" ? {} : { blocked: false }) }
    : null;
  if (existing) {
    const refused = refuseRetry(input, existing, target);
    if (refused) throw refused;
    return { value: existing, event: null, audience: [], duplicate: true };
  }
  const refusal = await refuseAppend(db, input, target);
  if (refusal) throw refusal;
  const next = await db.get<{ last_seq: number }>(
    "UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq",
    [input.createdAt, input.conversationId],
  );
  if (!next) throw new Error(`conversation ${input.conversationId} vanished inside a transaction`);
  const seq = Number(next.last_seq);
  const files = input.files && input.files.length > 0 ? input.files : null;
  await db.run(
    `INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, reply_to_seq, mentions, mentions_all, files, forwarded)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
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
      files ? JSON.stringify(files) : null,
      input.forwarded ? 1 : 0,
    ],
  );
  if (files) await attachFiles(db, input.conversationId, seq, files, input.createdAt);
  await insertMentions(db, input.conversationId, seq, input.mentions);
  await db.run("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?", [
    seq,
    input.conversationId,
    input.senderId,
    seq,
  ]);
  // Built here rather than read back: on PostgreSQL every statement is a round trip inside the
  // batch's transaction, which holds its conversations' locks.
  const message = newMessage(input, seq);
  const event = await appendEvent(
    db,
    { type: "message.new", conversationId: input.conversationId, seq, message },
    input.createdAt,
  );
  return { value: message, event, audience, duplicate: false };
}

export async function editMessage(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  text: string,
  mentions: string[],
  mentionsAll: boolean,
  at: string,
  actorId: string,
  dropLinkPreview = false,
): Promise<Written<Message>> {
  const audience = await membersForWrite(db, conversationId, actorId);
  const { changes } = await db.run(
    "UPDATE messages SET text = ?, mentions = ?, mentions_all = ?, edited_at = ? WHERE conversation_id = ? AND seq = ? AND deleted_at IS NULL",
    [text, JSON.stringify(mentions), mentionsAll ? 1 : 0, at, conversationId, seq],
  );
  // A delete that committed first wins: the edit must not put text back into a tombstone.
  if (changes === 0) throw new HaetaeError("message_deleted");
  if (dropLinkPreview) await dropPreview(db, conversationId, seq);
  await db.run("DELETE FROM message_mentions WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  await insertMentions(db, conversationId, seq, mentions);
  const message = await messageOrThrow(db, conversationId, seq);
  const event = await appendEvent(db, { type: "message.edited", conversationId, seq, message }, at);
  return { value: message, event, audience };
}

export async function deleteMessage(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  at: string,
  actorId: string,
): Promise<Written<Message>> {
  const audience = await membersForWrite(db, conversationId, actorId);
  // The text is erased, not hidden: "delete for everyone" must not leave it in the store; its
  // files leave everyone's reach in the same write.
  await db.run(
    "UPDATE messages SET text = '', mentions = '[]', mentions_all = 0, files = NULL, deleted_at = ? WHERE conversation_id = ? AND seq = ?",
    [at, conversationId, seq],
  );
  await detachFiles(db, conversationId, seq, at);
  await dropPreview(db, conversationId, seq);
  await unpinDeleted(db, conversationId, seq);
  await db.run("DELETE FROM message_mentions WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  await db.run("DELETE FROM reactions WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  const message = await messageOrThrow(db, conversationId, seq);
  await scrubEarlierEvents(db, conversationId, seq, message);
  const event = await appendEvent(db, { type: "message.deleted", conversationId, seq, message }, at);
  return { value: message, event, audience };
}

/**
 * "Delete for everyone" must not leave the text in the store: the feed events that carried the
 * message (new, edited, reactions) get the tombstone instead, so a later `sync` never replays it.
 */
async function scrubEarlierEvents(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  tombstone: Message,
): Promise<void> {
  const rows = await db.all<{ id: number; payload: string }>(
    "SELECT id, payload FROM events WHERE conversation_id = ? AND seq = ?",
    [conversationId, seq],
  );
  for (const row of rows) {
    const payload = JSON.parse(row.payload) as { message?: Message };
    if (!payload.message) continue;
    payload.message = tombstone;
    await db.run("UPDATE events SET payload = ? WHERE id = ?", [JSON.stringify(payload), row.id]);
  }
}

export async function setReaction(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  userId: string,
  emoji: string,
  add: boolean,
  at: string,
): Promise<Written<Message>> {
  const audience = await membersForWrite(db, conversationId, userId);
  const deleted = await db.get<{ deleted_at: string | null }>(
    "SELECT deleted_at FROM messages WHERE conversation_id = ? AND seq = ?",
    [conversationId, seq],
  );
  if (!deleted) throw new HaetaeError("message_not_found");
  if (deleted.deleted_at !== null) throw new HaetaeError("message_deleted");
  const result = add
    ? await db.run(
        "INSERT INTO reactions (conversation_id, seq, user_id, emoji, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [conversationId, seq, userId, emoji, at],
      )
    : await db.run("DELETE FROM reactions WHERE conversation_id = ? AND seq = ? AND user_id = ? AND emoji = ?", [
        conversationId,
        seq,
        userId,
        emoji,
      ]);
  const message = await messageOrThrow(db, conversationId, seq);
  if (result.changes === 0) return { value: message, event: null, audience };
  const event = await appendEvent(
    db,
    { type: "message.reaction", conversationId, seq, userId, emoji, added: add, message },
    at,
  );
  return { value: message, event, audience };
}

/** Reaction counts of the messages with seqs from `first` to `last`, by seq. */
async function reactionsBetween(
  db: SqlExecutor,
  conversationId: string,
  first: number,
  last: number,
): Promise<Map<number, Record<string, number>>> {
  const counts = new Map<number, Record<string, number>>();
  const reactionRows = await db.all<{ seq: number; emoji: string; n: number }>(
    `SELECT seq, emoji, CAST(count(*) AS INTEGER) AS n FROM reactions WHERE conversation_id = ? AND seq BETWEEN ? AND ?
     GROUP BY seq, emoji ORDER BY seq, min(created_at), emoji`,
    [conversationId, first, last],
  );
  for (const r of reactionRows) {
    const entry = counts.get(Number(r.seq)) ?? {};
    entry[r.emoji] = Number(r.n);
    counts.set(Number(r.seq), entry);
  }
  return counts;
}

/** Rows (ascending) as messages, with their reactions read in one statement. */
export async function withReactions(db: SqlExecutor, conversationId: string, rows: MessageRow[]): Promise<Message[]> {
  const first = rows[0];
  const last = rows.at(-1);
  const counts =
    first && last ? await reactionsBetween(db, conversationId, Number(first.seq), Number(last.seq)) : new Map();
  return rows.map((row) => toMessage(row, counts.get(Number(row.seq)) ?? {}));
}

/**
 * The window around `aroundSeq`, ascending: it and the newer messages after it (half the limit,
 * rounded up), and the older ones before it (the rest). Past the last seq, an empty page.
 */
async function windowAround(
  db: SqlExecutor,
  conversationId: string,
  aroundSeq: number,
  limit: number,
): Promise<{ messages: Message[]; hasMore: boolean; hasMoreBefore: boolean; hasMoreAfter: boolean }> {
  const afterCount = Math.ceil(limit / 2);
  const beforeCount = limit - afterCount;
  let after = await db.all<MessageRow>(
    "SELECT * FROM messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
    [conversationId, aroundSeq, afterCount + 1],
  );
  if (after.length === 0) {
    const older = await db.get<{ seq: number }>(
      "SELECT seq FROM messages WHERE conversation_id = ? AND seq < ? LIMIT 1",
      [conversationId, aroundSeq],
    );
    return { messages: [], hasMore: older !== undefined, hasMoreBefore: older !== undefined, hasMoreAfter: false };
  }
  let before =
    beforeCount > 0
      ? await db.all<MessageRow>(
          "SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
          [conversationId, aroundSeq, beforeCount + 1],
        )
      : await db.all<MessageRow>(
          "SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
          [conversationId, aroundSeq],
        );
  const hasMoreAfter = after.length > afterCount;
  const hasMoreBefore = before.length > beforeCount;
  after = after.slice(0, afterCount);
  before = before.slice(0, beforeCount).reverse();
  const messages = await withReactions(db, conversationId, [...before, ...after]);
  return { messages, hasMore: hasMoreBefore || hasMoreAfter, hasMoreBefore, hasMoreAfter };
}

/** Messages in seq order: after `afterSeq`, the newest `limit` before `beforeSeq`, or the window around `aroundSeq`. */
export async function historyOf(
  db: SqlExecutor,
  conversationId: string,
  page: HistoryPage,
): Promise<{ messages: Message[]; hasMore: boolean; hasMoreBefore?: boolean; hasMoreAfter?: boolean }> {
  if (page.aroundSeq !== undefined) return windowAround(db, conversationId, page.aroundSeq, page.limit);
  let rows =
    page.afterSeq !== undefined
      ? await db.all<MessageRow>("SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?", [
          conversationId,
          page.afterSeq,
          page.limit + 1,
        ])
      : page.beforeSeq !== undefined
        ? await db.all<MessageRow>(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            [conversationId, page.beforeSeq, page.limit + 1],
          )
        : // No artificial upper bound: PostgreSQL's INTEGER column refuses 2^53 as a parameter.
          await db.all<MessageRow>("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?", [
            conversationId,
            page.limit + 1,
          ]);
  const hasMore = rows.length > page.limit;
  rows = rows.slice(0, page.limit);
  if (page.afterSeq === undefined) rows.reverse();
  return { messages: await withReactions(db, conversationId, rows), hasMore };
}

/** Move a read cursor forward only, never past the last seq; an event only when it moved. */
export async function markRead(
  db: SqlExecutor,
  conversationId: string,
  userId: string,
  seq: number,
  at: string,
): Promise<Written<number>> {
  const row = await db.get<{ read_seq: number; last_seq: number }>(
    `SELECT m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.conversation_id = ? AND m.user_id = ? AND m.active = 1`,
    [conversationId, userId],
  );
  if (!row) throw new HaetaeError("forbidden", "You are not a member of this conversation.");
  const current = Number(row.read_seq);
  const target = Math.min(seq, Number(row.last_seq));
  if (target <= current) return { value: current, event: null, audience: [] };
  await db.run("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ?", [
    target,
    conversationId,
    userId,
  ]);
  const event = await appendEvent(db, { type: "receipt", conversationId, userId, readSeq: target }, at);
  return { value: target, event, audience: await memberIds(db, conversationId) };
}
