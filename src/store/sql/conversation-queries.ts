/** @module SQL of conversations and memberships. */

import { HaetaeError } from "../../protocol/errors.js";
import type { Conversation, ConversationSummary, MemberState } from "../../protocol/index.js";
import type {
  ConversationPage,
  ConversationPageInput,
  InviteInput,
  Written,
  WrittenWithInvitations,
} from "../store.js";
import { appendEvent } from "./feed-queries.js";
import { insertInvitations } from "./invitation-queries.js";
import { messageAt } from "./message-queries.js";
import { type ConversationRow, type MemberRow, toConversation, toMember } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

/** Members in join order, ties by id — compared in code, so both dialects agree whatever their collation. */
export function byJoinOrder<T extends { joined_event_id: number; user_id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) =>
    a.joined_event_id !== b.joined_event_id
      ? Number(a.joined_event_id) - Number(b.joined_event_id)
      : a.user_id < b.user_id
        ? -1
        : a.user_id > b.user_id
          ? 1
          : 0,
  );
}

export async function memberIds(db: SqlExecutor, conversationId: string): Promise<string[]> {
  const rows = await db.all<{ user_id: string; joined_event_id: number }>(
    "SELECT user_id, joined_event_id FROM members WHERE conversation_id = ? AND active = 1",
    [conversationId],
  );
  return byJoinOrder(rows).map((r) => r.user_id);
}

/**
 * The active member ids, read inside a write; `forbidden` when `actorId` is not among them —
 * the access check before the write may be a moment old (G7).
 */
export async function membersForWrite(db: SqlExecutor, conversationId: string, actorId: string): Promise<string[]> {
  const ids = await memberIds(db, conversationId);
  if (!ids.includes(actorId)) throw new HaetaeError("forbidden", "You are not a member of this conversation.");
  return ids;
}

export async function membersOf(db: SqlExecutor, conversationId: string): Promise<MemberState[]> {
  const rows = await db.all<MemberRow & { joined_event_id: number }>(
    "SELECT * FROM members WHERE conversation_id = ? AND active = 1",
    [conversationId],
  );
  return byJoinOrder(rows).map(toMember);
}

export async function activeMember(
  db: SqlExecutor,
  conversationId: string,
  userId: string,
): Promise<MemberState | null> {
  const row = await db.get<MemberRow>(
    "SELECT * FROM members WHERE conversation_id = ? AND user_id = ? AND active = 1",
    [conversationId, userId],
  );
  return row ? toMember(row) : null;
}

export async function conversationById(db: SqlExecutor, id: string): Promise<Conversation | null> {
  const row = await db.get<ConversationRow>("SELECT * FROM conversations WHERE id = ?", [id]);
  return row ? toConversation(row, await memberIds(db, id)) : null;
}

export async function conversationOrThrow(db: SqlExecutor, id: string): Promise<Conversation> {
  const conversation = await conversationById(db, id);
  if (!conversation) throw new Error(`conversation ${id} vanished inside a transaction`);
  return conversation;
}

export async function lastSeqOf(db: SqlExecutor, conversationId: string): Promise<number> {
  const row = await db.get<{ last_seq: number }>("SELECT last_seq FROM conversations WHERE id = ?", [conversationId]);
  return Number(row?.last_seq ?? 0);
}

/** The direct conversation of a pair exists once: `direct_key` is the sorted pair, unique. */
export async function getOrCreateDirect(
  db: SqlExecutor,
  conversation: Conversation,
): Promise<Written<Conversation> & { created: boolean }> {
  const key = [...conversation.memberIds].sort().join("|");
  const existing = await db.get<{ id: string }>("SELECT id FROM conversations WHERE direct_key = ?", [key]);
  if (existing) {
    const value = await conversationOrThrow(db, existing.id);
    return { value, event: null, audience: value.memberIds, created: false };
  }
  return { ...(await insertConversation(db, conversation, key)), created: true };
}

