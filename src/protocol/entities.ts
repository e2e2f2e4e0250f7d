/** @module The objects the protocol carries: users, devices, conversations, messages. */

/** What a user may do beyond chatting: `staff` and `admin` use the control tower's ops endpoints. */
export const USER_ROLES = ["user", "staff", "admin"] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A user as others see it; `role` is present only on one's own user (auth replies), never on others. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  role?: UserRole;
  /**
   * Set on a user of a list shown together (contacts, a conversation's members) whose display
   * name looks like another one's there (same UTS #39 skeleton): show the username beside it.
   */
  nameCollides?: true;
  /** The user's status line (`account.update`), absent when they set none. */
  statusText?: string;
  /** The path of the user's profile photo (read with the Bearer header), absent when they set none. */
  avatarUrl?: string;
  /** On one's own user only: one hides one's presence and last-seen time from everyone (`account.update`). */
  hidePresence?: true;
  /** Set on an account that was deleted (`account.delete`): its name reads "deleted account" and its messages stay. */
  deleted?: true;
}

/** One logged-in device (one login = one device = one session token). */
export interface Device {
  id: string;
  name: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  /** True for the device that asked. */
  current: boolean;
}

export type ConversationKind = "direct" | "group";

/** A conversation: `{id, kind, memberIds, title?}` as in the wire core, plus when and by whom. */
export interface Conversation {
  id: string;
  kind: ConversationKind;
  memberIds: string[];
  title?: string;
  createdAt: string;
  createdBy: string;
  /** A group's owner (exactly one while the group has members); absent on a direct conversation. */
  ownerId?: string;
  /** A group's admins besides the owner, in join order; absent on a direct conversation. */
  adminIds?: string[];
  /** A group's photo (set by `conversation.update {photoFileId}`), absent when it has none. */
  photo?: FileInfo;
  /** The message a group's owner pinned as the chat's notice (absent when none). */
  pinned?: PinnedMessage;
}

/** A group's pinned notice: which message, pinned by whom and when (`pin`, `unpin`). */
export interface PinnedMessage {
  seq: number;
  byUserId: string;
  pinnedAt: string;
}

/** A member's role in a group: the owner (one), admins (may remove members), members. */
export type MemberRole = "owner" | "admin" | "member";

/** A conversation as it appears in my list. */
export interface ConversationSummary {
  conversation: Conversation;
  lastSeq: number;
  lastMessage: Message | null;
  /** My read cursor: the highest seq I have read. */
  readSeq: number;
  /** Messages after my read cursor, sent by others, not deleted. */
  unreadCount: number;
  /** Of those, the ones that mention me or @all. */
  unreadMentionCount: number;
}

/** A stored message. A deleted message stays as a tombstone that keeps its seq. */
export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  text: string;
  createdAt: string;
  replyToSeq?: number;
  /** User ids mentioned with `@username` (members only, sender excluded). */
  mentions: string[];
  /** True when the text mentions `@all`. */
  mentionsAll: boolean;
  editedAt?: string;
  deleted?: boolean;
  deletedAt?: string;
  /** Count of reactions per emoji. */
  reactions: Record<string, number>;
  /**
   * Present on a copy made by `message.forward`: the client marks it "Forwarded". Where it came
   * from is not said: the copy's readers may not be members of the source chat.
   */
  forwarded?: true;
  /** The files the message carries, in the order they were sent (absent when none; gone once deleted). */
  files?: FileInfo[];
  /**
   * The preview of the text's first http(s) link, once the server has fetched it (absent in the
   * send's reply and `message.new`; it arrives later in `message.preview`; gone once deleted).
   */
  preview?: LinkPreview;
  /**
   * Present on a system line: a change of the group that the server wrote into the conversation
   * in seq order ("민수 님이 지수 님을 초대했습니다"); `senderId` is who made the change, `text` is
   * empty and clients word the line in their language. A system line cannot be edited, deleted
   * or reacted to, and never counts as unread.
   */
  system?: SystemLine;
}

/**
 * What a linked page says about itself (OpenGraph, Twitter card, `<meta>`, `<title>`), fetched
 * by the server. `url` is the link as the message's text has it; `imageUrl` is a path on this
 * server (read with the Bearer header), never the linked site's address.
 */
export interface LinkPreview {
  url: string;
  title?: string;
  description?: string;
  siteName?: string;
  imageUrl?: string;
}

/** What a system line says happened. */
export interface SystemLine {
  /**
   * `added`: the actor added `userIds`; `joined`: the actor joined (an invitation or a link);
   * `removed`: the actor removed `userIds`; `left`: the actor left; `renamed`: the title became
   * `title`; `photo`: the group photo changed (the line carries it in `files`) or was removed;
   * `role`: `userIds` became `role`; `owner`: `userIds[0]` became the owner.
   */
  action: "added" | "joined" | "removed" | "left" | "renamed" | "photo" | "role" | "owner";
  userIds: string[];
  title?: string;
  role?: "admin" | "member";
}

/** A file as a conversation's drawer lists it: the file and the message that carries it. */
export interface ConversationFile {
  file: FileInfo;
  seq: number;
  senderId: string;
  createdAt: string;
}

/**
 * An uploaded file as the protocol shows it. `sha256` (lowercase hex) and `size` describe exactly
 * the bytes `url` serves: for a photo, the bytes after orientation was applied and metadata
 * stripped. `contentType` is sniffed from the bytes, never taken from the uploader. `url` and
 * `thumbnailUrl` are paths on the server, read with the `Authorization: Bearer` header.
 */
export interface FileInfo {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  width?: number;
  height?: number;
  url: string;
  thumbnailUrl?: string;
}

/**
 * A standing offer to join a group, made when the inviter is not the invitee's contact (the
 * invitee has not added them): the invitee joins only by accepting it. A pending invitation past
 * `expiresAt` counts as expired.
 */
export interface Invitation {
  id: string;
  conversationId: string;
  /** The group's title as it is now, so the invitee knows what they are asked into. */
  title?: string;
  inviterId: string;
  inviteeId: string;
  status: "pending" | "accepted" | "declined";
  createdAt: string;
  expiresAt: string;
}

/** A member's report of a group, kept for staff. */
export interface ConversationReport {
  id: string;
  conversationId: string;
  reporterId: string;
  reason?: string;
  createdAt: string;
}

/** A member's read cursor: the highest seq that member has read. */
export interface MemberState {
  userId: string;
  role: MemberRole;
  readSeq: number;
  joinedAt: string;
}

/**
 * A group's invite link: whoever is signed in and holds `token` may join the group, until it is
 * revoked, expires (`expiresAt`) or has been used `maxUses` times (null: no such limit).
 */
export interface GroupLink {
  id: string;
  token: string;
  conversationId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  revokedAt: string | null;
}

/**
 * What a link shows before one joins: the group's name and size, nothing of its members (its
 * photo is a file only members may read, so it is not offered).
 */
export interface GroupLinkPreview {
  conversationId: string;
  title?: string;
  memberCount: number;
  /** True when the one asking is a member already. */
  member: boolean;
}

/** Whether a user is online, and when they were last seen. */
export interface Presence {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
  /** The user hides their presence: `online` is false and `lastSeenAt` null whatever the truth ("last seen recently"). */
  hidden?: true;
}

/** Where a search query matched a message's text: `[start, end)` in UTF-16 code units of `message.text`. */
export interface SearchHighlight {
  start: number;
  end: number;
}

/** One hit of `search`: the message, the conversation it is in, and where the query matched. */
export interface SearchResult {
  message: Message;
  conversation: Conversation;
  highlights: SearchHighlight[];
}
