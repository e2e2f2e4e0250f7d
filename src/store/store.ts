/** @module The store interface: where the chat's state lives. One implementation, `sql/sql-store.ts`, on a driver per dialect: `sqlite/` (embedded, the default) and `postgres/` (scale-out). */

import type { FeedEvent } from "../protocol/events.js";
import type {
  ChatMute,
  Conversation,
  ConversationFile,
  ConversationReport,
  ConversationSummary,
  FileInfo,
  GroupLink,
  Invitation,
  LinkPreview,
  MemberState,
  Message,
  NotifySettings,
  PushPayload,
  User,
  UserRole,
} from "../protocol/index.js";

/** A user with the secret the store keeps for it; `role` defaults to `user` when created without one. */
export interface UserRecord extends User {
  passwordHash: string;
}

/** A change of one's profile (`account.update`); `null` clears. */
export interface ProfileChange {
  displayName?: string;
  statusText?: string | null;
  avatarFileId?: string | null;
  hidePresence?: boolean;
}

/**
 * An account the server itself runs: `status` posts tower changes into the staff conversation,
 * `canary` is one of the probes' two accounts. People never have one.
 */
export type SystemKind = "status" | "canary";

/** A logged-in device; the token itself is never stored, only its SHA-256. */
export interface DeviceRecord {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/**
 * A device key: the long-lived credential a device earns by logging in, presented at its next
 * login so that the account's failed-login backoff does not apply to it. Only its SHA-256 is stored.
 */
export interface DeviceKeyRecord {
  userId: string;
  /** The device whose login issued it; a password change keeps the keys of the device that made it. */
  deviceId: string;
  createdAt: string;
  expiresAt: string;
}

/** The device key a login issues with its device: its hash, expiry, and the key it replaces. */
export interface NewDeviceKey {
  keyHash: string;
  expiresAt: string;
  replacesKeyHash?: string | undefined;
}

/** A page of a user's feed and the opaque cursor after it (`sync`'s reply). */
export interface FeedPage {
  events: FeedEvent[];
  hasMore: boolean;
  cursor: string;
}

/** A feed event before the store gives it its `eventId`. */
export type NewFeedEvent = FeedEvent extends infer E ? (E extends FeedEvent ? Omit<E, "eventId"> : never) : never;

export interface AppendMessageInput {
  id: string;
  conversationId: string;
  senderId: string;
  clientMsgId: string;
  text: string;
  createdAt: string;
  replyToSeq?: number;
  mentions: string[];
  mentionsAll: boolean;
  /** A copy made by forwarding (stored, and read back as `forwarded: true`). */
  forwarded?: boolean;
  /**
   * The files the message carries, as it shows them. The write refuses the send with `not_found`
   * when one of them no longer has its file row (swept or deleted since the caller checked).
   */
  files?: FileInfo[];
}

/**
 * An uploaded file as the store keeps it: one upload of one user. Its bytes are the blob named
 * `sha256` (and `thumbSha256` for its thumbnail) in the blob store; equal uploads share a blob.
 */
export interface FileRecord {
  id: string;
  ownerId: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  width?: number;
  height?: number;
  thumbSha256?: string;
  createdAt: string;
  /** When a message first carried it; an upload never attached is swept after a while. */
  attachedAt?: string;
}

/** A stored file as the protocol shows it: its URLs are paths read with the Bearer header. */
export function fileInfo(file: FileRecord): FileInfo {
  const info: FileInfo = {
    id: file.id,
    name: file.name,
    size: file.size,
    contentType: file.contentType,
    sha256: file.sha256,
    url: `/api/v1/files/${file.id}`,
  };
  if (file.width !== undefined) info.width = file.width;
  if (file.height !== undefined) info.height = file.height;
  if (file.thumbSha256 !== undefined) info.thumbnailUrl = `/api/v1/files/${file.id}/thumbnail`;
  return info;
}

/** What one sweep of files did: file rows removed, blobs deleted. */
export interface FileSweep {
  files: number;
  blobs: number;
}

/**
 * The outcome of a write: what it stored, the feed event that announces it, and who should
 * hear it live — the members as of the write's own transaction (plus a member it removed), so a
 * member removed a moment before never gets a live copy and one added a moment before does.
 */
export interface Written<T> {
  value: T;
  event: FeedEvent | null;
  audience: string[];
  /** The system line the same write appended to the conversation (a group change), published after `event`. */
  line?: Written<Message>;
}

/**
 * Invitations to write with a group change, and the cap they must fit under: at most `perWindow`
 * invitations by one inviter created within `windowMs` before `at` (checked inside the write,
 * so parallel requests cannot pass it together; past it, `rate_limited` with `retryAfterMs`).
 * An invitee who already has a pending, unexpired invitation to the group gets that one back
 * (no new row, no event, not counted).
 */
export interface InviteInput {
  invitations: Invitation[];
  perWindow: number;
  windowMs: number;
}

/** A group change that may also have made invitations, each with its own event for its invitee. */
export type WrittenWithInvitations = Written<Conversation> & { invitations: Written<Invitation>[] };

/** Which page of a conversation's messages `history` reads: at most one of the three seqs. */
export interface HistoryPage {
  beforeSeq?: number;
  afterSeq?: number;
  aroundSeq?: number;
  limit: number;
}

/** A page of messages, ascending; a window around a seq says on which side more lie. */
export interface HistoryWindow {
  messages: Message[];
  hasMore: boolean;
  hasMoreBefore?: boolean;
  hasMoreAfter?: boolean;
}

/**
 * Most messages a two-character search reads (a trigram index holds no two-character key):
 * each searched chat's newest, this many shared among the chats. Longer queries use the index.
 */
export const SHORT_QUERY_SCAN_ROWS = 20_000;

/** A hit's place in newest-first order: where the next page of a search starts after. */
export interface SearchPlace {
  createdAt: string;
  conversationId: string;
  seq: number;
}

/** What `searchMessages` looks for; the caller has checked access to `conversationId`. */
export interface MessageSearch {
  userId: string;
  /** Trimmed, at least two characters: matched as a case-insensitive substring of the text. */
  query: string;
  conversationId?: string;
  senderId?: string;
  /** Messages created strictly before / after these instants (ISO 8601, as `createdAt`). */
  createdBefore?: string;
  createdAfter?: string;
  /** True: only messages carrying files; false: only those without. */
  hasFile?: boolean;
  /** The previous page's last hit. */
  from?: SearchPlace;
  limit: number;
  /**
   * For tests and benchmarks: read through the index (three characters or more), the messages
   * outright, or (PostgreSQL; SQLite reads its index) the newest-first walk in windows of a
   * message or so that hands over to the index after a few, whatever the history's size; the
   * answer is the same, only its cost differs.
   */
  force?: "index" | "scan" | "walk";
}

/** The page of `listConversationPage` after the conversation `after` (most recently active first). */
export interface ConversationPageInput {
  limit: number;
  after?: { activityAt: string; id: string };
}

/** A page of conversations and the keyset of its last one. */
export interface ConversationPage {
  conversations: ConversationSummary[];
  hasMore: boolean;
  last: { activityAt: string; id: string } | null;
}

/** A browser's Web Push subscription, kept for the device that made it (RFC 8030 endpoint, RFC 8291 keys). */
export interface PushSubscriptionRecord {
  endpoint: string;
  userId: string;
  deviceId: string;
  /** The browser's P-256 public key, base64url. */
  p256dh: string;
  /** The browser's 16-byte auth secret, base64url. */
  auth: string;
  createdAt: string;
}

/** A push waiting for its next try, kept so that a node restart does not drop it (docs/notifications.md). */
export interface PushRetryRecord {
  id: string;
  endpoint: string;
  userId: string;
  payload: PushPayload;
  /** Which retry it will be: 1 for the first. */
  attempt: number;
  dueAt: string;
}

/** What decides whether one user is notified of a message in one chat. */
export interface NotifyPrefs {
  settings: NotifySettings;
  mute: ChatMute | null;
}

/** What a store throws besides HaetaeError: its callers need no driver's errors. */
export { StoreConflictError, StoreInvalidValueError, StoreUnavailableError } from "./store-errors.js";

/**
 * The store contract. Every method that resolves has committed its write durably (SQLite
 * WAL with `synchronous=FULL`, or a PostgreSQL commit): a caller may acknowledge a client only
 * after the promise resolves (G1). Each write that changes a conversation appends exactly one
 * feed event in the same transaction, so a state change and its announcement are never apart
 * (G4). Writes to one conversation are serialized: `seq` is `lastSeq + 1` inside the
 * transaction, so sequences are gap-free and never reused (G3). `appendMessage` is idempotent
 * on `(senderId, clientMsgId)` (G2). Nothing here checks access; callers go through
 * `chat/access.ts` first; a write by a user who stopped being a member between that check and
 * the write's transaction fails with `forbidden` (checked again inside the transaction, G7).
 */
export interface Store {
  /** Resolves when the store answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Writes accepted but not yet committed (a load signal for the guard). */
  readonly pendingWrites: number;
  /** Reads waiting for a database connection (a load signal for admission; 0 for SQLite, whose reads never wait). */
  readonly queuedReads: number;

