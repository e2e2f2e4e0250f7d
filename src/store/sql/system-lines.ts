/** @module SQL of system lines: the messages in which the server records a group's changes, in the conversation's seq order. */
import { randomUUID } from "node:crypto";
import type { FileInfo, Message, SystemLine } from "../../protocol/index.js";
import type { Written } from "../store.js";
import { appendEvent } from "./feed-queries.js";
import { attachFiles } from "./file-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

/**
 * Append a system line inside the write that made the change: the next seq, a `message.new`
 * event, so that live delivery, `history` and `sync` carry it as they carry messages (G3, G4).
 * Its sender is the one who made the change; it moves nobody's read cursor (it is never unread).
 * A photo line carries the photo in `files`, linked like a message's files, so that every member
 * may read it by the same rule (and nobody else).
 */
export async function appendSystemLine(
  db: SqlExecutor,
  conversationId: string,
  actorId: string,
  system: SystemLine,
  at: string,
  files: readonly FileInfo[] = [],
): Promise<Written<Message>> {
  const next = await db.get<{ last_seq: number }>(
    "UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq",
    [at, conversationId],
  );
  if (!next) throw new Error(`conversation ${conversationId} vanished inside a transaction`);
  const seq = Number(next.last_seq);
  const id = randomUUID();
  await db.run(
    `INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, mentions, mentions_all, files, system)
     VALUES (?, ?, ?, ?, ?, '', ?, '[]', 0, ?, ?)`,
    [
      conversationId,
      seq,
      id,
      actorId,
      `system:${id}`,
      at,
      files.length > 0 ? JSON.stringify(files) : null,
      JSON.stringify(system),
    ],
  );
  if (files.length > 0) await attachFiles(db, conversationId, seq, files, at);
  const message: Message = {
    id,
    conversationId,
    seq,
    senderId: actorId,
    clientMsgId: `system:${id}`,
    text: "",
    createdAt: at,
    mentions: [],
    mentionsAll: false,
    reactions: {},
    ...(files.length > 0 ? { files: [...files] } : {}),
    system,
  };
  const event = await appendEvent(db, { type: "message.new", conversationId, seq, message }, at);
  const members = await db.all<{ user_id: string }>(
    "SELECT user_id FROM members WHERE conversation_id = ? AND active = 1",
    [conversationId],
  );
  return { value: message, event, audience: members.map((m) => m.user_id) };
}
