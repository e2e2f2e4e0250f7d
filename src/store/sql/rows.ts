/** @module Row shapes of the SQL tables (both dialects) and their mapping to protocol objects. */
import type { Conversation, FileInfo, MemberState, Message, User, UserRole } from "../../protocol/index.js";
import type { DeviceRecord } from "../store.js";

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  role: UserRole;
}
export interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  created_at: string;
  created_by: string;
  last_seq: number;
  /** The pinned notice (all three set, or none). */
  pinned_seq?: number | null;
  pinned_by?: string | null;
  pinned_at?: string | null;
}
export interface MessageRow {
  conversation_id: string;
  seq: number;
  id: string;
  sender_id: string;
  client_msg_id: string;
  text: string;
  created_at: string;
  reply_to_seq: number | null;
  mentions: string;
  mentions_all: number;
  edited_at: string | null;
  deleted_at: string | null;
  /** JSON of the message's files (FileInfo[]), null when it carries none or was deleted. */
  files?: string | null;
}
export interface MemberRow {
  user_id: string;
  role: "owner" | "member";
  read_seq: number;
  joined_at: string;
}
export interface DeviceRow {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** A user as others see it: without the role, which only its owner (and the ops endpoints) read. */
export function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, displayName: row.display_name, createdAt: row.created_at };
}

/** A user as its owner sees it: with the role. */
export function toOwnUser(row: UserRow): User {
  return { ...toUser(row), role: row.role };
}

export function toConversation(row: ConversationRow, memberIds: string[]): Conversation {
  const conversation: Conversation = {
    id: row.id,
    kind: row.kind,
    memberIds,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
  if (row.title !== null) conversation.title = row.title;
  if (row.pinned_seq != null && row.pinned_by != null && row.pinned_at != null) {
    conversation.pinned = { seq: Number(row.pinned_seq), byUserId: row.pinned_by, pinnedAt: row.pinned_at };
  }
  return conversation;
}

export function toMember(row: MemberRow): MemberState {
  return { userId: row.user_id, role: row.role, readSeq: row.read_seq, joinedAt: row.joined_at };
}

export function toMessage(row: MessageRow, reactions: Record<string, number>): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    text: row.deleted_at ? "" : row.text,
    createdAt: row.created_at,
    mentions: row.deleted_at ? [] : (JSON.parse(row.mentions) as string[]),
    mentionsAll: row.deleted_at ? false : row.mentions_all === 1,
    reactions: row.deleted_at ? {} : reactions,
  };
  if (row.reply_to_seq !== null) message.replyToSeq = row.reply_to_seq;
  if (row.files && !row.deleted_at) message.files = JSON.parse(row.files) as FileInfo[];
  if (row.edited_at) message.editedAt = row.edited_at;
  if (row.deleted_at) {
    message.deleted = true;
    message.deletedAt = row.deleted_at;
  }
  return message;
}

export function toDevice(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}