  /** Create a user; `system` marks an account the server runs, in the same write (never a window unmarked). */
  createUser(user: UserRecord, system?: SystemKind): Promise<UserRecord>;
  /** The user with its secret and role. */
  getUserByUsername(username: string): Promise<UserRecord | null>;
  /** Users as others see them: without their role. */
  getUsers(ids: readonly string[]): Promise<User[]>;
  /** Set the role of the user with this username; the user with its role, or null when there is none. */
  setRole(username: string, role: UserRole): Promise<User | null>;
  /** The role of a user, or null when there is no such user. */
  getRole(userId: string): Promise<UserRole | null>;
  /** Users whose role is `staff` or `admin`, and the system accounts, as others see them (a name may not imitate theirs). */
  listStaff(): Promise<User[]>;
  /** The ids of people (not system accounts) whose role is one of `roles`. */
  userIdsWithRoles(roles: readonly UserRole[]): Promise<string[]>;
  /** Of these users, the system accounts and their kind; people are left out. */
  systemAccounts(userIds: readonly string[]): Promise<Map<string, SystemKind>>;
  /** Mark an existing user as a system account (one the server made before accounts were marked). */
  markSystemAccount(userId: string, kind: SystemKind): Promise<void>;

  /** A server setting, or null while none was claimed. */
  getSetting(key: string): Promise<string | null>;
  /**
   * Store `value` under `key` unless the key already has one, and return the value the key holds
   * after the write: of two nodes claiming at once, both get the first one's value.
   */
  claimSetting(key: string, value: string, at: string): Promise<string>;