export async function insertConversation(
  db: SqlExecutor,
  input: Conversation,
  directKey: string | null,
): Promise<Written<Conversation>> {
  // Members are listed in join order, ties by id: the order every later read returns.
  const conversation = { ...input, memberIds: [...new Set(input.memberIds)].sort() };
  await db.run(
    "INSERT INTO conversations (id, kind, title, direct_key, created_at, created_by, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [
      conversation.id,
      conversation.kind,
      conversation.title ?? null,
      directKey,
      conversation.createdAt,
      conversation.createdBy,
      conversation.createdAt,
    ],
  );
  const event = await appendEvent(
    db,
    { type: "conversation.created", conversationId: conversation.id, conversation },
    conversation.createdAt,
  );
  for (const userId of conversation.memberIds) {
    await db.run("INSERT INTO membership_spans (conversation_id, user_id, joined_event_id) VALUES (?, ?, ?)", [
      conversation.id,
      userId,
      event.eventId,
    ]);
    await db.run(
      "INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id) VALUES (?, ?, ?, ?, ?)",
      [
        conversation.id,
        userId,
        userId === conversation.createdBy ? "owner" : "member",
        conversation.createdAt,
        event.eventId,
      ],
    );
  }
  return { value: conversation, event, audience: conversation.memberIds };
}

export async function updateTitle(
  db: SqlExecutor,
  conversationId: string,
  title: string,
  byUserId: string,
  at: string,
): Promise<Written<Conversation>> {
  await membersForWrite(db, conversationId, byUserId);
  await db.run("UPDATE conversations SET title = ? WHERE id = ?", [title, conversationId]);
  const conversation = await conversationOrThrow(db, conversationId);
  const event = await appendEvent(
    db,
    { type: "conversation.updated", conversationId, conversation, byUserId, added: [], removed: [] },
    at,
  );
  return { value: conversation, event, audience: conversation.memberIds };
}

export async function addMembers(
  db: SqlExecutor,
  conversationId: string,
  userIds: readonly string[],
  byUserId: string,
  at: string,
  maxMembers: number,
  invite?: InviteInput,
): Promise<WrittenWithInvitations> {
  await membersForWrite(db, conversationId, byUserId);
  const written = await joinMembers(db, conversationId, userIds, byUserId, at, maxMembers);
  const current = new Set(written.value.memberIds);
  const invitations = invite
    ? await insertInvitations(
        db,
        { ...invite, invitations: invite.invitations.filter((i) => !current.has(i.inviteeId)) },
        at,
      )
    : [];
  return { ...written, invitations };
}

/**
 * Make these users members (those not already), announced by one `conversation.updated` by
 * `byUserId`; the caller has checked that they may. `member_limit_exceeded` past `maxMembers`.
 */
export async function joinMembers(
  db: SqlExecutor,
  conversationId: string,
  userIds: readonly string[],
  byUserId: string,
  at: string,
  maxMembers: number,
): Promise<Written<Conversation>> {
  const before = await conversationOrThrow(db, conversationId);
  const current = new Set(before.memberIds);
  const added = [...new Set(userIds)].filter((id) => !current.has(id)).sort();
  if (added.length === 0) return { value: before, event: null, audience: before.memberIds };
  // Checked here, inside the write: two invitations at once cannot pass the limit together.
  if (before.memberIds.length + added.length > maxMembers) {
    throw new HaetaeError("member_limit_exceeded", `A group has at most ${maxMembers} members.`);
  }
  const conversation = { ...before, memberIds: [...before.memberIds, ...added] };
  const event = await appendEvent(
    db,
    { type: "conversation.updated", conversationId, conversation, byUserId, added, removed: [] },
    at,
  );
  for (const userId of added) {
    // A newcomer starts caught up (readSeq = lastSeq): the history is there to scroll, not unread.
    await db.run(
      `INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id, read_seq)
       VALUES (?, ?, 'member', ?, ?, (SELECT last_seq FROM conversations WHERE id = ?))
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET active = 1, left_event_id = NULL, role = 'member',
         joined_at = excluded.joined_at, joined_event_id = excluded.joined_event_id, read_seq = excluded.read_seq`,
      [conversationId, userId, at, event.eventId, conversationId],
    );
    // The span's messages start after the last one sent before the member came in.
    await db.run(
      `INSERT INTO membership_spans (conversation_id, user_id, joined_event_id, from_seq)
       VALUES (?, ?, ?, (SELECT last_seq FROM conversations WHERE id = ?))`,
      [conversationId, userId, event.eventId, conversationId],
    );
  }
  const value = await conversationOrThrow(db, conversationId);
  return { value, event, audience: value.memberIds };
}

