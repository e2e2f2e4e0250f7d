/** @module SQL of link previews: the per-URL cache, the previews messages carry, and who may read a preview's image. */
import type { LinkPreview, Message } from "../../protocol/index.js";
import type { LinkPreviewRecord, Written } from "../store.js";
import { memberIds } from "./conversation-queries.js";
import { appendEvent } from "./feed-queries.js";
import { messageAt } from "./message-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

interface LinkPreviewRow {
  url: string;
  id: string;
  preview: string | null;
  image_sha256: string | null;
  fetched_at: string;
  expires_at: string;
}

function toRecord(row: LinkPreviewRow): LinkPreviewRecord {
  const record: LinkPreviewRecord = {
    url: row.url,
    id: row.id,
    fetchedAt: row.fetched_at,
    expiresAt: row.expires_at,
  };
  if (row.preview !== null) record.preview = JSON.parse(row.preview) as NonNullable<LinkPreviewRecord["preview"]>;
  if (row.image_sha256 !== null) record.imageSha256 = row.image_sha256;
  return record;
}

export async function linkPreview(db: SqlExecutor, url: string): Promise<LinkPreviewRecord | null> {
  const row = await db.get<LinkPreviewRow>("SELECT * FROM link_previews WHERE url = ?", [url]);
  return row ? toRecord(row) : null;
}

export async function saveLinkPreview(
  db: SqlExecutor,
  record: LinkPreviewRecord,
  at: string,
): Promise<LinkPreviewRecord> {
  const earlier = await db.get<LinkPreviewRow>("SELECT * FROM link_previews WHERE url = ?", [record.url]);
  const values = [
    record.preview ? JSON.stringify(record.preview) : null,
    record.imageSha256 ?? null,
    record.fetchedAt,
    record.expiresAt,
  ];
  if (!earlier) {
    await db.run(
      "INSERT INTO link_previews (url, id, preview, image_sha256, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      [record.url, record.id, ...values],
    );
    return record;
  }
  await db.run("UPDATE link_previews SET preview = ?, image_sha256 = ?, fetched_at = ?, expires_at = ? WHERE url = ?", [
    ...values,
    record.url,
  ]);
  // The image the URL showed before may be named by nothing now: the file sweep decides.
  if (earlier.image_sha256 !== null && earlier.image_sha256 !== record.imageSha256) {
    await db.run("INSERT INTO blob_garbage (sha256, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [
      earlier.image_sha256,
      at,
    ]);
  }
  return { ...record, id: earlier.id };
}

export async function attachPreview(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  text: string,
  previewId: string,
  preview: LinkPreview,
  at: string,
): Promise<Written<Message> | null> {
  const { changes } = await db.run(
    "UPDATE messages SET preview = ? WHERE conversation_id = ? AND seq = ? AND deleted_at IS NULL AND text = ?",
    [JSON.stringify(preview), conversationId, seq, text],
  );
  if (changes === 0) return null;
  await db.run("DELETE FROM message_previews WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  await db.run("INSERT INTO message_previews (preview_id, conversation_id, seq) VALUES (?, ?, ?)", [
    previewId,
    conversationId,
    seq,
  ]);
  const message = await messageAt(db, conversationId, seq);
  if (!message) throw new Error(`message ${conversationId}#${seq} vanished inside a transaction`);
  const event = await appendEvent(db, { type: "message.preview", conversationId, seq, message }, at);
  return { value: message, event, audience: await memberIds(db, conversationId) };
}

/** A message's preview goes (an edit changed its link, or it was deleted): its image is no longer read through it. */
export async function dropPreview(db: SqlExecutor, conversationId: string, seq: number): Promise<void> {
  await db.run("UPDATE messages SET preview = NULL WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  await db.run("DELETE FROM message_previews WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
}

export async function readablePreviewImage(db: SqlExecutor, userId: string, previewId: string): Promise<string | null> {
  const row = await db.get<{ image_sha256: string | null }>(
    `SELECT lp.image_sha256 FROM link_previews lp WHERE lp.id = ? AND EXISTS (
       SELECT 1 FROM message_previews mp
       JOIN members m ON m.conversation_id = mp.conversation_id AND m.user_id = ? AND m.active = 1
       WHERE mp.preview_id = lp.id)`,
    [previewId, userId],
  );
  return row?.image_sha256 ?? null;
}

/**
 * Forget at most `limit` cache rows that expired before `at` and that no message carries: the
 * cache does not grow with every link ever posted; their images become garbage candidates.
 */
export async function sweepLinkPreviews(db: SqlExecutor, at: string, limit: number): Promise<number> {
  const stale = await db.all<{ url: string; image_sha256: string | null }>(
    `SELECT url, image_sha256 FROM link_previews lp WHERE expires_at < ?
     AND NOT EXISTS (SELECT 1 FROM message_previews mp WHERE mp.preview_id = lp.id) LIMIT ?`,
    [at, limit],
  );
  for (const row of stale) {
    await db.run("DELETE FROM link_previews WHERE url = ?", [row.url]);
    if (row.image_sha256 !== null) {
      await db.run("INSERT INTO blob_garbage (sha256, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [
        row.image_sha256,
        at,
      ]);
    }
  }
  return stale.length;
}