  /**
   * Store a logged-in device; with `key`, its device key in the same write (one commit per
   * login), deleting `key.replacesKeyHash` when that is a key of the same user (keys rotate at
   * each login).
   */
  createDevice(device: DeviceRecord, tokenHash: string, key?: NewDeviceKey): Promise<void>;
  /** The unexpired, unrevoked device holding this token hash, with its user, in one read (every login and session opens with it). */
  getDeviceByTokenHash(tokenHash: string, now: string): Promise<{ device: DeviceRecord; user: User } | null>;
  /** Set the `lastSeenAt` of these devices to `at`, in one write. */
  touchDevices(deviceIds: readonly string[], at: string): Promise<void>;
  /** Of these devices, the ones neither revoked nor expired. */
  activeDeviceIds(deviceIds: readonly string[], now: string): Promise<Set<string>>;
  listDevices(userId: string, now: string): Promise<DeviceRecord[]>;
  /**
   * Revoke a device of this user at `at`, and delete its unused WebSocket tickets; false when there
   * was none. `forgetKey` deletes its device key too (a revoke from another device; a logout keeps it).
   */
  revokeDevice(userId: string, deviceId: string, at: string, forgetKey?: boolean): Promise<boolean>;

  /**
   * Keep a one-time WebSocket ticket (only its hash) for this device until `expiresAt`. Visible
   * to every node sharing the store once the promise resolves.
   */
  createWsTicket(ticketHash: string, deviceId: string, expiresAt: string): Promise<void>;
  /**
   * Redeem a ticket: atomically delete it and return its device and user — only when the ticket
   * had not expired at `now` and the device is neither revoked nor expired. Of concurrent
   * redemptions of one ticket (on any nodes), at most one succeeds.
   */
  redeemWsTicket(ticketHash: string, now: string): Promise<{ device: DeviceRecord; user: User } | null>;
  /** Delete the tickets expired at `now`; how many were deleted. */
  sweepWsTickets(now: string): Promise<number>;
  /** The unexpired device key with this hash, or null. */
  getDeviceKey(keyHash: string, now: string): Promise<DeviceKeyRecord | null>;
  /**
   * Set a user's password hash and, in the same transaction, end every other login: revoke each
   * device but `keepDeviceId` (revoked at `at`), delete every device key not issued to it, and drop
   * a pending reset. Returns the ids of the devices revoked (their sessions are closed by the caller).
   */
  setPassword(userId: string, passwordHash: string, keepDeviceId: string | null, at: string): Promise<string[]>;
  /**
   * Start a staff-initiated reset in one transaction: the password is replaced by `disabledHash`
   * (which no password matches), every device is revoked (at `at`) and every device key deleted,
   * and the reset code's hash is kept until `expiresAt` (replacing an earlier one). Returns the
   * devices revoked.
   */
  startPasswordReset(
    userId: string,
    codeHash: string,
    expiresAt: string,
    disabledHash: string,
    at: string,
  ): Promise<string[]>;
  /** Use up the user's reset when its code hash matches and it has not expired; false otherwise. */
  takePasswordReset(userId: string, codeHash: string, now: string): Promise<boolean>;

