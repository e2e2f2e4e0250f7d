/** @module SQLite's search indexer: moves queued messages (`search_pending`) into the FTS5 table in batches, off the send's own transaction. */
import { SEARCH_KEY_STRIDE } from "../sql/schema-dialect.js";
import type { SqlExecutor } from "../sql/sql-driver.js";

/** How often the indexer looks at the queue. */
export const SEARCH_INDEX_INTERVAL_MS = 1_000;
/** Most messages one round indexes: a round is one write, and sends wait behind it. */
export const SEARCH_INDEX_BATCH = 5_000;

/**
 * Index the oldest `batch` queued messages in one transaction: into the FTS5 table, off the
 * queue. An edit or delete of a queued message takes it off the queue itself (and indexes the
 * new text), so what is queued is a message as sent. Returns how many were indexed.
 */
export async function indexQueuedMessages(tx: SqlExecutor, batch = SEARCH_INDEX_BATCH): Promise<number> {
  const last = await tx.get<{ id: number | null; n: number }>(
    "SELECT max(id) AS id, count(*) AS n FROM (SELECT id FROM search_pending ORDER BY id LIMIT ?)",
    [batch],
  );
  if (!last || last.id === null) return 0;
  await tx.run(
    `INSERT INTO message_search (rowid, text)
     SELECT k.search_key * ${SEARCH_KEY_STRIDE} + m.seq, m.text FROM search_pending p
     JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
     JOIN search_keys k ON k.conversation_id = p.conversation_id
     WHERE p.id <= ?`,
    [last.id],
  );
  await tx.run("DELETE FROM search_pending WHERE id <= ?", [last.id]);
  return Number(last.n);
}

/**
 * Drains the queue every SEARCH_INDEX_INTERVAL_MS through the store's writes (a round joins the
 * group commit like any write). A search never waits for it: it reads the queue as well.
 */
export class SqliteSearchIndexer {
  private readonly timer: ReturnType<typeof setInterval>;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly reader: SqlExecutor,
    private readonly write: (fn: (tx: SqlExecutor) => Promise<number>) => Promise<number>,
  ) {
    this.timer = setInterval(() => this.round(), SEARCH_INDEX_INTERVAL_MS);
    this.timer.unref();
  }

  /** One round, unless one is still running. A failed round is tried again next time (the queue is still there). */
  private round(): void {
    if (this.running) return;
    // Looked at on the reader first: an idle store writes nothing.
    this.running = this.reader
      .get<{ one: number }>("SELECT 1 AS one FROM search_pending LIMIT 1")
      .then((queued) => (queued ? this.write((tx) => indexQueuedMessages(tx)) : 0))
      .catch(() => 0)
      .finally(() => {
        this.running = null;
      });
  }

  /** Stop; a round under way finishes first. What is still queued is indexed after the next start. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
