/** @module SQL of a group's settings: its photo, its members' roles and its ownership, each with its system line. */
import { HaetaeError } from "../../protocol/errors.js";
import type { Conversation, FileInfo } from "../../protocol/index.js";
import type { Written } from "../store.js";
import { activeMember, announceChange, conversationOrThrow, membersForWrite } from "./conversation-queries.js";
import type { SqlExecutor } from "./sql-driver.js";
import { appendSystemLine } from "./system-lines.js";

/** Set the group's photo (`null` removes it); the line carries the new photo. */
export async function updatePhoto(
  db: SqlExecutor,
  conversationId: string,
  photo: FileInfo | null,
  byUserId: string,
  at: string,
): Promise<Written<Conversation>> {
  await membersForWrite(db, conversationId, byUserId);
  await db.run("UPDATE conversations SET photo = ? WHERE id = ?", [
    photo ? JSON.stringify(photo) : null,
    conversationId,
  ]);
  const written = await announceChange(db, conversationId, byUserId, at);
  const line = await appendSystemLine(
    db,
    conversationId,
    byUserId,
    { action: "photo", userIds: [] },
    at,
    photo ? [photo] : [],
  );
  return { ...written, line };
}

/** The role of `userId` in the group, read inside the write; `user_not_found` when not a member. */
async function roleOf(db: SqlExecutor, conversationId: string, userId: string) {
  const member = await activeMember(db, conversationId, userId);
  if (!member) throw new HaetaeError("user_not_found", "That user is not a member.");
  return member.role;
}

/**
 * Make a member an admin or a member again, as the owner (checked inside the write: ownership may
 * have moved since the access check). The owner's own role changes only by a transfer.
 */
export async function setMemberRole(
  db: SqlExecutor,
  conversationId: string,
  userId: string,
  role: "admin" | "member",
  byUserId: string,
  at: string,
): Promise<Written<Conversation>> {
  await membersForWrite(db, conversationId, byUserId);
  if ((await roleOf(db, conversationId, byUserId)) !== "owner") {
    throw new HaetaeError("forbidden", "Only the group's owner may change roles.");
  }
  const current = await roleOf(db, conversationId, userId);
  if (current === "owner") throw new HaetaeError("forbidden", "The owner's role changes only by a transfer.");
  const before = await conversationOrThrow(db, conversationId);
  if (current === role) return { value: before, event: null, audience: before.memberIds };
  await db.run("UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?", [role, conversationId, userId]);
  const written = await announceChange(db, conversationId, byUserId, at);
  return {
    ...written,
    line: await appendSystemLine(db, conversationId, byUserId, { action: "role", userIds: [userId], role }, at),
  };
}

/** Hand the group to another member, as its owner; the old owner stays as an admin. */
export async function transferOwnership(
  db: SqlExecutor,
  conversationId: string,
  userId: string,
  byUserId: string,
  at: string,
): Promise<Written<Conversation>> {
  await membersForWrite(db, conversationId, byUserId);
  if ((await roleOf(db, conversationId, byUserId)) !== "owner") {
    throw new HaetaeError("forbidden", "Only the group's owner may hand it over.");
  }
  await roleOf(db, conversationId, userId);
  if (userId === byUserId) {
    const same = await conversationOrThrow(db, conversationId);
    return { value: same, event: null, audience: same.memberIds };
  }
  await db.run("UPDATE members SET role = 'admin' WHERE conversation_id = ? AND user_id = ?", [
    conversationId,
    byUserId,
  ]);
  await db.run("UPDATE members SET role = 'owner' WHERE conversation_id = ? AND user_id = ?", [conversationId, userId]);
  const written = await announceChange(db, conversationId, byUserId, at);
  return {
    ...written,
    line: await appendSystemLine(db, conversationId, byUserId, { action: "owner", userIds: [userId] }, at),
  };
}
