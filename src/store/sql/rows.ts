/** @module Row shapes of the SQL tables (both dialects) and their mapping to protocol objects. */
import type {
  Conversation,
  FileInfo,
  LinkPreview,
  MemberRole,
  MemberState,
  Message,
  SystemLine,
  User,
  UserRole,
} from "../../protocol/index.js";
import type { DeviceRecord } from "../store.js";

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  role: UserRole;
  status_text?: string | null;
  avatar_file_id?: string | null;
  deleted_at?: string | null;
  hide_presence?: number | null;
}
export interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  created_at: string;
  created_by: string;
  last_seq: number;
  /** JSON of the group photo (FileInfo), null when none. */
  photo?: string | null;
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
  /** JSON of the message's link preview (LinkPreview), null until fetched, and once deleted. */
  preview?: string | null;
  /** JSON of the system line (SystemLine), null on a message a person wrote. */
  system?: string | null;
  /** 1 on a copy made by forwarding. */
  forwarded?: number;
}
export interface MemberRow {
  user_id: string;
  role: MemberRole;
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
  const user: User = { id: row.id, username: row.username, displayName: row.display_name, createdAt: row.created_at };
  if (row.status_text) user.statusText = row.status_text;
  if (row.avatar_file_id) user.avatarUrl = `/api/v1/files/${row.avatar_file_id}`;
  if (row.deleted_at) user.deleted = true;
  return user;
}

/** A user as its owner sees it: with the role. */
export function toOwnUser(row: UserRow): User {
  return {
    ...toUser(row),
    role: row.role,
    ...(Number(row.hide_presence) === 1 ? { hidePresence: true as const } : {}),
  };
}

/** A member's id and role, in join order: what a conversation's member list and roles are read from. */
export interface MemberRoleRow {
  user_id: string;
  role: MemberRole;
}

export function toConversation(row: ConversationRow, members: readonly MemberRoleRow[]): Conversation {
  const memberIds = members.map((m) => m.user_id);
  const conversation: Conversation = {
    id: row.id,
    kind: row.kind,
    memberIds,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
  if (row.title !== null) conversation.title = row.title;
  if (row.kind === "group") {
    const owner = members.find((m) => m.role === "owner");
    if (owner) conversation.ownerId = owner.user_id;
    conversation.adminIds = members.filter((m) => m.role === "admin").map((m) => m.user_id);
    if (row.photo) conversation.photo = JSON.parse(row.photo) as FileInfo;
  }
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
  if (row.preview && !row.deleted_at) message.preview = JSON.parse(row.preview) as LinkPreview;
  if (row.system) message.system = JSON.parse(row.system) as SystemLine;
  if (Number(row.forwarded) === 1 && !row.deleted_at) message.forwarded = true;
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
