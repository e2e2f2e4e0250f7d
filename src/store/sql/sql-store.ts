/** @module The Store on SQL: dialect-agnostic; a driver (sqlite or postgres) supplies connections and group commit. */
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
  User,
  UserRole,
} from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import {
  type AppendMessageInput,
  type ConversationPage,
  type ConversationPageInput,
  type DeviceKeyRecord,
  type DeviceRecord,
  type FeedPage,
  type FileRecord,
  type FileSweep,
  type HistoryPage,
  type HistoryWindow,
  type InviteInput,
  type LinkPreviewRecord,
  type MessageSearch,
  type NewDeviceKey,
  type NotifyPrefs,
  type ProfileChange,
  type PushRetryRecord,
  type PushSubscriptionRecord,
  type Store,
  StoreConflictError,
  type SystemKind,
  type UserRecord,
  type Written,
  type WrittenWithInvitations,
} from "../store.js";
import * as accounts from "./account-queries.js";
import { APPEND_MESSAGE, APPEND_MESSAGE_ARRAYS } from "./append-messages.js";
import * as conversations from "./conversation-queries.js";
import * as feed from "./feed-queries.js";
import * as files from "./file-queries.js";
import * as groupLinks from "./group-link-queries.js";
import * as groups from "./group-queries.js";
import * as invitations from "./invitation-queries.js";
import * as messages from "./message-queries.js";
import * as notify from "./notify-queries.js";
import * as pins from "./pin-queries.js";
import * as previews from "./preview-queries.js";
import * as profiles from "./profile-queries.js";
import * as pushRetries from "./push-retry-queries.js";
import * as searchQueries from "./search-queries.js";
import type { SqlDriver } from "./sql-driver.js";
import * as tickets from "./ticket-queries.js";

