/** @module Every place the SQLite and PostgreSQL schemas differ, named once: the words schema-migrations.ts is written in. */

/** How a dialect spells the few things the two schemas spell differently. */
export interface SchemaDialect {
  readonly name: "sqlite" | "postgres";
  /**
   * The feed's event id: numbered by the database in commit order, never reused (a client's
   * cursor is an event id, G4). SQLite needs AUTOINCREMENT for "never reused" after the newest row is deleted.
   */
  readonly eventIdKey: string;
  /** A column holding an event id: 64-bit, as the id itself is. */
  readonly eventIdType: string;
  /**
   * Written after the `)` of a table whose primary key is how it is read: SQLite then keeps the
   * rows in the key's own B-tree instead of a rowid table plus an index. PostgreSQL has no such choice.
   */
  readonly keyedTable: string;
  /**
   * The events' `tx` column: on PostgreSQL the id of the transaction that wrote the event (the
   * feed's snapshot cursors compare it with a snapshot); on SQLite always 0 (one writer: ids
   * are in commit order and the feed reads by id).
   */
  readonly eventTransaction: string;
  /** Statements that index `tx` where it is read (PostgreSQL), or nothing. */
  readonly eventTransactionIndex: string;

  /** A 64-bit integer column that is not an event id (a file's size: 2 GiB passes PostgreSQL's INTEGER). */
  readonly bigInteger: string;
  /** An expression for the integer `field` of the JSON text in `column`. */
  jsonInteger(column: string, field: string): string;
  /**
   * The message search index (store/sql/search-queries.ts reads it), kept in step with `messages`
   * by the database itself, inside the write's own transaction: SQLite, an FTS5 trigram table
   * fed by triggers (a message's rowid there is its conversation's `search_key` × 2^31 + its seq);
   * PostgreSQL, a GIN trigram index (pg_trgm) on `lower(text)`.
   */
  readonly searchIndex: string;
  /**
   * SQLite: new messages are queued for the index (`search_pending`) instead of indexed in the
   * send's own transaction; the store's search indexer moves them into the FTS5 table in
   * batches, and a search reads the queued ones directly. Edits and deletes still change the
   * index in their own write. PostgreSQL: nothing (its GIN index costs a send little).
   */
  readonly searchQueue: string;
  /**
   * PostgreSQL: messages by (conversation, created_at), which the search's newest-first walk
   * reads back in time windows, one range per span (store/sql/search-walk.ts). SQLite: nothing
   * (its FTS5 index is read per span and meets the targets without it).
   */
  readonly searchWalkIndex: string;
  /**
   * PostgreSQL: room left on each page of the tables every append updates (a conversation's
   * `last_seq`, the sender's read cursor), so that the new row version fits beside the old and
   * the update is HOT: no new entry in any of the table's indexes. At the default (pages filled
   * full) each such update wrote a new heap page's row plus an entry in each index.
   * SQLite: nothing (it updates rows in place).
   */
  readonly updateRoom: string;
  /**
   * SQLite: the FTS5 table leaves the store's file for one of its own (sqlite-search-file.ts),
   * written by the indexer's thread beside the writer; the queue now carries edits and deletes
   * too (`changed`), and its ids are never reused (the index file records the last one it holds).
   * `search_index` holds the token naming the index file written with this one. PostgreSQL: nothing.
   */
  readonly searchIndexApart: string;
  /**
   * SQLite: the queue goes; the indexer reads what changed from the feed itself (the `events`
   * table: every new, edited and deleted message has its event there, in commit order, kept for
   * good), so a send writes nothing for the index. `search_index` records the last event the
   * index file holds (`indexed_through`, reported by the indexer). PostgreSQL: nothing.
   */
  readonly searchFromFeed: string;
}

/**
 * The feed events that change what the SQLite search index holds for a message (its text, or
 * whether it is there), as an SQL list: the indexer takes them past its watermark, and a search
 * reads their messages outright until the index holds them.
 */
export const SEARCH_CHANGE_EVENTS = "('message.new', 'message.edited', 'message.deleted')";

/** Places of a message in the SQLite search index: its conversation's key × 2^31 + seq (seqs are 31-bit). */
export const SEARCH_KEY_STRIDE = 2_147_483_648;

const SQLITE_SEARCH_INDEX = `
CREATE TABLE search_keys (
  search_key INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL UNIQUE
);
INSERT INTO search_keys (conversation_id) SELECT id FROM conversations ORDER BY created_at, id;
CREATE TRIGGER conversations_search_key AFTER INSERT ON conversations BEGIN
  INSERT INTO search_keys (conversation_id) VALUES (new.id);
END;
CREATE VIRTUAL TABLE message_search USING fts5(
  text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0'
);
INSERT INTO message_search (rowid, text)
  SELECT k.search_key * ${SEARCH_KEY_STRIDE} + m.seq, m.text FROM messages m
  JOIN search_keys k ON k.conversation_id = m.conversation_id
  WHERE m.deleted_at IS NULL AND m.text <> '';
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.deleted_at IS NULL AND new.text <> '' BEGIN
  INSERT INTO message_search (rowid, text)
    SELECT search_key * ${SEARCH_KEY_STRIDE} + new.seq, new.text FROM search_keys WHERE conversation_id = new.conversation_id;
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_at ON messages BEGIN
  DELETE FROM message_search WHERE rowid =
    (SELECT search_key * ${SEARCH_KEY_STRIDE} + old.seq FROM search_keys WHERE conversation_id = old.conversation_id);
  INSERT INTO message_search (rowid, text)
    SELECT search_key * ${SEARCH_KEY_STRIDE} + new.seq, new.text FROM search_keys
    WHERE conversation_id = new.conversation_id AND new.deleted_at IS NULL AND new.text <> '';
END;
`;

