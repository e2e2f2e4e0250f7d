/**
 * @module SQLite's search index in a database file of its own (`haetae-search.db`, beside
 * `haetae.db`): its schema, how it is matched to the store's file at start, and one indexing
 * round from the store's feed (`events`) into it.
 */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { openPrivateDatabase } from "../private-database.js";
import { SEARCH_CHANGE_EVENTS, SEARCH_KEY_STRIDE } from "../sql/schema-dialect.js";

/** Most feed events one round takes: one transaction of the index file. */
export const SEARCH_INDEX_BATCH = 5_000;

/** The schema name the index file is attached under, on the store's reader and in the indexer. */
export const SEARCH_SCHEMA = "search";

/** The index file of the store in `file` (`…/haetae.db` → `…/haetae-search.db`). */
export function searchIndexFile(file: string): string {
  return file.endsWith(".db") ? `${file.slice(0, -3)}-search.db` : `${file}-search`;
}

/**
 * `search_state` holds one row: the token it shares with the store's `search_index` row (a
 * store file and an index file that do not name the same token were not written together,
 * and the index is built again), and the last feed event whose change is in the index.
 */
const INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS search_state (
  token TEXT NOT NULL,
  indexed_through INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
  text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0'
);
`;

/** Open the index file for writing, with the store's file attached (read only by the indexer). */
export function openSearchIndex(storeFile: string): Database.Database {
  const db = openPrivateDatabase(searchIndexFile(storeFile));
  db.pragma("journal_mode = WAL");
  // The store's searches trust the index through the event a round reports: the round must be
  // on disk first, or a crash could lose index entries the store counts as indexed.
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -65536");
  db.exec(INDEX_SCHEMA);
  db.prepare("ATTACH DATABASE ? AS store").run(storeFile);
  // A round reads its messages by key all over the store's file: with SQLite's default 2 MiB
  // cache for the attached file, each round read its pages again.
  db.pragma("store.cache_size = -65536");
  return db;
}

/**
 * At start, before any thread: when the index file is new, or not the one written with this
 * store file (tokens differ: a file restored or removed by hand, or a migration that changed what
 * the index holds), or ahead of the store's feed (the store's file put back from an older copy), empty it and set both watermarks to 0, so the indexer builds it again from
 * the first event in the background while searches read the rest outright. The index file
 * commits first: a crash between the two commits leaves the tokens different, and the next
 * start does it again.
 */
export function prepareSearchIndex(store: Database.Database, storeFile: string): void {
  const index = openSearchIndex(storeFile);
  try {
    const mine = index.prepare("SELECT token FROM search_state").get() as { token: string } | undefined;
    const theirs = store.prepare("SELECT token FROM search_index").get() as { token: string } | undefined;
    const newestEvent = Number(store.prepare("SELECT coalesce(max(id), 0) FROM events").pluck().get());
    // A store file put back from an older copy beside this index file: the index holds events the
    // store has not (yet), and the store will hand their ids out again to other changes.
    const storeOlder = mine !== undefined && indexedThrough(index) > newestEvent;
    if (mine && theirs && mine.token === theirs.token && !storeOlder) {
      // An index file put back from an older copy: the store trusts it no further than it goes.
      store
        .prepare("UPDATE search_index SET indexed_through = ? WHERE indexed_through > ?")
        .run(indexedThrough(index), indexedThrough(index));
      return;
    }
    const token = randomUUID();
    index.transaction(() => {
      index.exec("INSERT INTO message_search (message_search) VALUES ('delete-all')");
      index.exec("DELETE FROM search_state");
      index.prepare("INSERT INTO search_state (token, indexed_through) VALUES (?, 0)").run(token);
    })();
    store.transaction(() => {
      store.exec("DELETE FROM search_index");
      store.prepare("INSERT INTO search_index (token, indexed_through) VALUES (?, 0)").run(token);
    })();
  } finally {
    index.close();
  }
}

/** What a round did: feed events taken (`taken`), messages whose entry it changed (`messages`), and the last event now in the index. */
export interface IndexRound {
  taken: number;
  messages: number;
  through: number;
}

/** The last feed event in the index. */
export function indexedThrough(db: Database.Database): number {
  return Number((db.prepare("SELECT indexed_through AS t FROM search_state").get() as { t: number }).t);
}

/**
 * One round on `db` (`openSearchIndex`): the next `batch` feed events past the index's
 * `indexed_through`, in one transaction of the index file; those that change a message's entry
 * (new, edited, deleted) are applied. An edited or deleted message leaves its old entry first;
 * every message named goes in with its text now (read from the store), unless deleted. Events are
 * taken in id order, which is commit order (SQLite has one writer), so no change is passed over.
 * New entries go in by ascending rowid: FTS5 writes its pending terms out as a new segment
 * whenever a rowid is lower than the previous one, so feed order (chats interleaved) wrote a
 * segment every few rows and merged them again, four to five times the work. The store is told
 * `through` afterwards (`SqliteSearchIndexer`), and trusts the index that far from then on.
 */
export function indexRound(db: Database.Database, batch = SEARCH_INDEX_BATCH): IndexRound {
  return db
    .transaction((): IndexRound => {
      const from = indexedThrough(db);
      const last = db
        .prepare(
          "SELECT max(id) AS id, count(*) AS n FROM (SELECT id FROM store.events WHERE id > ? ORDER BY id LIMIT ?)",
        )
        .get(from, batch) as { id: number | null; n: number };
      if (last.id === null) return { taken: 0, messages: 0, through: from };
      // By the ids' range (NOT INDEXED: else the DISTINCT walks the whole events_message index).
      const changed = `SELECT DISTINCT conversation_id, seq FROM store.events NOT INDEXED
        WHERE id > ? AND id <= ? AND type IN ${SEARCH_CHANGE_EVENTS} AND seq IS NOT NULL`;
      const stale = db
        .prepare(
          `SELECT k.search_key * ${SEARCH_KEY_STRIDE} + e.seq AS rowid FROM store.events e NOT INDEXED
           JOIN store.search_keys k ON k.conversation_id = e.conversation_id
           WHERE e.id > ? AND e.id <= ? AND e.type IN ('message.edited', 'message.deleted')`,
        )
        .all(from, last.id) as { rowid: number }[];
      const remove = db.prepare("DELETE FROM message_search WHERE rowid = ?");
      for (const rowid of new Set(stale.map((s) => s.rowid))) remove.run(rowid);
      db.prepare(
        `INSERT INTO message_search (rowid, text)
         SELECT k.search_key * ${SEARCH_KEY_STRIDE} + m.seq, m.text FROM (${changed}) p
         JOIN store.messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
         JOIN store.search_keys k ON k.conversation_id = p.conversation_id
         WHERE m.deleted_at IS NULL AND m.text <> ''
         ORDER BY 1`,
      ).run(from, last.id);
      const messages = db.prepare(`SELECT count(*) FROM (${changed})`).pluck().get(from, last.id);
      db.prepare("UPDATE search_state SET indexed_through = ?").run(last.id);
      return { taken: Number(last.n), messages: Number(messages), through: Number(last.id) };
    })
    .immediate();
}
