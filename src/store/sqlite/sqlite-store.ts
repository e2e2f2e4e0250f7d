/** @module The embedded default store: SQLite through better-sqlite3, WAL, synchronous=FULL. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Conversation, ConversationSummary, FeedEvent, MemberState, Message, User } from "../../protocol/index.js";
import {
  type AppendMessageInput,
  type DeviceRecord,
  type NewFeedEvent,
  type Store,
  StoreConflictError,
  type UserRecord,
  type Written,
} from "../store.js";
import { migrate } from "./migrations.js";
import {
  type ConversationRow,
  type DeviceRow,
  type MemberRow,
  type MessageRow,
  toConversation,
  toDevice,
  toMember,
  toMessage,
  toUser,
  type UserRow,
} from "./rows.js";
import { WriteBatcher } from "./write-batcher.js";

/** Open (creating if needed) `haetae.db` in the data folder and bring its schema up to date. */
export function openSqliteStore(dataDir: string): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteStore(new Database(join(dataDir, "haetae.db")));
}

/**
 * Every method runs synchronously inside better-sqlite3, so calls never interleave: a
 * transaction is the whole method, and `seq = last_seq + 1` cannot race (G3). `synchronous =
 * FULL` makes each commit reach the disk before the method returns (G1, also across power loss).
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly writes: WriteBatcher;

  constructor(db: Database.Database) {
    this.db = db;
    this.writes = new WriteBatcher(db);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once: compiling costs more than running most of ours. */
  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  async ping(): Promise<void> {
    this.sql("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.drain();
    this.db.close();
  }

  // ---- users and devices ----

  async createUser(user: UserRecord): Promise<UserRecord> {
    try {
      await this.writes.run(() =>
        this.sql(
          "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        ).run(user.id, user.username, user.displayName, user.passwordHash, user.createdAt),
      );
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw new StoreConflictError("username");
      throw error;
    }
    return user;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const row = this.sql("SELECT * FROM users WHERE username = ?").get(username) as UserRow | undefined;
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  async getUsers(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = this.sql("SELECT u.* FROM users u JOIN json_each(?) j ON j.value = u.id").all(
      JSON.stringify(ids),
    ) as UserRow[];
    return rows.map(toUser);
  }

  async createDevice(device: DeviceRecord, tokenHash: string): Promise<void> {
    await this.writes.run(() =>
      this.sql(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(device.id, device.userId, device.name, tokenHash, device.createdAt, device.lastSeenAt, device.expiresAt),
    );
  }

  async getDeviceByTokenHash(tokenHash: string, now: string): Promise<DeviceRecord | null> {
    const row = this.sql("SELECT * FROM devices WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?").get(
      tokenHash,
      now,
    ) as DeviceRow | undefined;
    return row ? toDevice(row) : null;
  }

  async touchDevice(deviceId: string, at: string): Promise<void> {
    await this.writes.run(() => this.sql("UPDATE devices SET last_seen_at = ? WHERE id = ?").run(at, deviceId));
  }

  async listDevices(userId: string, now: string): Promise<DeviceRecord[]> {
    const rows = this.sql(
      "SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at",
    ).all(userId, now) as DeviceRow[];
    return rows.map(toDevice);
  }

  async revokeDevice(userId: string, deviceId: string): Promise<boolean> {
    const result = await this.writes.run(() =>
      this.sql("UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL").run(
        new Date().toISOString(),
        deviceId,
        userId,
      ),
    );
    return result.changes > 0;
  }

  // ---- contacts and blocks ----

  async addContact(userId: string, contactId: string, at: string): Promise<void> {
    await this.writes.run(() =>
      this.sql("INSERT OR IGNORE INTO contacts (user_id, contact_id, created_at) VALUES (?, ?, ?)").run(
        userId,
        contactId,
        at,
      ),
    );
  }

  async removeContact(userId: string, contactId: string): Promise<void> {
    await this.writes.run(() =>
      this.sql("DELETE FROM contacts WHERE user_id = ? AND contact_id = ?").run(userId, contactId),
    );
  }

  async listContacts(userId: string): Promise<User[]> {
    const rows = this.sql(
      "SELECT u.* FROM contacts c JOIN users u ON u.id = c.contact_id WHERE c.user_id = ? ORDER BY u.display_name, u.username",
    ).all(userId) as UserRow[];
    return rows.map(toUser);
  }

  async addBlock(userId: string, blockedId: string, at: string): Promise<void> {
    await this.writes.run(() =>
      this.sql("INSERT OR IGNORE INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)").run(
        userId,
        blockedId,
        at,
      ),
    );
  }

  async removeBlock(userId: string, blockedId: string): Promise<void> {
    await this.writes.run(() =>
      this.sql("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?").run(userId, blockedId),
    );
  }

  async listBlocked(userId: string): Promise<User[]> {
    const rows = this.sql(
      "SELECT u.* FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.user_id = ? ORDER BY u.username",
    ).all(userId) as UserRow[];
    return rows.map(toUser);
  }

  async isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    const row = this.sql(
      "SELECT 1 FROM blocks WHERE (user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?)",
    ).get(a, b, b, a);
    return row !== undefined;
  }

  async isAcquainted(viewer: string, target: string): Promise<boolean> {
    if (viewer === target) return true;
    const row = this.sql(
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM contacts WHERE user_id = ? AND contact_id = ?)
            OR EXISTS (SELECT 1 FROM members a JOIN members b ON a.conversation_id = b.conversation_id
                       WHERE a.user_id = ? AND a.active = 1 AND b.user_id = ? AND b.active = 1)`,
    ).get(viewer, target, viewer, target);
    return row !== undefined;
  }

  // ---- conversations ----

  async getOrCreateDirect(conversation: Conversation): Promise<Written<Conversation> & { created: boolean }> {
    const key = [...conversation.memberIds].sort().join("|");
    return this.writes.run(() => {
      const existing = this.sql("SELECT id FROM conversations WHERE direct_key = ?").get(key) as
        | { id: string }
        | undefined;
      if (existing) {
        return { value: this.conversationOrThrow(existing.id), event: null, created: false };
      }
      const written = this.insertConversation(conversation, key);
      return { ...written, created: true };
    });
  }

  async createGroup(conversation: Conversation): Promise<Written<Conversation>> {
    return this.writes.run(() => this.insertConversation(conversation, null));
  }

  private insertConversation(input: Conversation, directKey: string | null): Written<Conversation> {
    // Members are listed in join order, ties by id: the order every later read returns.
    const conversation = { ...input, memberIds: [...new Set(input.memberIds)].sort() };
    this.sql(
      "INSERT INTO conversations (id, kind, title, direct_key, created_at, created_by, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      conversation.id,
      conversation.kind,
      conversation.title ?? null,
      directKey,
      conversation.createdAt,
      conversation.createdBy,
      conversation.createdAt,
    );
    const event = this.appendEvent(
      { type: "conversation.created", conversationId: conversation.id, conversation },
      conversation.createdAt,
    );
    const insert = this.sql(
      "INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id) VALUES (?, ?, ?, ?, ?)",
    );
    const span = this.sql("INSERT INTO membership_spans (conversation_id, user_id, joined_event_id) VALUES (?, ?, ?)");
    for (const userId of conversation.memberIds) {
      span.run(conversation.id, userId, event.eventId);
      insert.run(
        conversation.id,
        userId,
        userId === conversation.createdBy ? "owner" : "member",
        conversation.createdAt,
        event.eventId,
      );
    }
    return { value: conversation, event };
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = this.sql("SELECT * FROM conversations WHERE id = ?").get(id) as ConversationRow | undefined;
    return row ? toConversation(row, this.memberIds(id)) : null;
  }

  private conversationOrThrow(id: string): Conversation {
    const row = this.sql("SELECT * FROM conversations WHERE id = ?").get(id) as ConversationRow | undefined;
    if (!row) throw new Error(`conversation ${id} vanished inside a transaction`);
    return toConversation(row, this.memberIds(id));
  }

  private memberIds(conversationId: string): string[] {
    const rows = this.sql(
      "SELECT user_id FROM members WHERE conversation_id = ? AND active = 1 ORDER BY joined_event_id, user_id",
    ).all(conversationId) as { user_id: string }[];
    return rows.map((r) => r.user_id);
  }

  async getMember(conversationId: string, userId: string): Promise<MemberState | null> {
    const row = this.sql("SELECT * FROM members WHERE conversation_id = ? AND user_id = ? AND active = 1").get(
      conversationId,
      userId,
    ) as MemberRow | undefined;
    return row ? toMember(row) : null;
  }

  async getMembers(conversationId: string): Promise<MemberState[]> {
    const rows = this.sql(
      "SELECT * FROM members WHERE conversation_id = ? AND active = 1 ORDER BY joined_event_id, user_id",
    ).all(conversationId) as MemberRow[];
    return rows.map(toMember);
  }

  async lastSeq(conversationId: string): Promise<number> {
    const row = this.sql("SELECT last_seq FROM conversations WHERE id = ?").get(conversationId) as
      | { last_seq: number }
      | undefined;
    return row?.last_seq ?? 0;
  }

  async updateTitle(conversationId: string, title: string, byUserId: string): Promise<Written<Conversation>> {
    return this.writes.run(() => {
      this.sql("UPDATE conversations SET title = ? WHERE id = ?").run(title, conversationId);
      const conversation = this.conversationOrThrow(conversationId);
      const event = this.appendEvent(
        { type: "conversation.updated", conversationId, conversation, byUserId, added: [], removed: [] },
        new Date().toISOString(),
      );
      return { value: conversation, event };
    });
  }

  async addMembers(
    conversationId: string,
    userIds: readonly string[],
    byUserId: string,
    at: string,
  ): Promise<Written<Conversation>> {
    return this.writes.run(() => {
      const current = new Set(this.memberIds(conversationId));
      const added = [...new Set(userIds)].filter((id) => !current.has(id)).sort();
      const before = this.conversationOrThrow(conversationId);
      if (added.length === 0) return { value: before, event: null };
      const conversation = { ...before, memberIds: [...before.memberIds, ...added] };
      const event = this.appendEvent(
        { type: "conversation.updated", conversationId, conversation, byUserId, added, removed: [] },
        at,
      );
      // A newcomer starts caught up (readSeq = lastSeq): the history is there to scroll, not unread.
      const upsert = this.sql(
        `INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id, read_seq)
         VALUES (?, ?, 'member', ?, ?, (SELECT last_seq FROM conversations WHERE id = ?))
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET active = 1, left_event_id = NULL, role = 'member',
           joined_at = excluded.joined_at, joined_event_id = excluded.joined_event_id, read_seq = excluded.read_seq`,
      );
      const span = this.sql(
        "INSERT INTO membership_spans (conversation_id, user_id, joined_event_id) VALUES (?, ?, ?)",
      );
      for (const userId of added) {
        upsert.run(conversationId, userId, at, event.eventId, conversationId);
        span.run(conversationId, userId, event.eventId);
      }
      return { value: this.conversationOrThrow(conversationId), event };
    });
  }

  async removeMember(conversationId: string, userId: string, byUserId: string): Promise<Written<Conversation>> {
    return this.writes.run(() => {
      const before = this.conversationOrThrow(conversationId);
      if (!before.memberIds.includes(userId)) return { value: before, event: null };
      const conversation = { ...before, memberIds: before.memberIds.filter((id) => id !== userId) };
      const event = this.appendEvent(
        { type: "conversation.updated", conversationId, conversation, byUserId, added: [], removed: [userId] },
        new Date().toISOString(),
      );
      this.sql("UPDATE members SET active = 0, left_event_id = ? WHERE conversation_id = ? AND user_id = ?").run(
        event.eventId,
        conversationId,
        userId,
      );
      this.sql(
        "UPDATE membership_spans SET left_event_id = ? WHERE conversation_id = ? AND user_id = ? AND left_event_id IS NULL",
      ).run(event.eventId, conversationId, userId);
      // A group never ends up without an owner: the longest-standing member takes over.
      this.sql(
        `UPDATE members SET role = 'owner' WHERE conversation_id = ? AND active = 1 AND user_id = (
             SELECT user_id FROM members WHERE conversation_id = ? AND active = 1 ORDER BY joined_event_id, user_id LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = ? AND active = 1 AND role = 'owner')`,
      ).run(conversationId, conversationId, conversationId);
      return { value: conversation, event };
    });
  }

  async listConversations(userId: string): Promise<ConversationSummary[]> {
    const rows = this.sql(
      `SELECT c.*, m.read_seq,
           (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq
              AND x.sender_id != m.user_id AND x.deleted_at IS NULL) AS unread,
           (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq
              AND x.sender_id != m.user_id AND x.deleted_at IS NULL
              AND (x.mentions_all = 1 OR EXISTS (SELECT 1 FROM message_mentions mm
                   WHERE mm.conversation_id = c.id AND mm.user_id = m.user_id AND mm.seq = x.seq))) AS unread_mentions
         FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.user_id = ? AND m.active = 1
         ORDER BY c.last_activity_at DESC, c.id`,
    ).all(userId) as (ConversationRow & { read_seq: number; unread: number; unread_mentions: number })[];
    return rows.map((row) => ({
      conversation: toConversation(row, this.memberIds(row.id)),
      lastSeq: row.last_seq,
      lastMessage: row.last_seq > 0 ? this.messageOrNull(row.id, row.last_seq) : null,
      readSeq: row.read_seq,
      unreadCount: row.unread,
      unreadMentionCount: row.unread_mentions,
    }));
  }

  // ---- messages ----

  async appendMessage(input: AppendMessageInput): Promise<Written<Message> & { duplicate: boolean }> {
    return this.writes.run(() => {
      const existing = this.findByClientMsgIdNow(input.senderId, input.clientMsgId);
      if (existing) return { value: existing, event: null, duplicate: true };
      const { last_seq: seq } = this.sql(
        "UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq",
      ).get(input.createdAt, input.conversationId) as { last_seq: number };
      this.sql(
        `INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, reply_to_seq, mentions, mentions_all)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
      );
      this.insertMentions(input.conversationId, seq, input.mentions);
      this.sql("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?").run(
        seq,
        input.conversationId,
        input.senderId,
        seq,
      );
      const message = this.messageOrThrow(input.conversationId, seq);
      const event = this.appendEvent(
        { type: "message.new", conversationId: input.conversationId, seq, message },
        input.createdAt,
      );
      return { value: message, event, duplicate: false };
    });
  }

  async findByClientMsgId(senderId: string, clientMsgId: string): Promise<Message | null> {
    return this.findByClientMsgIdNow(senderId, clientMsgId);
  }

  private findByClientMsgIdNow(senderId: string, clientMsgId: string): Message | null {
    const row = this.sql("SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?").get(
      senderId,
      clientMsgId,
    ) as MessageRow | undefined;
    return row ? toMessage(row, this.reactionCounts(row.conversation_id, row.seq)) : null;
  }

  async getMessage(conversationId: string, seq: number): Promise<Message | null> {
    return this.messageOrNull(conversationId, seq);
  }

  private messageOrNull(conversationId: string, seq: number): Message | null {
    const row = this.sql("SELECT * FROM messages WHERE conversation_id = ? AND seq = ?").get(conversationId, seq) as
      | MessageRow
      | undefined;
    return row ? toMessage(row, this.reactionCounts(conversationId, seq)) : null;
  }

  private messageOrThrow(conversationId: string, seq: number): Message {
    const message = this.messageOrNull(conversationId, seq);
    if (!message) throw new Error(`message ${conversationId}#${seq} vanished inside a transaction`);
    return message;
  }

  private reactionCounts(conversationId: string, seq: number): Record<string, number> {
    const rows = this.sql(
      "SELECT emoji, count(*) AS n FROM reactions WHERE conversation_id = ? AND seq = ? GROUP BY emoji ORDER BY min(created_at), emoji",
    ).all(conversationId, seq) as { emoji: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.emoji, r.n]));
  }

  private insertMentions(conversationId: string, seq: number, mentions: readonly string[]): void {
    const insert = this.sql("INSERT OR IGNORE INTO message_mentions (conversation_id, user_id, seq) VALUES (?, ?, ?)");
    for (const userId of mentions) insert.run(conversationId, userId, seq);
  }

  async editMessage(
    conversationId: string,
    seq: number,
    text: string,
    mentions: string[],
    mentionsAll: boolean,
    at: string,
  ): Promise<Written<Message>> {
    return this.writes.run(() => {
      this.sql(
        "UPDATE messages SET text = ?, mentions = ?, mentions_all = ?, edited_at = ? WHERE conversation_id = ? AND seq = ?",
      ).run(text, JSON.stringify(mentions), mentionsAll ? 1 : 0, at, conversationId, seq);
      this.sql("DELETE FROM message_mentions WHERE conversation_id = ? AND seq = ?").run(conversationId, seq);
      this.insertMentions(conversationId, seq, mentions);
      const message = this.messageOrThrow(conversationId, seq);
      const event = this.appendEvent({ type: "message.edited", conversationId, seq, message }, at);
      return { value: message, event };
    });
  }

  async deleteMessage(conversationId: string, seq: number, at: string): Promise<Written<Message>> {
    return this.writes.run(() => {
      // The text is erased, not hidden: "delete for everyone" must not leave it in the store.
      this.sql(
        "UPDATE messages SET text = '', mentions = '[]', mentions_all = 0, deleted_at = ? WHERE conversation_id = ? AND seq = ?",
      ).run(at, conversationId, seq);
      this.sql("DELETE FROM message_mentions WHERE conversation_id = ? AND seq = ?").run(conversationId, seq);
      this.sql("DELETE FROM reactions WHERE conversation_id = ? AND seq = ?").run(conversationId, seq);
      const message = this.messageOrThrow(conversationId, seq);
      const event = this.appendEvent({ type: "message.deleted", conversationId, seq, message }, at);
      return { value: message, event };
    });
  }

  async setReaction(
    conversationId: string,
    seq: number,
    userId: string,
    emoji: string,
    add: boolean,
    at: string,
  ): Promise<Written<Message>> {
    return this.writes.run(() => {
      const result = add
        ? this.sql(
            "INSERT OR IGNORE INTO reactions (conversation_id, seq, user_id, emoji, created_at) VALUES (?, ?, ?, ?, ?)",
          ).run(conversationId, seq, userId, emoji, at)
        : this.sql("DELETE FROM reactions WHERE conversation_id = ? AND seq = ? AND user_id = ? AND emoji = ?").run(
            conversationId,
            seq,
            userId,
            emoji,
          );
      const message = this.messageOrThrow(conversationId, seq);
      if (result.changes === 0) return { value: message, event: null };
      const event = this.appendEvent(
        { type: "message.reaction", conversationId, seq, userId, emoji, added: add, message },
        at,
      );
      return { value: message, event };
    });
  }

  async history(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    let rows: MessageRow[];
    if (page.afterSeq !== undefined) {
      rows = this.sql("SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(
        conversationId,
        page.afterSeq,
        page.limit + 1,
      ) as MessageRow[];
    } else {
      rows = this.sql("SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?").all(
        conversationId,
        page.beforeSeq ?? Number.MAX_SAFE_INTEGER,
        page.limit + 1,
      ) as MessageRow[];
    }
    const hasMore = rows.length > page.limit;
    rows = rows.slice(0, page.limit);
    if (page.afterSeq === undefined) rows.reverse();
    const reactions = this.reactionsInRange(conversationId, rows);
    return { messages: rows.map((row) => toMessage(row, reactions.get(row.seq) ?? {})), hasMore };
  }

  private reactionsInRange(conversationId: string, rows: MessageRow[]): Map<number, Record<string, number>> {
    const map = new Map<number, Record<string, number>>();
    const first = rows[0];
    const last = rows.at(-1);
    if (!first || !last) return map;
    const counts = this.sql(
      `SELECT seq, emoji, count(*) AS n FROM reactions WHERE conversation_id = ? AND seq BETWEEN ? AND ?
         GROUP BY seq, emoji ORDER BY seq, min(created_at), emoji`,
    ).all(conversationId, first.seq, last.seq) as { seq: number; emoji: string; n: number }[];
    for (const c of counts) {
      const entry = map.get(c.seq) ?? {};
      entry[c.emoji] = c.n;
      map.set(c.seq, entry);
    }
    return map;
  }

  async markRead(conversationId: string, userId: string, seq: number): Promise<Written<number>> {
    return this.writes.run(() => {
      const row = this.sql(
        `SELECT m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.conversation_id = ? AND m.user_id = ? AND m.active = 1`,
      ).get(conversationId, userId) as { read_seq: number; last_seq: number } | undefined;
      if (!row) throw new Error(`markRead: ${userId} is not a member of ${conversationId}`);
      const target = Math.min(seq, row.last_seq);
      if (target <= row.read_seq) return { value: row.read_seq, event: null };
      this.sql("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ?").run(
        target,
        conversationId,
        userId,
      );
      const event = this.appendEvent(
        { type: "receipt", conversationId, userId, readSeq: target },
        new Date().toISOString(),
      );
      return { value: target, event };
    });
  }

  // ---- the feed ----

  private appendEvent<E extends NewFeedEvent>(event: E, at: string): E & { eventId: number } {
    const { lastInsertRowid } = this.sql(
      "INSERT INTO events (conversation_id, type, payload, created_at) VALUES (?, ?, ?, ?)",
    ).run(event.conversationId, event.type, JSON.stringify(event), at);
    return { ...event, eventId: Number(lastInsertRowid) };
  }

  async feed(userId: string, afterEventId: number, limit: number): Promise<{ events: FeedEvent[]; hasMore: boolean }> {
    const rows = this.sql(
      `SELECT e.id, e.payload FROM membership_spans m
         JOIN events e ON e.conversation_id = m.conversation_id
         WHERE m.user_id = ? AND e.id > ? AND e.id >= m.joined_event_id
           AND (m.left_event_id IS NULL OR e.id <= m.left_event_id)
         ORDER BY e.id LIMIT ?`,
    ).all(userId, afterEventId, limit + 1) as { id: number; payload: string }[];
    const hasMore = rows.length > limit;
    const events = rows
      .slice(0, limit)
      .map((row) => ({ ...(JSON.parse(row.payload) as NewFeedEvent), eventId: row.id }) as FeedEvent);
    return { events, hasMore };
  }

  async lastEventId(): Promise<number> {
    const row = this.sql("SELECT max(id) AS id FROM events").get() as { id: number | null };
    return row.id ?? 0;
  }
}