  addContact(userId: string, contactId: string, at: string): Promise<void>;
  removeContact(userId: string, contactId: string): Promise<void>;
  listContacts(userId: string): Promise<User[]>;
  addBlock(userId: string, blockedId: string, at: string): Promise<void>;
  removeBlock(userId: string, blockedId: string): Promise<void>;
  listBlocked(userId: string): Promise<User[]>;
  /** True when either user blocked the other. */
  isBlockedEitherWay(a: string, b: string): Promise<boolean>;
  /** Of `others`, those with a block either way between them and `userId`. */
  blockedEitherWayAmong(userId: string, others: readonly string[]): Promise<string[]>;
  /** Of `others`, those who blocked `userId`. */
  blockersAmong(userId: string, others: readonly string[]): Promise<string[]>;
  /** Of `others`, those who have `userId` among their contacts (added them). */
  contactOfAmong(userId: string, others: readonly string[]): Promise<string[]>;
  /** Of `userIds`, those who hide their presence (`account.update {hidePresence: true}`). */
  presenceHiddenAmong(userIds: readonly string[]): Promise<string[]>;
  /**
   * Keep when these users were last seen (their last connection closed), each only when later
   * than the time kept: presence lives in memory, and this lets a node started later, or every
   * node after a full restart, still say "last seen". Best effort, outside any feed write.
   */
  recordLastSeen(seen: ReadonlyMap<string, string>): Promise<void>;
  /** The last-seen times kept for these users (those with none are left out). */
  lastSeenAmong(userIds: readonly string[]): Promise<Map<string, string>>;