/**
 * Reads go to the driver's reader (committed data only); every write goes through its group
 * commit, except the WebSocket tickets' (`writeAlone`: no feed event depends on them).
 */
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

  async createUser(user: UserRecord, system?: SystemKind): Promise<UserRecord> {
    try {
      await this.driver.write((tx) => accounts.insertUser(tx, user, system ?? null));
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

  listStaff(): Promise<User[]> {
    return accounts.staffUsers(this.db);
  }

  userIdsWithRoles(roles: readonly UserRole[]): Promise<string[]> {
    return accounts.idsWithRoles(this.db, roles);
  }

  systemAccounts(userIds: readonly string[]): Promise<Map<string, SystemKind>> {
    return accounts.systemKinds(this.db, userIds);
  }

  async markSystemAccount(userId: string, kind: SystemKind): Promise<void> {
    await this.driver.write((tx) => tx.run("UPDATE users SET system_kind = ? WHERE id = ?", [kind, userId]));
  }

  async getSetting(key: string): Promise<string | null> {
    const row = await this.db.get<{ value: string }>("SELECT value FROM server_settings WHERE key = ?", [key]);
    return row?.value ?? null;
  }

  claimSetting(key: string, value: string, at: string): Promise<string> {
    // Insert-if-absent and read back in one transaction: the loser of a race reads the winner's value.
    return this.driver.write(async (tx) => {
      await tx.run(
        "INSERT INTO server_settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        [key, value, at],
      );
      const row = await tx.get<{ value: string }>("SELECT value FROM server_settings WHERE key = ?", [key]);
      if (!row) throw new Error(`setting ${key} vanished inside a transaction`);
      return row.value;
    });
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

  async revokeDevice(userId: string, deviceId: string, at: string, forgetKey = false): Promise<boolean> {
    const result = await this.driver.write(async (tx) => {
      const revoked = await tx.run(
        "UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        [at, deviceId, userId],
      );
      if (revoked.changes > 0) {
        await tickets.deleteDeviceTickets(tx, deviceId);
        // Revoked from another device (lost, stolen): its key goes too, so it no longer logs in past the account's wait.
        if (forgetKey) await tx.run("DELETE FROM device_keys WHERE device_id = ? AND user_id = ?", [deviceId, userId]);
      }
      return revoked;
    });
    return result.changes > 0;
  }

  createWsTicket(ticketHash: string, deviceId: string, expiresAt: string): Promise<void> {
    return this.driver.writeAlone((db) => tickets.insertTicket(db, ticketHash, deviceId, expiresAt));
  }

  redeemWsTicket(ticketHash: string, now: string): Promise<{ device: DeviceRecord; user: User } | null> {
    return this.driver.writeAlone(async (db) => {
      const deviceId = await tickets.takeTicket(db, ticketHash, now);
      // Through the same executor as the delete: on SQLite, inside the same write transaction.
      return deviceId === null ? null : accounts.deviceById(db, deviceId, now);
    });
  }

  sweepWsTickets(now: string): Promise<number> {
    return this.driver.writeAlone((db) => tickets.deleteExpiredTickets(db, now));
  }

  getDeviceKey(keyHash: string, now: string): Promise<DeviceKeyRecord | null> {
    return accounts.deviceKeyByHash(this.db, keyHash, now);
  }

  setPassword(userId: string, passwordHash: string, keepDeviceId: string | null, at: string): Promise<string[]> {
    return this.driver.write((tx) => accounts.replacePassword(tx, userId, passwordHash, keepDeviceId, at));
  }

  startPasswordReset(
    userId: string,
    codeHash: string,
    expiresAt: string,
    disabledHash: string,
    at: string,
  ): Promise<string[]> {
    return this.driver.write(async (tx) => {
      const revoked = await accounts.replacePassword(tx, userId, disabledHash, null, at);
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

  blockedEitherWayAmong(userId: string, others: readonly string[]): Promise<string[]> {
    return accounts.blockedEitherWayAmong(this.db, userId, others);
  }

  blockersAmong(userId: string, others: readonly string[]): Promise<string[]> {
    return accounts.blockersAmong(this.db, userId, others);
  }

  contactOfAmong(userId: string, others: readonly string[]): Promise<string[]> {
    return accounts.contactOfAmong(this.db, userId, others);
  }

  async presenceHiddenAmong(userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.all<{ id: string }>(
      `SELECT id FROM users WHERE hide_presence = 1 AND id IN (${userIds.map(() => "?").join(", ")})`,
      [...userIds],
    );
    return rows.map((r) => r.id);
  }

  async recordLastSeen(seen: ReadonlyMap<string, string>): Promise<void> {
    const entries = [...seen];
    // One statement per chunk: a node closing thousands of sessions at once writes a handful.
    for (let i = 0; i < entries.length; i += 400) {
      const chunk = entries.slice(i, i + 400);
      const cases = chunk.map(() => "WHEN ? THEN ?").join(" ");
      const params = chunk.flatMap(([id, at]) => [id, at]);
      const ids = chunk.map(([id]) => id);
      await this.driver.writeAlone((db) =>
        db.run(
          `UPDATE users SET last_seen_at = CASE id ${cases} END
           WHERE id IN (${ids.map(() => "?").join(", ")})
             AND (last_seen_at IS NULL OR last_seen_at < CASE id ${cases} END)`,
          [...params, ...ids, ...params],
        ),
      );
    }
  }

  async lastSeenAmong(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db.all<{ id: string; last_seen_at: string }>(
      `SELECT id, last_seen_at FROM users WHERE last_seen_at IS NOT NULL AND id IN (${userIds.map(() => "?").join(", ")})`,
      [...userIds],
    );
    return new Map(rows.map((r) => [r.id, r.last_seen_at]));
  }

  async getOrCreateDirect(conversation: Conversation): Promise<Written<Conversation> & { created: boolean }> {
    try {
      return await this.driver.write((tx) => conversations.getOrCreateDirect(tx, conversation));
    } catch (error) {
      // The same pair created at once on another lane or node: its row is there now, read it.
      if (!this.driver.isUniqueViolation(error)) throw error;
      return this.driver.write((tx) => conversations.getOrCreateDirect(tx, conversation));
    }
  }

  createGroup(conversation: Conversation, invite?: InviteInput): Promise<WrittenWithInvitations> {
    return this.driver.write(async (tx) => {
      const written = await conversations.insertConversation(tx, conversation, null);
      return {
        ...written,
        invitations: invite ? await invitations.insertInvitations(tx, invite, conversation.createdAt) : [],
      };
    });
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

  updateTitle(conversationId: string, title: string, byUserId: string, at: string): Promise<Written<Conversation>> {
    return this.driver.write(
      (tx) => conversations.updateTitle(tx, conversationId, title, byUserId, at),
      [conversationId],
    );
  }

  updateProfile(userId: string, change: ProfileChange, at: string): Promise<Written<User>> {
    return this.driver.write((tx) => profiles.updateProfile(tx, userId, change, at));
  }

  deleteAccount(userId: string, at: string): Promise<string[]> {
    return this.driver.write((tx) => profiles.tombstoneUser(tx, userId, at));
  }

  ownData(userId: string): Promise<{ messages: Message[]; files: FileRecord[] }> {
    return profiles.ownData(this.db, userId);
  }

  updatePhoto(
    conversationId: string,
    photo: FileInfo | null,
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>> {
    return this.driver.write((tx) => groups.updatePhoto(tx, conversationId, photo, byUserId, at), [conversationId]);
  }

  setMemberRole(
    conversationId: string,
    userId: string,
    role: "admin" | "member",
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>> {
    return this.driver.write(
      (tx) => groups.setMemberRole(tx, conversationId, userId, role, byUserId, at),
      [conversationId],
    );
  }

  transferOwnership(
    conversationId: string,
    userId: string,
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>> {
    return this.driver.write(
      (tx) => groups.transferOwnership(tx, conversationId, userId, byUserId, at),
      [conversationId],
    );
  }

  addMembers(
    conversationId: string,
    userIds: readonly string[],
    byUserId: string,
    at: string,
    maxMembers: number,
    invite?: InviteInput,
  ): Promise<WrittenWithInvitations> {
    return this.driver.write(
      (tx) => conversations.addMembers(tx, conversationId, userIds, byUserId, at, maxMembers, invite),
      [conversationId],
    );
  }

  removeMember(conversationId: string, userId: string, byUserId: string, at: string): Promise<Written<Conversation>> {
    return this.driver.write(
      (tx) => conversations.removeMember(tx, conversationId, userId, byUserId, at),
      [conversationId],
    );
  }

  listConversations(userId: string): Promise<ConversationSummary[]> {
    return conversations.conversationsOf(this.db, userId);
  }

  listConversationPage(userId: string, page: ConversationPageInput): Promise<ConversationPage> {
    return conversations.conversationPageOf(this.db, userId, page);
  }

  listInvitations(inviteeId: string, now: string, limit: number): Promise<Invitation[]> {
    return invitations.pendingInvitationsOf(this.db, inviteeId, now, limit);
  }

  async answerInvitation(
    invitationId: string,
    inviteeId: string,
    accept: boolean,
    at: string,
    maxMembers: number,
  ): Promise<{ invitation: Written<Invitation>; conversation: Written<Conversation> | null }> {
    // An invitation's group never changes: read it first, so the write can lock that conversation.
    const group = await this.db.get<{ conversation_id: string }>(
      "SELECT conversation_id FROM invitations WHERE id = ?",
      [invitationId],
    );
    return this.driver.write(
      async (tx) => {
        const found = await invitations.invitationToAnswer(tx, invitationId, inviteeId, accept, at);
        if (found.answered)
          return { invitation: { value: found.invitation, event: null, audience: [] }, conversation: null };
        let conversation: Written<Conversation> | null = null;
        if (accept) {
          // A block made since the invitation (either way) withdraws it, as it hides it from the list.
          if (await accounts.blockedEitherWay(tx, found.invitation.inviterId, inviteeId)) {
            throw new HaetaeError("blocked", "A block stands between you and the one who invited you.");
          }
          const group = await conversations.conversationById(tx, found.invitation.conversationId);
          if (!group) throw new HaetaeError("conversation_not_found");
          // The invitee joins by their own answer: the change is theirs.
          conversation = await conversations.joinMembers(tx, group.id, [inviteeId], inviteeId, at, maxMembers);
        }
        return { invitation: await invitations.recordAnswer(tx, found.invitation, accept, at), conversation };
      },
      group ? [group.conversation_id] : [],
    );
  }

  createGroupLink(link: GroupLink, perGroup: number, at: string): Promise<GroupLink> {
    return this.driver.write((tx) => groupLinks.insertGroupLink(tx, link, perGroup, at), [link.conversationId]);
  }

  listGroupLinks(conversationId: string, byUserId: string, limit: number): Promise<GroupLink[]> {
    return groupLinks.groupLinksOf(this.db, conversationId, byUserId, limit);
  }

  revokeGroupLink(conversationId: string, linkId: string, byUserId: string, at: string): Promise<GroupLink> {
    return this.driver.write(
      (tx) => groupLinks.revokeGroupLink(tx, conversationId, linkId, byUserId, at),
      [conversationId],
    );
  }

  usableGroupLink(token: string, at: string): Promise<GroupLink> {
    return groupLinks.usableGroupLink(this.db, token, at);
  }

  async joinByGroupLink(
    token: string,
    userId: string,
    at: string,
    maxMembers: number,
  ): Promise<{ link: GroupLink; conversation: Written<Conversation> }> {
    // A link's group never changes: read it first, so the write can lock that conversation.
    const link = await groupLinks.groupLinkByToken(this.db, token);
    return this.driver.write(
      (tx) => groupLinks.joinByGroupLink(tx, token, userId, at, maxMembers),
      link ? [link.conversationId] : [],
    );
  }

  hasKnownConversation(userId: string, conversationId: string): Promise<boolean> {
    return invitations.knowsConversation(this.db, userId, conversationId);
  }

  addReport(report: ConversationReport): Promise<ConversationReport> {
    return this.driver.write((tx) => invitations.insertReport(tx, report));
  }

  listReports(limit: number): Promise<ConversationReport[]> {
    return invitations.newestReports(this.db, limit);
  }

  appendMessage(input: AppendMessageInput): Promise<Written<Message> & { duplicate: boolean }> {
    // A send with files links them in its own write (few sends carry files; the batched path
    // shares statements only between text sends).
    if (input.files && input.files.length > 0) return this.driver.write((tx) => messages.appendMessage(tx, input));
    // Sends of one group commit share their statements (store/sql/append-messages.ts).
    return this.driver.writeBatched(this.driver.dialect === "postgres" ? APPEND_MESSAGE_ARRAYS : APPEND_MESSAGE, input);
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
    dropPreview = false,
  ): Promise<Written<Message>> {
    return this.driver.write(
      (tx) => messages.editMessage(tx, conversationId, seq, text, mentions, mentionsAll, at, actorId, dropPreview),
      [conversationId],
    );
  }

  deleteMessage(conversationId: string, seq: number, at: string, actorId: string): Promise<Written<Message>> {
    return this.driver.write((tx) => messages.deleteMessage(tx, conversationId, seq, at, actorId), [conversationId]);
  }

  setReaction(
    conversationId: string,
    seq: number,
    userId: string,
    emoji: string,
    add: boolean,
    at: string,
  ): Promise<Written<Message>> {
    return this.driver.write(
      (tx) => messages.setReaction(tx, conversationId, seq, userId, emoji, add, at),
      [conversationId],
    );
  }

  history(conversationId: string, page: HistoryPage): Promise<HistoryWindow> {
    return messages.historyOf(this.db, conversationId, page);
  }

  searchMessages(search: MessageSearch): Promise<{ messages: Message[]; hasMore: boolean }> {
    return searchQueries.searchMessages(this.db, this.driver.dialect, search);
  }

  setPinned(
    conversationId: string,
    pin: { seq: number; at: string } | null,
    actorId: string,
    at: string,
  ): Promise<Written<Conversation>> {
    return this.driver.write((tx) => pins.setPinned(tx, conversationId, pin, actorId, at), [conversationId]);
  }

  markRead(conversationId: string, userId: string, seq: number, at: string): Promise<Written<number>> {
    return this.driver.write((tx) => messages.markRead(tx, conversationId, userId, seq, at), [conversationId]);
  }

  feed(userId: string, cursor: string | undefined, limit: number): Promise<FeedPage> {
    return this.driver.feed(userId, cursor, limit);
  }

  lastEventId(): Promise<number> {
    return feed.lastEventId(this.db);
  }

  insertFile(file: FileRecord): Promise<{ file: FileRecord; created: boolean }> {
    return this.driver.write((tx) => files.insertFile(tx, file));
  }

  getFiles(ids: readonly string[]): Promise<FileRecord[]> {
    return files.filesById(this.db, ids);
  }

  readableFileIds(userId: string, ids: readonly string[]): Promise<Set<string>> {
    return files.readableFileIds(this.db, userId, ids);
  }

  listConversationFiles(
    conversationId: string,
    page: { kind?: "photo" | "file"; after?: { seq: number; position: number }; limit: number },
  ): Promise<{ files: (ConversationFile & { position: number })[]; hasMore: boolean }> {
    return files.conversationFiles(this.db, conversationId, page);
  }

  usedFileBytes(ownerId: string): Promise<number> {
    return files.usedBytes(this.db, ownerId);
  }

  sweepFiles(
    unattachedBefore: string,
    limit: number,
    deleteBlob: (sha256: string) => Promise<void>,
  ): Promise<FileSweep> {
    return this.driver.write((tx) =>
      files.sweepFiles(tx, unattachedBefore, limit, new Date().toISOString(), deleteBlob),
    );
  }

  getLinkPreview(url: string): Promise<LinkPreviewRecord | null> {
    return previews.linkPreview(this.db, url);
  }

  saveLinkPreview(record: LinkPreviewRecord): Promise<LinkPreviewRecord> {
    return this.driver.write((tx) => previews.saveLinkPreview(tx, record, new Date().toISOString()));
  }

  attachPreview(
    conversationId: string,
    seq: number,
    text: string,
    previewId: string,
    preview: LinkPreview,
    at: string,
  ): Promise<Written<Message> | null> {
    return this.driver.write(
      (tx) => previews.attachPreview(tx, conversationId, seq, text, previewId, preview, at),
      [conversationId],
    );
  }

  readablePreviewImage(userId: string, previewId: string): Promise<string | null> {
    return previews.readablePreviewImage(this.db, userId, previewId);
  }

  setMute(userId: string, mute: ChatMute, at: string): Promise<Written<ChatMute>> {
    return this.driver.write((tx) => notify.setMute(tx, userId, mute, at));
  }

  setNotifySettings(userId: string, settings: NotifySettings, at: string): Promise<Written<NotifySettings>> {
    return this.driver.write((tx) => notify.setSettings(tx, userId, settings, at));
  }

  async notifyState(userId: string): Promise<{ settings: NotifySettings; mutes: ChatMute[] }> {
    return { settings: await notify.settingsOf(this.db, userId), mutes: await notify.mutesOf(this.db, userId) };
  }

  notifyPrefs(userIds: readonly string[], conversationId: string): Promise<Map<string, NotifyPrefs>> {
    return notify.prefsOf(this.db, userIds, conversationId);
  }

  addPushSubscription(subscription: PushSubscriptionRecord): Promise<void> {
    return this.driver.write((tx) => notify.upsertSubscription(tx, subscription));
  }

  async removePushSubscription(endpoint: string, userId: string | null): Promise<boolean> {
    const removed = await this.driver.write((tx) =>
      userId === null
        ? tx.run("DELETE FROM push_subscriptions WHERE endpoint = ?", [endpoint])
        : tx.run("DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?", [endpoint, userId]),
    );
    return removed.changes > 0;
  }

  pushSubscriptions(userIds: readonly string[], now: string): Promise<PushSubscriptionRecord[]> {
    return notify.subscriptionsOf(this.db, userIds, now);
  }

  // Push retries carry no feed event: written alone (on PostgreSQL beside the group commit, not in a send's batch).
  addPushRetry(retry: PushRetryRecord): Promise<void> {
    return this.driver.writeAlone((db) => pushRetries.addPushRetry(db, retry));
  }

  claimPushRetry(id: string): Promise<boolean> {
    return this.driver.writeAlone((db) => pushRetries.claimPushRetry(db, id));
  }

  async pendingPushRetries(limit: number, staleBefore: string): Promise<PushRetryRecord[]> {
    await this.driver.writeAlone((db) => pushRetries.dropStalePushRetries(db, staleBefore));
    return pushRetries.pendingPushRetries(this.db, limit);
  }
}
