/** @module SQL of files: upload rows, who may read them, the files a message carries, and the sweep of what nothing refers to. */
import { HaetaeError } from "../../protocol/errors.js";
import type { ConversationFile, FileInfo } from "../../protocol/index.js";
import { type FileRecord, type FileSweep, fileInfo } from "../store.js";
import { sweepLinkPreviews } from "./preview-queries.js";
import { placeholders, type SqlExecutor } from "./sql-driver.js";

export interface FileRow {
  id: string;
  owner_id: string;
  name: string;
  size: number | string;
  content_type: string;
  sha256: string;
  width: number | null;
  height: number | null;
  thumb_sha256: string | null;
  created_at: string;
  attached_at: string | null;
}

export function toFileRecord(row: FileRow): FileRecord {
  const file: FileRecord = {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    createdAt: row.created_at,
  };
  if (row.width !== null) file.width = Number(row.width);
  if (row.height !== null) file.height = Number(row.height);
  if (row.thumb_sha256 !== null) file.thumbSha256 = row.thumb_sha256;
  if (row.attached_at !== null) file.attachedAt = row.attached_at;
  return file;
}

export async function insertFile(db: SqlExecutor, file: FileRecord): Promise<{ file: FileRecord; created: boolean }> {
  const { changes } = await db.run(
    `INSERT INTO files (id, owner_id, name, size, content_type, sha256, width, height, thumb_sha256, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner_id, sha256, name) DO NOTHING`,
    [
      file.id,
      file.ownerId,
      file.name,
      file.size,
      file.contentType,
      file.sha256,
      file.width ?? null,
      file.height ?? null,
      file.thumbSha256 ?? null,
      file.createdAt,
    ],
  );
  if (changes > 0) return { file, created: true };
  const row = await db.get<FileRow>("SELECT * FROM files WHERE owner_id = ? AND sha256 = ? AND name = ?", [
    file.ownerId,
    file.sha256,
    file.name,
  ]);
  if (!row) throw new Error("a file row vanished inside a transaction");
  return { file: toFileRecord(row), created: false };
}

export async function filesById(db: SqlExecutor, ids: readonly string[]): Promise<FileRecord[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const rows = await db.all<FileRow>(`SELECT * FROM files WHERE id IN (${placeholders(unique.length)})`, unique);
  return rows.map(toFileRecord);
}

/** Every file `ownerId` uploaded, oldest first. */
export async function fileRecordsOf(db: SqlExecutor, ownerId: string): Promise<FileRecord[]> {
  const rows = await db.all<FileRow>("SELECT * FROM files WHERE owner_id = ? ORDER BY created_at, id", [ownerId]);
  return rows.map(toFileRecord);
}

export async function readableFileIds(db: SqlExecutor, userId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const unique = [...new Set(ids)];
  const list = placeholders(unique.length);
  // A deleted message's rows are gone from message_files, so only live messages count.
  const rows = await db.all<{ id: string }>(
    `SELECT id FROM files WHERE owner_id = ? AND id IN (${list})
     UNION
     SELECT avatar_file_id AS id FROM users WHERE deleted_at IS NULL AND avatar_file_id IN (${list})
     UNION
     SELECT mf.file_id AS id FROM message_files mf
     JOIN members m ON m.conversation_id = mf.conversation_id AND m.user_id = ? AND m.active = 1
     WHERE mf.file_id IN (${list})`,
    [userId, ...unique, ...unique, userId, ...unique],
  );
  return new Set(rows.map((r) => r.id));
}

/** The files a conversation's live messages carry, newest message first, a page after `after`. */
export async function conversationFiles(
  db: SqlExecutor,
  conversationId: string,
  page: { kind?: "photo" | "file"; after?: { seq: number; position: number }; limit: number },
): Promise<{ files: (ConversationFile & { position: number })[]; hasMore: boolean }> {
  const params: unknown[] = [conversationId];
  let where = "mf.conversation_id = ?";
  if (page.after) {
    where += " AND (mf.seq < ? OR (mf.seq = ? AND mf.position > ?))";
    params.push(page.after.seq, page.after.seq, page.after.position);
  }
  if (page.kind === "photo") where += " AND f.thumb_sha256 IS NOT NULL";
  if (page.kind === "file") where += " AND f.thumb_sha256 IS NULL";
  params.push(page.limit + 1);
  const rows = await db.all<FileRow & { seq: number; position: number; sender_id: string; sent_at: string }>(
    `SELECT f.*, mf.seq, mf.position, m.sender_id, m.created_at AS sent_at FROM message_files mf
     JOIN files f ON f.id = mf.file_id
     JOIN messages m ON m.conversation_id = mf.conversation_id AND m.seq = mf.seq
     WHERE ${where} ORDER BY mf.seq DESC, mf.position ASC LIMIT ?`,
    params,
  );
  const hasMore = rows.length > page.limit;
  return {
    hasMore,
    files: rows.slice(0, page.limit).map((row) => ({
      file: fileInfo(toFileRecord(row)),
      seq: Number(row.seq),
      position: Number(row.position),
      senderId: row.sender_id,
      createdAt: row.sent_at,
    })),
  };
}

