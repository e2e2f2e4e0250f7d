/** @module The store interface: the one place state lives. Adapters: `sqlite/` (embedded default). */

import type { FeedEvent } from "../protocol/events.js";
import type { Conversation, ConversationSummary, MemberState, Message, User, UserRole } from "../protocol/index.js";

/** A user with the secret the store keeps for it; `role` defaults to `user` when created without one. */
export interface UserRecord extends User {
  passwordHash: string;
}

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
}

/** Raised when a unique key is already taken (username). */
export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}

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

  createUser(user: UserRecord): Promise<UserRecord>;
  /** The user with its secret and role. */
  getUserByUsername(username: string): Promise<UserRecord | null>;
  /** Users as others see them: without their role. */
  getUsers(ids: readonly string[]): Promise<User[]>;
  /** Set the role of the user with this username; the user with its role, or null when there is none. */
  setRole(username: string, role: UserRole): Promise<User | null>;
  /** The role of a user, or null when there is no such user. */
  getRole(userId: string): Promise<UserRole | null>;

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
  /** Revoke a device of this user; false when there was none. */
  revokeDevice(userId: string, deviceId: string): Promise<boolean>;

  /** The unexpired device key with this hash, or null. */
  getDeviceKey(keyHash: string, now: string): Promise<DeviceKeyRecord | null>;
  /**
   * Set a user's password hash and, in the same transaction, end every other login: revoke each
   * device but `keepDeviceId`, delete every device key not issued to it, and drop a pending
   * reset. Returns the ids of the devices revoked (their sessions are closed by the caller).
   */
  setPassword(userId: string, passwordHash: string, keepDeviceId: string | null): Promise<string[]>;
  /**
   * Start a staff-initiated reset in one transaction: the password is replaced by `disabledHash`
   * (which no password matches), every device is revoked and every device key deleted, and the
   * reset code's hash is kept until `expiresAt` (replacing an earlier one). Returns the devices revoked.
   */
  startPasswordReset(userId: string, codeHash: string, expiresAt: string, disabledHash: string): Promise<string[]>;
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
  /** True when the two are contacts of each other or share a conversation, and neither blocked the other. */
  isAcquainted(viewer: string, target: string): Promise<boolean>;

  /** The direct conversation of this pair, created once; `created` tells which. */
  getOrCreateDirect(conversation: Conversation): Promise<Written<Conversation> & { created: boolean }>;
  createGroup(conversation: Conversation): Promise<Written<Conversation>>;
  getConversation(id: string): Promise<Conversation | null>;
  /** The active membership of `userId`, or null. */
  getMember(conversationId: string, userId: string): Promise<MemberState | null>;
  getMembers(conversationId: string): Promise<MemberState[]>;
  lastSeq(conversationId: string): Promise<number>;
  updateTitle(conversationId: string, title: string, byUserId: string): Promise<Written<Conversation>>;
  /** Add members; `member_limit_exceeded` (checked inside the write) past `maxMembers`. */
  addMembers(
    conversationId: string,
    userIds: readonly string[],
    byUserId: string,
    at: string,
    maxMembers: number,
  ): Promise<Written<Conversation>>;
  removeMember(conversationId: string, userId: string, byUserId: string): Promise<Written<Conversation>>;
  listConversations(userId: string): Promise<ConversationSummary[]>;

  /**
   * Append a message with the next seq and advance the sender's read cursor to it. When the
   * sender already used this `clientMsgId`, return that message with `duplicate: true` and
   * write nothing.
   */
  appendMessage(input: AppendMessageInput): Promise<Written<Message> & { duplicate: boolean }>;
  /** The message this sender sent with this clientMsgId, if any. */
  findByClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null>;
  getMessage(conversationId: string, seq: number): Promise<Message | null>;
  /** Edit a message that is not deleted (`message_deleted` otherwise), as `actorId`. */
  editMessage(
    conversationId: string,
    seq: number,
    text: string,
    mentions: string[],
    mentionsAll: boolean,
    at: string,
    actorId: string,
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
  /** Messages in seq order: after `afterSeq`, or before `beforeSeq` (the newest `limit` of them). */
  history(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }>;

  /** Move a read cursor forward (never back, never past lastSeq); event only when it moved. */
  markRead(conversationId: string, userId: string, seq: number): Promise<Written<number>>;

  /**
   * The feed of `userId` after `afterEventId`: every event of every conversation while the
   * user was a member of it, in eventId order, at most `limit`.
   */
  feed(userId: string, afterEventId: number, limit: number): Promise<{ events: FeedEvent[]; hasMore: boolean }>;
  /** The highest eventId there is (a fresh cursor for a client that wants only what comes next). */
  lastEventId(): Promise<number>;
}
