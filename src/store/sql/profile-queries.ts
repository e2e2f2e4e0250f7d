/** @module SQL of one's own profile: display name, status line and photo, and the deletion of an account (a tombstone). */
import type { Message, User } from "../../protocol/index.js";
import type { FileRecord, ProfileChange, Written } from "../store.js";
import { appendEvent, userChannel } from "./feed-queries.js";
import { fileRecordsOf } from "./file-queries.js";
import { type MessageRow, toMessage, toOwnUser, type UserRow } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

async function ownUser(db: SqlExecutor, userId: string): Promise<User> {
  const row = await db.get<UserRow>("SELECT * FROM users WHERE id = ?", [userId]);
  if (!row) throw new Error(`user ${userId} vanished inside a transaction`);
  return toOwnUser(row);
}

/**
 * Change what the profile shows (`null` clears the status line or the photo); the user's own
 * devices hear `account.updated` on the user's channel, live and in `sync`.
 */
export async function updateProfile(
  db: SqlExecutor,
  userId: string,
  change: ProfileChange,
  at: string,
): Promise<Written<User>> {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (change.displayName !== undefined) {
    sets.push("display_name = ?");
    params.push(change.displayName);
  }
  if (change.statusText !== undefined) {
    sets.push("status_text = ?");
    params.push(change.statusText);
  }
  if (change.avatarFileId !== undefined) {
    sets.push("avatar_file_id = ?");
    params.push(change.avatarFileId);
  }
  if (change.hidePresence !== undefined) {
    sets.push("hide_presence = ?");
    params.push(change.hidePresence ? 1 : 0);
  }
  if (sets.length > 0) await db.run(`UPDATE users SET ${sets.join(", ")} WHERE id = ?`, [...params, userId]);
  // A profile photo is in use: the sweep of never-attached uploads must leave it.
  if (change.avatarFileId) {
    await db.run("UPDATE files SET attached_at = ? WHERE id = ? AND attached_at IS NULL", [at, change.avatarFileId]);
  }
  const user = await ownUser(db, userId);
  const event = await appendEvent(db, { type: "account.updated", conversationId: userId, user }, at, {
    channel: userChannel(userId),
  });
  return { value: user, event, audience: [userId] };
}

/** The name every deleted account shows (clients word it in their language from `deleted: true`). */
export const DELETED_NAME = "deleted account";

/**
 * Tombstone an account: its row stays (its messages keep pointing at it) but says nothing about
 * the person: name, username, status line, photo and password hash are gone; every device,
 * device key, ticket, reset code, contact and block either way is deleted; its pending
 * invitations end. Returns the devices whose sessions must close.
 */
export async function tombstoneUser(db: SqlExecutor, userId: string, at: string): Promise<string[]> {
  const devices = await db.all<{ id: string }>("SELECT id FROM devices WHERE user_id = ? AND revoked_at IS NULL", [
    userId,
  ]);
  await db.run(
    `UPDATE users SET username = ?, display_name = ?, password_hash = '', status_text = NULL,
       avatar_file_id = NULL, deleted_at = ? WHERE id = ?`,
    [`deleted-${userId}`, DELETED_NAME, at, userId],
  );
  await db.run("UPDATE devices SET revoked_at = ?, name = '' WHERE user_id = ? AND revoked_at IS NULL", [at, userId]);
  await db.run("DELETE FROM ws_tickets WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?)", [userId]);
  await db.run("DELETE FROM device_keys WHERE user_id = ?", [userId]);
  await db.run("DELETE FROM password_resets WHERE user_id = ?", [userId]);
  await db.run("DELETE FROM contacts WHERE user_id = ? OR contact_id = ?", [userId, userId]);
  await db.run("DELETE FROM blocks WHERE user_id = ? OR blocked_id = ?", [userId, userId]);
  await db.run(
    "UPDATE invitations SET expires_at = ? WHERE status = 'pending' AND expires_at > ? AND (inviter_id = ? OR invitee_id = ?)",
    [at, at, userId, userId],
  );
  return devices.map((d) => d.id);
}

/**
 * What an export of one's own data holds: every message one wrote (system lines left out;
 * deleted ones as their tombstones), oldest first per conversation, and every file one uploaded.
 */
export async function ownData(db: SqlExecutor, userId: string): Promise<{ messages: Message[]; files: FileRecord[] }> {
  const rows = await db.all<MessageRow>(
    "SELECT * FROM messages WHERE sender_id = ? AND system IS NULL ORDER BY conversation_id, seq",
    [userId],
  );
  return { messages: rows.map((row) => toMessage(row, {})), files: await fileRecordsOf(db, userId) };
}