export async function usedBytes(db: SqlExecutor, ownerId: string): Promise<number> {
  const row = await db.get<{ n: number | string | null }>("SELECT sum(size) AS n FROM files WHERE owner_id = ?", [
    ownerId,
  ]);
  return Number(row?.n ?? 0);
}

/**
 * Link a new message to its files, inside its write: each must still have its row (a sweep or
 * a delete for everyone may have removed it since the sender's access was checked).
 */
export async function attachFiles(
  db: SqlExecutor,
  conversationId: string,
  seq: number,
  files: readonly FileInfo[],
  at: string,
): Promise<void> {
  const ids = files.map((f) => f.id);
  const unique = [...new Set(ids)];
  const found = await db.all<{ id: string }>(
    `SELECT id FROM files WHERE id IN (${placeholders(unique.length)})`,
    unique,
  );
  if (found.length !== unique.length) throw new HaetaeError("not_found", "fileIds: a file is gone.");
  // One statement for every link: on PostgreSQL each statement is a round trip under the write lock.
  await db.run(
    `INSERT INTO message_files (conversation_id, seq, position, file_id) VALUES ${ids.map(() => "(?, ?, ?, ?)").join(", ")}`,
    ids.flatMap((id, position) => [conversationId, seq, position, id]),
  );
  await db.run(
    `UPDATE files SET attached_at = ? WHERE attached_at IS NULL AND id IN (${placeholders(unique.length)})`,
    [at, ...unique],
  );
}

/** Remove file rows and note their blobs as garbage candidates. */
async function removeFiles(
  db: SqlExecutor,
  rows: readonly { id: string; sha256: string; thumb_sha256: string | null }[],
  at: string,
) {
  if (rows.length === 0) return;
  const ids = rows.map((r) => r.id);
  await db.run(`DELETE FROM files WHERE id IN (${placeholders(ids.length)})`, ids);
  const shas = new Set(rows.flatMap((r) => (r.thumb_sha256 ? [r.sha256, r.thumb_sha256] : [r.sha256])));
  for (const sha of shas) {
    await db.run("INSERT INTO blob_garbage (sha256, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [sha, at]);
  }
}

/**
 * A message deleted for everyone lets go of its files at once: its links go, and each file no
 * other message carries is removed (no one, its uploader included, reads it any more).
 */
export async function detachFiles(db: SqlExecutor, conversationId: string, seq: number, at: string): Promise<void> {
  const linked = await db.all<{ file_id: string }>(
    "SELECT file_id FROM message_files WHERE conversation_id = ? AND seq = ?",
    [conversationId, seq],
  );
  if (linked.length === 0) return;
  await db.run("DELETE FROM message_files WHERE conversation_id = ? AND seq = ?", [conversationId, seq]);
  const ids = [...new Set(linked.map((l) => l.file_id))];
  const orphans = await db.all<{ id: string; sha256: string; thumb_sha256: string | null }>(
    `SELECT id, sha256, thumb_sha256 FROM files f WHERE id IN (${placeholders(ids.length)})
     AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)`,
    ids,
  );
  await removeFiles(db, orphans, at);
}

export async function sweepFiles(
  db: SqlExecutor,
  unattachedBefore: string,
  limit: number,
  at: string,
  deleteBlob: (sha256: string) => Promise<void>,
): Promise<FileSweep> {
  const stale = await db.all<{ id: string; sha256: string; thumb_sha256: string | null }>(
    "SELECT id, sha256, thumb_sha256 FROM files WHERE attached_at IS NULL AND created_at < ? LIMIT ?",
    [unattachedBefore, limit],
  );
  await removeFiles(db, stale, at);
  await sweepLinkPreviews(db, at, limit);
  const candidates = await db.all<{ sha256: string }>("SELECT sha256 FROM blob_garbage LIMIT ?", [limit]);
  let blobs = 0;
  for (const { sha256 } of candidates) {
    // A link preview's image is a blob too, named by its cache row rather than a file row.
    const named = await db.get<{ one: number }>(
      `SELECT 1 AS one FROM files WHERE sha256 = ? OR thumb_sha256 = ?
       UNION ALL SELECT 1 AS one FROM link_previews WHERE image_sha256 = ? LIMIT 1`,
      [sha256, sha256, sha256],
    );
    if (!named) {
      await deleteBlob(sha256);
      blobs += 1;
    }
    await db.run("DELETE FROM blob_garbage WHERE sha256 = ?", [sha256]);
  }
  return { files: stale.length, blobs };
}