  /** The direct conversation of this pair, created once; `created` tells which. */
  getOrCreateDirect(conversation: Conversation): Promise<Written<Conversation> & { created: boolean }>;
  /** Create a group with its members, and invitations for those who must consent (`invite`). */
  createGroup(conversation: Conversation, invite?: InviteInput): Promise<WrittenWithInvitations>;
  getConversation(id: string): Promise<Conversation | null>;
  /** The active membership of `userId`, or null. */
  getMember(conversationId: string, userId: string): Promise<MemberState | null>;
  getMembers(conversationId: string): Promise<MemberState[]>;
  lastSeq(conversationId: string): Promise<number>;
  /** Change one's profile; `account.updated` goes to one's own devices. */
  updateProfile(userId: string, change: ProfileChange, at: string): Promise<Written<User>>;
  /**
   * Tombstone an account (profile, credentials, devices, contacts and blocks gone; the row and
   * its messages stay); returns the devices whose sessions must close. Leaving its groups is the
   * caller's part, one group per write.
   */
  deleteAccount(userId: string, at: string): Promise<string[]>;
  /** One's own data for an export: the messages one wrote (no system lines) and the files one uploaded. */
  ownData(userId: string): Promise<{ messages: Message[]; files: FileRecord[] }>;
  /** Rename a group; the write appends its system line (`line`), as every group change below does. */
  updateTitle(conversationId: string, title: string, byUserId: string, at: string): Promise<Written<Conversation>>;
  /** Set (`null`: remove) a group's photo; the line carries the photo, which members may then read. */
  updatePhoto(
    conversationId: string,
    photo: FileInfo | null,
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>>;
  /** As the owner (checked inside the write, else `forbidden`), make a member an admin or a member again. */
  setMemberRole(
    conversationId: string,
    userId: string,
    role: "admin" | "member",
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>>;
  /** As the owner (checked inside the write), hand the group to another member; the old owner becomes an admin. */
  transferOwnership(
    conversationId: string,
    userId: string,
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>>;
  /**
   * Add members, and invite others (`invite`); `member_limit_exceeded` (checked inside the write)
   * past `maxMembers`; `forbidden` when `byUserId` is no longer a member.
   */
  addMembers(
    conversationId: string,
    userIds: readonly string[],
    byUserId: string,
    at: string,
    maxMembers: number,
    invite?: InviteInput,
  ): Promise<WrittenWithInvitations>;
  removeMember(conversationId: string, userId: string, byUserId: string, at: string): Promise<Written<Conversation>>;
  /** Every conversation of the user (unpaged; for the server's own use, never a client's reply). */
  listConversations(userId: string): Promise<ConversationSummary[]>;
  /**
   * One page of the user's conversations, most recently active first, ties by id; `last` is the
   * place of the page's last conversation in that order (the next page's `after`).
   */
  listConversationPage(userId: string, page: ConversationPageInput): Promise<ConversationPage>;

  /** The pending, unexpired invitations of `inviteeId` from users neither side blocked, newest first, at most `limit`. */
  listInvitations(inviteeId: string, now: string, limit: number): Promise<Invitation[]>;
  /**
   * Accept or decline a pending invitation of `inviteeId`: `invitation_not_found` when it is not
   * theirs or was answered the other way, `invitation_expired` past its expiry. Answering again
   * the same way returns it and writes nothing. Accepting adds the invitee as a member (the
   * `conversation` written, `member_limit_exceeded` past `maxMembers`, `conversation_not_found`
   * when the group is gone, `blocked` when a block stands between invitee and inviter) in the
   * same transaction as the answer.
   */
  answerInvitation(
    invitationId: string,
    inviteeId: string,
    accept: boolean,
    at: string,
    maxMembers: number,
  ): Promise<{ invitation: Written<Invitation>; conversation: Written<Conversation> | null }>;
  /**
   * Keep a new invite link of a group, as its owner or an admin (`forbidden` otherwise, checked
   * in the write); `group_link_limit_exceeded` when the group has `perGroup` live links.
   */
  createGroupLink(link: GroupLink, perGroup: number, at: string): Promise<GroupLink>;
  /** A group's invite links, newest first, at most `limit`; its owner and admins only (`forbidden`). */
  listGroupLinks(conversationId: string, byUserId: string, limit: number): Promise<GroupLink[]>;
  /** Revoke one of a group's links, as its owner or an admin; again returns it unchanged; `group_link_not_found`. */
  revokeGroupLink(conversationId: string, linkId: string, byUserId: string, at: string): Promise<GroupLink>;
  /**
   * The link a token names if usable at `at`: `group_link_not_found`, `group_link_revoked` (also
   * when its maker no longer manages the group), `group_link_expired`, `group_link_used_up`.
   */
  usableGroupLink(token: string, at: string): Promise<GroupLink>;
  /**
   * Join the group of a usable link, in one write with its use count: `blocked` with a block
   * either way between joiner and the link's maker, `member_limit_exceeded` past `maxMembers`.
   * A member already gets the group back and uses nothing (`event` null).
   */
  joinByGroupLink(
    token: string,
    userId: string,
    at: string,
    maxMembers: number,
  ): Promise<{ link: GroupLink; conversation: Written<Conversation> }>;
  /** True when the user is or was a member of the conversation, or was invited to it. */
  hasKnownConversation(userId: string, conversationId: string): Promise<boolean>;
  /** Keep a report for staff; a second report of one group by one user returns the first. */
  addReport(report: ConversationReport): Promise<ConversationReport>;
  /** The newest reports, for staff. */
  listReports(limit: number): Promise<ConversationReport[]>;

  /**
   * Append a message with the next seq and advance the sender's read cursor to it. When the
   * sender already used this `clientMsgId`, return that message with `duplicate: true` and
   * write nothing.
   */
  appendMessage(input: AppendMessageInput): Promise<Written<Message> & { duplicate: boolean }>;
  /** The message this sender sent with this clientMsgId, if any. */
  findByClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null>;
  getMessage(conversationId: string, seq: number): Promise<Message | null>;
  /**
   * Edit a message that is not deleted (`message_deleted` otherwise), as `actorId`;
   * `dropPreview` removes its link preview in the same write (the edit changed its first link).
   */
  editMessage(
    conversationId: string,
    seq: number,
    text: string,
    mentions: string[],
    mentionsAll: boolean,
    at: string,
    actorId: string,
    dropPreview?: boolean,
  ): Promise<Written<Message>>;
  /** Erase a message's text (and the text in the feed events that carried it), keeping its seq. */
  deleteMessage(conversationId: string, seq: number, at: string, actorId: string): Promise<Written<Message>>;
  /** Add or remove one reaction; no event when nothing changed. */
  setReaction(
    conversationId: string,
    seq: number,
    userId: string,
    emoji: string,
    add: boolean,
    at: string,
  ): Promise<Written<Message>>;
  /**
   * Messages in seq order: after `afterSeq`, or before `beforeSeq` (the newest `limit` of them),
   * or the window around `aroundSeq` (it and the newer half of the limit, rounded up, then the
   * older rest; `hasMoreBefore`/`hasMoreAfter` per side; an empty page past the last seq).
   */
  history(conversationId: string, page: HistoryPage): Promise<HistoryWindow>;

  /**
   * The messages of `search.userId` whose text contains `search.query` (case-insensitive),
   * newest first (`createdAt`, then conversation id and seq, descending), at most `limit`: only
   * in conversations the user is an active member of, and in each only the messages sent during
   * one of their membership spans (G7); never a deleted message, an edited one only by its
   * current text (the index changes in the edit's own transaction); a message is found from
   * the moment its append resolves, indexed or not yet. A two-character query reads
   * at most SHORT_QUERY_SCAN_ROWS messages; a longer one goes through the index.
   */
  searchMessages(search: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }>;

  /**
   * Pin a message of a group as its notice (`pin`), or take the notice down (`null`), as
   * `actorId`, who must be the group's owner (`forbidden`); the message must exist and not be
   * deleted (`message_not_found`, `message_deleted`), checked inside the write. A
   * `conversation.updated` event only when the notice changed. Deleting the pinned message
   * takes the notice down in the delete's own write.
   */
  setPinned(
    conversationId: string,
    pin: { seq: number; at: string } | null,
    actorId: string,
    at: string,
  ): Promise<Written<Conversation>>;

  /** Move a read cursor forward (never back, never past lastSeq); event only when it moved. */
  markRead(conversationId: string, userId: string, seq: number, at: string): Promise<Written<number>>;

  /**
   * The feed of `userId` after `cursor` (from the beginning without one): every event of every
   * conversation while the user was a member of it, and of the user's own channel, at most
   * `limit`, with the cursor to read on from. Read page after page, it gives every event once:
   * none skipped, none repeated (G4), a conversation's events in the order they were committed.
   * `invalid_cursor` for a cursor this store did not issue.
   */
  feed(userId: string, cursor: string | undefined, limit: number): Promise<FeedPage>;
  /** The highest eventId there is (a fresh cursor for a client that wants only what comes next). */
  lastEventId(): Promise<number>;

  /**
   * Keep an upload's file row. Idempotent on (ownerId, sha256, name): the same upload retried
   * returns the first row (`created: false`) and writes nothing. Resolves once committed.
   */
  insertFile(file: FileRecord): Promise<{ file: FileRecord; created: boolean }>;
  /** The file rows with these ids that exist (any order). */
  getFiles(ids: readonly string[]): Promise<FileRecord[]>;
  /**
   * Of these file ids, those `userId` may read: files they uploaded, and files carried by a
   * message (not deleted) of a conversation they are an active member of, and profile photos.
   */
  readableFileIds(userId: string, ids: readonly string[]): Promise<Set<string>>;
  /**
   * The files carried by the conversation's messages (not deleted), newest message first and in
   * each message's order, after the place `after` (a previous page's last), at most `limit`;
   * `photo`: files with a thumbnail, `file`: the others.
   */
  listConversationFiles(
    conversationId: string,
    page: { kind?: "photo" | "file"; after?: { seq: number; position: number }; limit: number },
  ): Promise<{ files: (ConversationFile & { position: number })[]; hasMore: boolean }>;
  /** The bytes of the files `ownerId` has uploaded and that still exist (their quota's use). */
  usedFileBytes(ownerId: string): Promise<number>;
  /**
   * Collect garbage, in one write: file rows never attached and created before
   * `unattachedBefore` are removed; then, of at most `limit` blobs that lost a file row (here, or
   * when a message was deleted for everyone), each that no file row names any more is passed to
   * `deleteBlob` inside the write, so that no upload can take it up between the check and the delete.
   * Expired link-preview cache rows that no message carries go too, their images with them.
   */
  sweepFiles(
    unattachedBefore: string,
    limit: number,
    deleteBlob: (sha256: string) => Promise<void>,
  ): Promise<FileSweep>;

  /** Keep the user's mute of one chat, announced by a `notify.mute` event on the user's own channel. */
  setMute(userId: string, mute: ChatMute, at: string): Promise<Written<ChatMute>>;
  /** Keep the user's notification settings, announced by a `notify.settings` event on the user's own channel. */
  setNotifySettings(userId: string, settings: NotifySettings, at: string): Promise<Written<NotifySettings>>;
  /** The user's settings (defaults when never set) and every chat mute they set. */
  notifyState(userId: string): Promise<{ settings: NotifySettings; mutes: ChatMute[] }>;
  /** For a message in `conversationId`: each of these users' settings and mute of it. */
  notifyPrefs(userIds: readonly string[], conversationId: string): Promise<Map<string, NotifyPrefs>>;
  /** Keep a push subscription; the same endpoint again replaces the earlier one (whoever made it). */
  addPushSubscription(subscription: PushSubscriptionRecord): Promise<void>;
  /** Remove an endpoint: of this user only, or whoever's when `userId` is null (the push service said it is gone). */
  removePushSubscription(endpoint: string, userId: string | null): Promise<boolean>;
  /** The subscriptions of these users on devices neither revoked nor expired at `now`. */
  pushSubscriptions(userIds: readonly string[], now: string): Promise<PushSubscriptionRecord[]>;
  /** Keep a push waiting for a retry (written alone: no feed event, never part of a send's write). */
  addPushRetry(retry: PushRetryRecord): Promise<void>;
  /** Take a kept retry to try it now: true for the one caller, on any node, that removed it; false when it was gone. */
  claimPushRetry(id: string): Promise<boolean>;
  /**
   * Kept retries to resume at a start: at most `limit`, the soonest due first. Those due before
   * `staleBefore` are removed instead (their notification would come too late to matter).
   */
  pendingPushRetries(limit: number, staleBefore: string): Promise<PushRetryRecord[]>;
  /** The cached preview of a normalized URL (expired or not: the caller compares `expiresAt`), or null. */
  getLinkPreview(url: string): Promise<LinkPreviewRecord | null>;
  /**
   * Cache a fetch's outcome for its URL, replacing an earlier one but keeping its `id` (messages
   * that carry the preview keep reading its image); an image the new record no longer names
   * becomes a garbage candidate for `sweepFiles`. Returns the stored record.
   */
  saveLinkPreview(record: LinkPreviewRecord): Promise<LinkPreviewRecord>;
  /**
   * Attach a preview to a message, only while the message is not deleted and its text is still
   * `text` (an edit or a delete that committed first wins: null, nothing written). The write
   * appends a `message.preview` feed event for the members.
   */
  attachPreview(
    conversationId: string,
    seq: number,
    text: string,
    previewId: string,
    preview: LinkPreview,
    at: string,
  ): Promise<Written<Message> | null>;
  /**
   * The blob of a preview's image when `userId` may read it: a message (not deleted) of a
   * conversation they are an active member of carries the preview. Null otherwise, and when it
   * has no image.
   */
  readablePreviewImage(userId: string, previewId: string): Promise<string | null>;
}

/**
 * A cached link preview: what the page at `url` (normalized) said, or, without `preview`, that
 * fetching it failed or was refused. Valid until `expiresAt`; `id` names it in image paths.
 */
export interface LinkPreviewRecord {
  url: string;
  id: string;
  preview?: { title?: string; description?: string; siteName?: string };
  imageSha256?: string;
  fetchedAt: string;
  expiresAt: string;
}