export async function removeMember(
  db: SqlExecutor,
  conversationId: string,
  userId: string,
  byUserId: string,
  at: string,
): Promise<Written<Conversation>> {
  await membersForWrite(db, conversationId, byUserId);
  const before = await conversationOrThrow(db, conversationId);
  if (!before.memberIds.includes(userId)) return { value: before, event: null, audience: before.memberIds };
  const conversation = { ...before, memberIds: before.memberIds.filter((id) => id !== userId) };
  const event = await appendEvent(
    db,
    { type: "conversation.updated", conversationId, conversation, byUserId, added: [], removed: [userId] },
    at,
  );
  await db.run("UPDATE members SET active = 0, left_event_id = ? WHERE conversation_id = ? AND user_id = ?", [
    event.eventId,
    conversationId,
    userId,
  ]);
  await db.run(
    `UPDATE membership_spans SET left_event_id = ?, to_seq = (SELECT last_seq FROM conversations WHERE id = ?)
     WHERE conversation_id = ? AND user_id = ? AND left_event_id IS NULL`,
    [event.eventId, conversationId, conversationId, userId],
  );
  // Pending invitations made by the one who goes, or to them, end now (expired): an invitation
  // outlives neither its inviter's membership nor a removal of its invitee.
  await db.run(
    `UPDATE invitations SET expires_at = ?
     WHERE conversation_id = ? AND status = 'pending' AND expires_at > ? AND (inviter_id = ? OR invitee_id = ?)`,
    [at, conversationId, at, userId, userId],
  );
  // A group never ends up without an owner: the longest-standing member takes over.
  const remaining = await membersOf(db, conversationId);
  const heir = remaining[0];
  if (heir && !remaining.some((m) => m.role === "owner")) {
    await db.run("UPDATE members SET role = 'owner' WHERE conversation_id = ? AND user_id = ?", [
      conversationId,
      heir.userId,
    ]);
  }
  // The removed user hears it too, so every device of theirs drops the conversation.
  return { value: conversation, event, audience: [...conversation.memberIds, userId] };
}

type SummaryRow = ConversationRow & {
  read_seq: number;
  unread: number;
  unread_mentions: number;
  last_activity_at: string;
};

/**
 * The summaries' columns. A message whose sender the member blocked never counts as a mention
 * of them (an `@all` included): the block stops that way of reaching them.
 */
const SUMMARY_SELECT = `SELECT c.*, m.read_seq,
       (SELECT CAST(count(*) AS INTEGER) FROM messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq
          AND x.sender_id <> m.user_id AND x.deleted_at IS NULL) AS unread,
       (SELECT CAST(count(*) AS INTEGER) FROM messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq
          AND x.sender_id <> m.user_id AND x.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = m.user_id AND b.blocked_id = x.sender_id)
          AND (x.mentions_all = 1 OR EXISTS (SELECT 1 FROM message_mentions mm
               WHERE mm.conversation_id = c.id AND mm.user_id = m.user_id AND mm.seq = x.seq))) AS unread_mentions
     FROM members m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.user_id = ? AND m.active = 1`;

async function toSummaries(db: SqlExecutor, rows: SummaryRow[]): Promise<ConversationSummary[]> {
  const summaries: ConversationSummary[] = [];
  for (const row of rows) {
    const lastSeq = Number(row.last_seq);
    summaries.push({
      conversation: toConversation(row, await memberIds(db, row.id)),
      lastSeq,
      lastMessage: lastSeq > 0 ? await messageAt(db, row.id, lastSeq) : null,
      readSeq: Number(row.read_seq),
      unreadCount: Number(row.unread),
      unreadMentionCount: Number(row.unread_mentions),
    });
  }
  return summaries;
}

/** My conversations, most recently active first, with unread and unread-mention counts. */
export async function conversationsOf(db: SqlExecutor, userId: string): Promise<ConversationSummary[]> {
  const rows = await db.all<SummaryRow>(`${SUMMARY_SELECT} ORDER BY c.last_activity_at DESC, c.id`, [userId]);
  return toSummaries(db, rows);
}

/** One page of my conversations in the same order, after the conversation `page.after` (a keyset, not an offset). */
export async function conversationPageOf(
  db: SqlExecutor,
  userId: string,
  page: ConversationPageInput,
): Promise<ConversationPage> {
  const after = page.after;
  const rows = await db.all<SummaryRow>(
    `${SUMMARY_SELECT}${after ? " AND (c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id > ?))" : ""}
     ORDER BY c.last_activity_at DESC, c.id LIMIT ?`,
    after ? [userId, after.activityAt, after.activityAt, after.id, page.limit + 1] : [userId, page.limit + 1],
  );
  const hasMore = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  const tail = kept.at(-1);
  return {
    conversations: await toSummaries(db, kept),
    hasMore,
    last: tail ? { activityAt: tail.last_activity_at, id: tail.id } : null,
  };
}
