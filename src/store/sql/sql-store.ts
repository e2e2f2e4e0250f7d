/** @module The Store on SQL: dialect-agnostic; a driver (sqlite or postgres) supplies connections and group commit. */
import type {
  Conversation,
  ConversationSummary,
  FeedEvent,
  MemberState,
  Message,
  User,
  UserRole,
} from "../../protocol/index.js";
import {
  type AppendMessageInput,
  type DeviceKeyRecord,
  type DeviceRecord,
  type NewDeviceKey,
  type Store,
  StoreConflictError,
  type UserRecord,
  type Written,
} from "../store.js";
import * as accounts from "./account-queries.js";
import { APPEND_MESSAGE } from "./append-messages.js";
import * as conversations from "./conversation-queries.js";
import * as feed from "./feed-queries.js";
import * as messages from "./message-queries.js";
import type { SqlDriver } from "./sql-driver.js";

/** Reads go to the driver's reader (committed data only); every write goes through its group commit. */
export class SqlStore implements Store {
  constructor(readonly driver: SqlDriver) {}

  private get db() {
    return this.driver.reader;
  }

  ping(): Promise<void> {
    return this.driver.ping();
  }

  get pendingWrites(): number {
    return this.driver.pendingWrites;
  }

  get queuedReads(): number {
    return this.driver.queuedReads;
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  async createUser(user: UserRecord): Promise<UserRecord> {
    try {
      await this.driver.write((tx) => accounts.insertUser(tx, user));
    } catch (error) {
      if (this.driver.isUniqueViolation(error)) throw new StoreConflictError("username");
      throw error;
    }
    return user;
  }

  getUserByUsername(username: string): Promise<UserRecord | null> {
    return accounts.userByUsername(this.db, username);
  }

  getUsers(ids: readonly string[]): Promise<User[]> {
    return accounts.usersById(this.db, ids);
  }

  setRole(username: string, role: UserRole): Promise<User | null> {
    return this.driver.write((tx) => accounts.updateRole(tx, username, role));
  }

  getRole(userId: string): Promise<UserRole | null> {
    return accounts.roleOf(this.db, userId);
  }

  createDevice(device: DeviceRecord, tokenHash: string, key?: NewDeviceKey): Promise<void> {
    return this.driver.write(async (tx) => {
      await accounts.insertDevice(tx, device, tokenHash);
      if (key) await accounts.insertDeviceKey(tx, device, key);
    });
  }

  getDeviceByTokenHash(tokenHash: string, now: string): Promise<{ device: DeviceRecord; user: User } | null> {
    return accounts.deviceByTokenHash(this.db, tokenHash, now);
  }

  async touchDevices(deviceIds: readonly string[], at: string): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.driver.write((tx) => accounts.touchDevices(tx, deviceIds, at));
  }

  activeDeviceIds(deviceIds: readonly string[], now: string): Promise<Set<string>> {
    return accounts.activeDevices(this.db, deviceIds, now);
  }

  listDevices(userId: string, now: string): Promise<DeviceRecord[]> {
    return accounts.devicesOf(this.db, userId, now);
  }

  async revokeDevice(userId: string, deviceId: string): Promise<boolean> {
    const result = await this.driver.write((tx) =>
      tx.run("UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL", [
        new Date().toISOString(),
        deviceId,
        userId,
      ]),
    );
    return result.changes > 0;
  }

  getDeviceKey(keyHash: string, now: string): Promise<DeviceKeyRecord | null> {
    return accounts.deviceKeyByHash(this.db, keyHash, now);
  }

  setPassword(userId: string, passwordHash: string, keepDeviceId: string | null): Promise<string[]> {
    return this.driver.write((tx) => accounts.replacePassword(tx, userId, passwordHash, keepDeviceId));
  }

  startPasswordReset(userId: string, codeHash: string, expiresAt: string, disabledHash: string): Promise<string[]> {
    return this.driver.write(async (tx) => {
      const revoked = await accounts.replacePassword(tx, userId, disabledHash, null);
      await tx.run("INSERT INTO password_resets (user_id, code_hash, expires_at) VALUES (?, ?, ?)", [
        userId,
        codeHash,
        expiresAt,
      ]);
      return revoked;
    });
  }

  async takePasswordReset(userId: string, codeHash: string, now: string): Promise<boolean> {
    const { changes } = await this.driver.write((tx) =>
      tx.run("DELETE FROM password_resets WHERE user_id = ? AND code_hash = ? AND expires_at > ?", [
        userId,
        codeHash,
        now,
      ]),
    );
    return changes > 0;
  }

