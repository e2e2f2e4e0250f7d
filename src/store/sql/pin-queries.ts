/** @module SQL of a group's pinned notice: pin and unpin by its owner, checked inside the write. */

import { HaetaeError } from "../../protocol/errors.js";
import type { Conversation } from "../../protocol/index.js";
import type { Written } from "../store.js";
import { conversationOrThrow, membersForWrite } from "./conversation-queries.js";
import { appendEvent } from "./feed-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

/** Pin `pin.seq` as the group's notice, or take it down (`null`): `Store.setPinned`. */
export async function setPinned(
  db: SqlExecutor,
  conversationId: string,
  pin: { seq: number; at: string } | null,
  actorId: string,
  at: string,
): Promise<Written<Conversation>> {
  const audience = await membersForWrite(db, conversationId, actorId);
  const role = await db.get<{ role: string }>(
    "SELECT role FROM members WHERE conversation_id = ? AND user_id = ? AND active = 1",
    [conversationId, actorId],
  );
  const before = await conversationOrThrow(db, conversationId);
  if (before.kind !== "group") throw new HaetaeError("invalid_conversation_kind", "Only a group has a pinned notice.");
  if (role?.role !== "owner") throw new HaetaeError("forbidden", "Only the group's owner may pin or unpin.");
  if (pin) {
    const message = await db.get<{ deleted_at: string | null }>(
      "SELECT deleted_at FROM messages WHERE conversation_id = ? AND seq = ?",
      [conversationId, pin.seq],
    );
    if (!message) throw new HaetaeError("message_not_found");
    if (message.deleted_at !== null) throw new HaetaeError("message_deleted");
    if (before.pinned?.seq === pin.seq) return { value: before, event: null, audience };
    await db.run("UPDATE conversations SET pinned_seq = ?, pinned_by = ?, pinned_at = ? WHERE id = ?", [
      pin.seq,
      actorId,
      pin.at,
      conversationId,
    ]);
  } else {
    if (!before.pinned) return { value: before, event: null, audience };
    await db.run("UPDATE conversations SET pinned_seq = NULL, pinned_by = NULL, pinned_at = NULL WHERE id = ?", [
      conversationId,
    ]);
  }
  const conversation = await conversationOrThrow(db, conversationId);
  const event = await appendEvent(
    db,
    { type: "conversation.updated", conversationId, conversation, byUserId: actorId, added: [], removed: [] },
    at,
  );
  return { value: conversation, event, audience };
}

/** A deleted message is no notice: the delete takes it down in its own write (clients do the same on `message.deleted`). */
export async function unpinDeleted(db: SqlExecutor, conversationId: string, seq: number): Promise<void> {
  await db.run(
    "UPDATE conversations SET pinned_seq = NULL, pinned_by = NULL, pinned_at = NULL WHERE id = ? AND pinned_seq = ?",
    [conversationId, seq],
  );
}