const SQLITE_SEARCH_QUEUE = `
CREATE TABLE search_pending (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
);
DROP TRIGGER messages_search_insert;
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.deleted_at IS NULL AND new.text <> '' BEGIN
  INSERT INTO search_pending (conversation_id, seq) VALUES (new.conversation_id, new.seq);
END;
DROP TRIGGER messages_search_update;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_at ON messages BEGIN
  DELETE FROM search_pending WHERE conversation_id = old.conversation_id AND seq = old.seq;
  DELETE FROM message_search WHERE rowid =
    (SELECT search_key * ${SEARCH_KEY_STRIDE} + old.seq FROM search_keys WHERE conversation_id = old.conversation_id);
  INSERT INTO message_search (rowid, text)
    SELECT search_key * ${SEARCH_KEY_STRIDE} + new.seq, new.text FROM search_keys
    WHERE conversation_id = new.conversation_id AND new.deleted_at IS NULL AND new.text <> '';
END;
`;

const SQLITE_SEARCH_INDEX_APART = `
DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_update;
DROP TABLE message_search;
DROP TABLE search_pending;
CREATE TABLE search_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  changed INTEGER NOT NULL DEFAULT 0,
  UNIQUE (conversation_id, seq)
);
CREATE TABLE search_index (
  token TEXT NOT NULL
);
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.deleted_at IS NULL AND new.text <> '' BEGIN
  INSERT INTO search_pending (conversation_id, seq) VALUES (new.conversation_id, new.seq);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_at ON messages BEGIN
  DELETE FROM search_pending WHERE conversation_id = old.conversation_id AND seq = old.seq;
  INSERT INTO search_pending (conversation_id, seq, changed) VALUES (old.conversation_id, old.seq, 1);
END;
`;

// The index file's watermark named queue ids; from here on it names event ids: a new token (none
// now) has the next start build the index again from the first event.
const SQLITE_SEARCH_FROM_FEED = `
DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_update;
DROP TABLE search_pending;
DELETE FROM search_index;
ALTER TABLE search_index ADD COLUMN indexed_through INTEGER NOT NULL DEFAULT 0;
`;

// pg_trgm may already be in another schema of the database (extensions are per database): the
// operator class is named through the schema it is in. Two schemas migrating at once may both
// try to create it; the loser finds it made. Without the extension the migration fails, loudly.
const POSTGRES_SEARCH_INDEX = `
DO $search$
DECLARE where_trgm text;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
  EXCEPTION
    WHEN unique_violation OR duplicate_object THEN NULL;
    WHEN undefined_file OR feature_not_supported THEN
      RAISE EXCEPTION 'message search needs the pg_trgm extension on the PostgreSQL server (contrib): %', SQLERRM;
  END;
  SELECT n.nspname INTO where_trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX messages_text_trgm ON messages USING gin (lower(text) %I.gin_trgm_ops)', where_trgm);
END
$search$;
`;

export const SQLITE_SCHEMA: SchemaDialect = {
  name: "sqlite",
  eventIdKey: "INTEGER PRIMARY KEY AUTOINCREMENT",
  eventIdType: "INTEGER",
  keyedTable: " WITHOUT ROWID",
  eventTransaction: "xid8 NOT NULL DEFAULT 0",
  eventTransactionIndex: "",

  bigInteger: "INTEGER",
  jsonInteger: (column, field) => `json_extract(${column}, '$.${field}')`,
  searchIndex: SQLITE_SEARCH_INDEX,
  searchQueue: SQLITE_SEARCH_QUEUE,
  searchWalkIndex: "SELECT 1;",
  updateRoom: "SELECT 1;",
  searchIndexApart: SQLITE_SEARCH_INDEX_APART,
  searchFromFeed: SQLITE_SEARCH_FROM_FEED,
};

export const POSTGRES_SCHEMA: SchemaDialect = {
  name: "postgres",
  eventIdKey: "BIGSERIAL PRIMARY KEY",
  eventIdType: "BIGINT",
  keyedTable: "",
  eventTransaction: "xid8 NOT NULL DEFAULT pg_current_xact_id()",
  eventTransactionIndex: "CREATE INDEX events_transaction ON events(conversation_id, tx);",

  bigInteger: "BIGINT",
  jsonInteger: (column, field) => `(${column}::json->>'${field}')::integer`,
  searchIndex: POSTGRES_SEARCH_INDEX,
  searchQueue: "SELECT 1;",
  searchWalkIndex: "CREATE INDEX messages_conversation_time ON messages(conversation_id, created_at);",
  // Pages written from here on keep the room; rows already stored move as they are updated
  // (or all at once with VACUUM FULL, which a migration cannot run inside its transaction).
  updateRoom: `
ALTER TABLE conversations SET (fillfactor = 50);
ALTER TABLE members SET (fillfactor = 50);
`,
  searchIndexApart: "SELECT 1;",
  searchFromFeed: "SELECT 1;",
};
