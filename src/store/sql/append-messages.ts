/** @module Appending messages in groups: the sends of one group commit share their statements (one statement per table, whatever the group's size on PostgreSQL). */

import { HaetaeError } from "../../protocol/errors.js";
import type { FeedEvent, Message } from "../../protocol/index.js";
import type { AppendMessageInput, Written } from "../store.js";
import {
  type AppendStatements,
  arrayStatements,
  chunkedStatements,
  type EventValues,
  type MessageValues,
} from "./append-statements.js";
import { byJoinOrder } from "./conversation-queries.js";
import type { BatchableWrite, Outcome } from "./group-commit.js";
import { appendMessage, messageByClientMsgId, newMessage, refuseAppend, refuseRetry } from "./message-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

/** What an append gives back: the message, its feed event and its live audience. */
export type Appended = Written<Message> & { duplicate: boolean };

/**
 * What the group needs before it writes, read at once (one statement on PostgreSQL, a round trip
 * while the batch holds its locks): which of its (sender, clientMsgId) pairs are stored already,
 * as `sender\0clientMsgId` keys, and each of its conversations with its active members in join
 * order and, for a direct one, whether either member blocks the other (null: no such conversation).
 */
async function readGroup(
  sql: AppendStatements,
  inputs: readonly AppendMessageInput[],
): Promise<{ stored: Set<string>; conversations: Map<string, ConversationState | null> }> {
  const keys = new Map<string, [string, string]>();
  for (const input of inputs)
    keys.set(`${input.senderId}\u0000${input.clientMsgId}`, [input.senderId, input.clientMsgId]);
  const ids = [...new Set(inputs.map((i) => i.conversationId))];
  const read = await sql.read([...keys.values()], ids);
  const stored = new Set(read.stored.map((r) => `${r.sender_id}\u0000${r.client_msg_id}`));
  const conversations = new Map<string, ConversationState | null>(ids.map((id) => [id, null]));
  const membersOf = new Map<string, typeof read.members>();
  for (const row of read.members) {
    const of = membersOf.get(row.conversation_id) ?? [];
    of.push(row);
    membersOf.set(row.conversation_id, of);
  }
  const blocked = new Set(
    read.blocks.flatMap((b) => [`${b.user_id}\u0000${b.blocked_id}`, `${b.blocked_id}\u0000${b.user_id}`]),
  );
  for (const row of read.rows) {
    const members = byJoinOrder(membersOf.get(row.id) ?? []).map((m) => m.user_id);
    // Only a direct conversation with both members can hold a block; with fewer, the sender can
    // only be the one member left, and no one else to block or be blocked.
    const direct = row.kind === "direct" && members.length === 2;
    conversations.set(row.id, {
      members,
      lastSeq: Number(row.last_seq),
      lastActivityAt: row.last_activity_at,
      touched: false,
      blocked: direct && blocked.has(`${members[0]}\u0000${members[1]}`),
    });
  }
  return { stored, conversations };
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
 * `last_seq` is the authority it starts from); the messages, mentions and feed events go in
 * together (`AppendStatements.write`: one statement on PostgreSQL, one multi-row INSERT per table
 * and chunk on SQLite), the conversation row and the sender's read cursor are updated once per
 * conversation and sender. A refused send writes nothing.
 */
async function appendMessages(
  db: SqlExecutor,
  sql: AppendStatements,
  inputs: readonly AppendMessageInput[],
  referencedEvents = false,
): Promise<Outcome<Appended>[]> {
  const outcomes: Outcome<Appended>[] = [];
  const { stored, conversations } = await readGroup(sql, inputs);
  const byClientMsgId = new Map<string, Message>();
  const readCursors = new Map<string, { conversationId: string; userId: string; seq: number }>();
  const messageRows: MessageValues[] = [];
  const mentionRows: [string, string, number][] = [];
  const eventRows: EventValues[] = [];
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
    // Where the feed's reader joins the message back (`referencedEvents`), the event row names it
    // instead of repeating it: the message's JSON was most of the row and of its WAL.
    const payload = referencedEvents ? { type: event.type, conversationId: event.conversationId, seq } : event;
    eventRows.push([input.conversationId, event.type, JSON.stringify(payload), input.createdAt, seq]);
    pending.push({ outcome: outcomes.length, event, message });
    // A placeholder, filled in once the feed event has its id.
    outcomes.push({ ok: false, error: new Error("unfinished") });
  }
  if (pending.length === 0) return outcomes;

  // The conversation rows, messages, mentions, senders' read cursors and feed events, written
  // together (PostgreSQL: one statement; SQLite: one per table and chunk).
  const advanced: [string, number, string][] = [];
  for (const [id, state] of conversations) if (state?.touched) advanced.push([id, state.lastSeq, state.lastActivityAt]);
  const ids = await sql.write({
    conversations: advanced,
    messages: messageRows,
    mentions: mentionRows,
    readCursors: [...readCursors.values()].map((c) => [c.conversationId, c.userId, c.seq]),
    events: eventRows,
  });
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

/** The message append as a batchable write: alone, the one-statement-per-step path; in a group, `appendMessages` with SQLite's chunked statements. */
export const APPEND_MESSAGE: BatchableWrite<AppendMessageInput, Appended> = {
  name: "appendMessages",
  locksOf: (input) => [input.conversationId],
  runOne: appendMessage,
  runMany: (db, inputs) => appendMessages(db, chunkedStatements(db), inputs),
};

/**
 * The same on PostgreSQL: a group's statements take their rows as arrays, one statement per
 * table, and the feed events name their message (`{type, conversationId, seq}`) instead of
 * carrying it; PostgreSQL's feed reads the message with the event (postgres-feed.ts).
 */
export const APPEND_MESSAGE_ARRAYS: BatchableWrite<AppendMessageInput, Appended> = {
  name: "appendMessagesArrays",
  locksOf: (input) => [input.conversationId],
  runOne: appendMessage,
  runMany: (db, inputs) => appendMessages(db, arrayStatements(db), inputs, true),
};