  async addContact(userId: string, contactId: string, at: string): Promise<void> {
    await this.driver.write((tx) =>
      tx.run("INSERT INTO contacts (user_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [
        userId,
        contactId,
        at,
      ]),
    );
  }

  async removeContact(userId: string, contactId: string): Promise<void> {
    await this.driver.write((tx) =>
      tx.run("DELETE FROM contacts WHERE user_id = ? AND contact_id = ?", [userId, contactId]),
    );
  }

  listContacts(userId: string): Promise<User[]> {
    return accounts.contactsOf(this.db, userId);
  }

  async addBlock(userId: string, blockedId: string, at: string): Promise<void> {
    await this.driver.write((tx) =>
      tx.run("INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [
        userId,
        blockedId,
        at,
      ]),
    );
  }

  async removeBlock(userId: string, blockedId: string): Promise<void> {
    await this.driver.write((tx) =>
      tx.run("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?", [userId, blockedId]),
    );
  }

  listBlocked(userId: string): Promise<User[]> {
    return accounts.blockedBy(this.db, userId);
  }

  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return accounts.blockedEitherWay(this.db, a, b);
  }

  async isAcquainted(viewer: string, target: string): Promise<boolean> {
    return viewer === target || accounts.acquainted(this.db, viewer, target);
  }

  getOrCreateDirect(conversation: Conversation): Promise<Written<Conversation> & { created: boolean }> {
    return this.driver.write((tx) => conversations.getOrCreateDirect(tx, conversation));
  }

  createGroup(conversation: Conversation): Promise<Written<Conversation>> {
    return this.driver.write((tx) => conversations.insertConversation(tx, conversation, null));
  }

  getConversation(id: string): Promise<Conversation | null> {
    return conversations.conversationById(this.db, id);
  }

  getMember(conversationId: string, userId: string): Promise<MemberState | null> {
    return conversations.activeMember(this.db, conversationId, userId);
  }

  getMembers(conversationId: string): Promise<MemberState[]> {
    return conversations.membersOf(this.db, conversationId);
  }

  lastSeq(conversationId: string): Promise<number> {
    return conversations.lastSeqOf(this.db, conversationId);
  }

  updateTitle(conversationId: string, title: string, byUserId: string): Promise<Written<Conversation>> {
    const at = new Date().toISOString();
    return this.driver.write((tx) => conversations.updateTitle(tx, conversationId, title, byUserId, at));
  }

  addMembers(
    conversationId: string,
    userIds: readonly string[],
    byUserId: string,
    at: string,
    maxMembers: number,
  ): Promise<Written<Conversation>> {
    return this.driver.write((tx) => conversations.addMembers(tx, conversationId, userIds, byUserId, at, maxMembers));
  }

  removeMember(conversationId: string, userId: string, byUserId: string): Promise<Written<Conversation>> {
    const at = new Date().toISOString();
    return this.driver.write((tx) => conversations.removeMember(tx, conversationId, userId, byUserId, at));
  }

  listConversations(userId: string): Promise<ConversationSummary[]> {
    return conversations.conversationsOf(this.db, userId);
  }

  appendMessage(input: AppendMessageInput): Promise<Written<Message> & { duplicate: boolean }> {
    // Sends of one group commit share their statements (store/sql/append-messages.ts).
    return this.driver.writeBatched(APPEND_MESSAGE, input);
  }

  findByClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null> {
    return messages.messageByClientMsgId(this.db, senderId, clientMsgId);
  }

  getMessage(conversationId: string, seq: number): Promise<Message | null> {
    return messages.messageAt(this.db, conversationId, seq);
  }

  editMessage(
    conversationId: string,
    seq: number,
    text: string,
    mentions: string[],
    mentionsAll: boolean,
    at: string,
    actorId: string,
  ): Promise<Written<Message>> {
    return this.driver.write((tx) =>
      messages.editMessage(tx, conversationId, seq, text, mentions, mentionsAll, at, actorId),
    );
  }

  deleteMessage(conversationId: string, seq: number, at: string, actorId: string): Promise<Written<Message>> {
    return this.driver.write((tx) => messages.deleteMessage(tx, conversationId, seq, at, actorId));
  }

  setReaction(
    conversationId: string,
    seq: number,
    userId: string,
    emoji: string,
    add: boolean,
    at: string,
  ): Promise<Written<Message>> {
    return this.driver.write((tx) => messages.setReaction(tx, conversationId, seq, userId, emoji, add, at));
  }

  history(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    return messages.historyOf(this.db, conversationId, page);
  }

  markRead(conversationId: string, userId: string, seq: number): Promise<Written<number>> {
    const at = new Date().toISOString();
    return this.driver.write((tx) => messages.markRead(tx, conversationId, userId, seq, at));
  }

  feed(userId: string, afterEventId: number, limit: number): Promise<{ events: FeedEvent[]; hasMore: boolean }> {
    return feed.feedOf(this.db, userId, afterEventId, limit);
  }

  lastEventId(): Promise<number> {
    return feed.lastEventId(this.db);
  }
}
