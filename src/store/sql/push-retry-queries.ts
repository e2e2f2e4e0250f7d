/** @module SQL of push retries kept across restarts: keep one, take one (by deleting it, so one node alone tries it), list those to resume. */
import type { PushRetryRecord } from "../store.js";
import type { SqlExecutor } from "./sql-driver.js";

interface RetryRow {
  id: string;
  endpoint: string;
  user_id: string;
  payload: string;
  attempt: number | string;
  due_at: string;
}

const toRetry = (row: RetryRow): PushRetryRecord => ({
  id: row.id,
  endpoint: row.endpoint,
  userId: row.user_id,
  payload: JSON.parse(row.payload) as PushRetryRecord["payload"],
  attempt: Number(row.attempt),
  dueAt: row.due_at,
});

export async function addPushRetry(db: SqlExecutor, retry: PushRetryRecord): Promise<void> {
  await db.run("INSERT INTO push_retries (id, endpoint, user_id, payload, attempt, due_at) VALUES (?, ?, ?, ?, ?, ?)", [
    retry.id,
    retry.endpoint,
    retry.userId,
    JSON.stringify(retry.payload),
    retry.attempt,
    retry.dueAt,
  ]);
}

/** True only for the caller whose delete removed the row: two nodes resuming the same row never both send it. */
export async function claimPushRetry(db: SqlExecutor, id: string): Promise<boolean> {
  return (await db.run("DELETE FROM push_retries WHERE id = ?", [id])).changes > 0;
}

export async function dropStalePushRetries(db: SqlExecutor, staleBefore: string): Promise<void> {
  await db.run("DELETE FROM push_retries WHERE due_at < ?", [staleBefore]);
}

export async function pendingPushRetries(db: SqlExecutor, limit: number): Promise<PushRetryRecord[]> {
  const rows = await db.all<RetryRow>("SELECT * FROM push_retries ORDER BY due_at, id LIMIT ?", [limit]);
  return rows.map(toRetry);
}
