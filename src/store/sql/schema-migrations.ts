/** @module The schema of both SQL dialects, written once: versioned migrations in words that schema-dialect.ts renders for SQLite or PostgreSQL. */
import type { SchemaDialect } from "./schema-dialect.js";

/** One version of the schema: its SQL takes the dialect it is rendered for. */
export interface SchemaMigration {
  version: number;
  /** Recorded in `schema_migrations` beside the version. */
  name: string;
  sql(dialect: SchemaDialect): string;
}

/** A migration rendered for one dialect, ready to run. */
export interface RenderedMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Each entry is one version; never edit a released one (a database that has it would not get
 * the change, and schema-migrations.test.ts keeps each one's rendered text), append a new one.
 */
export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: "core messenger",
    sql: (d) => `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX devices_user ON devices(user_id);
CREATE TABLE contacts (
  user_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, contact_id)
)${d.keyedTable};
CREATE TABLE blocks (
  user_id TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
)${d.keyedTable};
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT,
  direct_key TEXT UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_activity_at TEXT NOT NULL
);
CREATE TABLE members (
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  joined_at TEXT NOT NULL,
  joined_event_id ${d.eventIdType} NOT NULL,
  left_event_id ${d.eventIdType},
  active INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (conversation_id, user_id)
)${d.keyedTable};
CREATE INDEX members_user ON members(user_id, active);
CREATE TABLE messages (
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  sender_id TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  reply_to_seq INTEGER,
  mentions TEXT NOT NULL,
  mentions_all INTEGER NOT NULL,
  edited_at TEXT,
  deleted_at TEXT,
  PRIMARY KEY (conversation_id, seq)
)${d.keyedTable};
CREATE UNIQUE INDEX messages_client_msg ON messages(sender_id, client_msg_id);
CREATE TABLE message_mentions (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id, seq)
)${d.keyedTable};
CREATE TABLE reactions (
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  emoji TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq, user_id, emoji)
)${d.keyedTable};
CREATE TABLE events (
  id ${d.eventIdKey},
  conversation_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX events_conversation ON events(conversation_id, id);
`,
  },
  {
    version: 2,
    name: "membership spans",
    // A user removed and added again has two spans; the feed shows both (members keeps one row).
    sql: (d) => `
CREATE TABLE membership_spans (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  joined_event_id ${d.eventIdType} NOT NULL,
  left_event_id ${d.eventIdType},
  PRIMARY KEY (user_id, conversation_id, joined_event_id)
)${d.keyedTable};
INSERT INTO membership_spans (conversation_id, user_id, joined_event_id, left_event_id)
  SELECT conversation_id, user_id, joined_event_id, left_event_id FROM members;
`,
  },
  {
    version: 3,
    name: "event seq",
    sql: (d) => `
ALTER TABLE events ADD COLUMN seq INTEGER;
UPDATE events SET seq = ${d.jsonInteger("payload", "seq")};
CREATE INDEX events_message ON events(conversation_id, seq);
`,
  },
  {
    version: 4,
    name: "user roles",
    sql: () => "ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';",
  },
  {
    version: 5,
    name: "system accounts and server settings",
    // system_kind marks the accounts the server runs (status, canary), which nobody may add to a
    // conversation; server_settings holds values every node must agree on (the staff conversation's id).
    sql: () => `
ALTER TABLE users ADD COLUMN system_kind TEXT;
CREATE TABLE server_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`,
  },
  {
    version: 6,
    name: "websocket tickets",
    sql: (d) => `
CREATE TABLE ws_tickets (
  ticket_hash TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  expires_at TEXT NOT NULL
)${d.keyedTable};
CREATE INDEX ws_tickets_device ON ws_tickets(device_id);
CREATE INDEX ws_tickets_expiry ON ws_tickets(expires_at);
`,
  },
  {
    version: 7,
    name: "group invitations and reports",
    // An invitation is a non-contact's consent to join; a report of a group is kept for staff.
    sql: () => `
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  inviter_id TEXT NOT NULL,
  invitee_id TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  answered_at TEXT
);
CREATE INDEX invitations_invitee ON invitations(invitee_id, status, created_at);
CREATE INDEX invitations_inviter ON invitations(inviter_id, created_at);
CREATE INDEX invitations_conversation ON invitations(conversation_id, invitee_id);
CREATE TABLE conversation_reports (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  reporter_id TEXT NOT NULL,
  reason TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (conversation_id, reporter_id)
);
CREATE INDEX conversation_reports_created ON conversation_reports(created_at);
CREATE INDEX contacts_contact ON contacts(contact_id, user_id);
CREATE INDEX blocks_blocked ON blocks(blocked_id, user_id);
`,
  },
  {
    version: 8,
    name: "device keys and password resets",
    sql: () => `
CREATE TABLE device_keys (
  key_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  device_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX device_keys_user ON device_keys(user_id);
CREATE TABLE password_resets (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  code_hash TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
`,
  },
  {
    version: 9,
    name: "event transactions",
    // Batches of several nodes commit side by side on PostgreSQL; the feed reads by snapshots of
    // committed transactions, so each event records the transaction that wrote it.
    sql: (d) => `
ALTER TABLE events ADD COLUMN tx ${d.eventTransaction};
${d.eventTransactionIndex}
`,
  },
  {
    version: 10,
    name: "files",
    // A file row is one upload of one user; its bytes are a blob named by sha256 (shared by equal
    // uploads). message_files says which messages carry it (access to read it follows from
    // them); messages.files keeps the files as the message shows them. blob_garbage lists the
    // blobs that may have lost their last file row, for the sweep to delete (chat/actions/files.ts).
    sql: (d) => `
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  name TEXT NOT NULL,
  size ${d.bigInteger} NOT NULL,
  content_type TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  width INTEGER,
  height INTEGER,
  thumb_sha256 TEXT,
  created_at TEXT NOT NULL,
  attached_at TEXT
);
CREATE UNIQUE INDEX files_upload ON files(owner_id, sha256, name);
CREATE INDEX files_sha256 ON files(sha256);
CREATE INDEX files_thumb ON files(thumb_sha256);
CREATE INDEX files_created ON files(created_at);
CREATE TABLE message_files (
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  position INTEGER NOT NULL,
  file_id TEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq, position)
)${d.keyedTable};
CREATE INDEX message_files_file ON message_files(file_id, conversation_id);
CREATE TABLE blob_garbage (
  sha256 TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
ALTER TABLE messages ADD COLUMN files TEXT;
`,
  },
  {
    version: 11,
    name: "link previews",
    // link_previews caches what a URL's page said (or that its fetch failed, preview NULL) until
    // expires_at, so equal links are fetched once; its image is a blob named by image_sha256.
    // message_previews says which live messages carry a preview (reading its image follows from
    // them); messages.preview keeps the preview as the message shows it.
    sql: (d) => `
CREATE TABLE link_previews (
  url TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  preview TEXT,
  image_sha256 TEXT,
  fetched_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX link_previews_image ON link_previews(image_sha256);
CREATE TABLE message_previews (
  preview_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (preview_id, conversation_id, seq)
)${d.keyedTable};
CREATE INDEX message_previews_message ON message_previews(conversation_id, seq);
ALTER TABLE messages ADD COLUMN preview TEXT;
`,
  },
  {
    version: 12,
    name: "notifications",
    sql: (d) => `
CREATE TABLE push_subscriptions (
  endpoint TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);
CREATE TABLE chat_mutes (
  user_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  muted_until TEXT,
  mentions_override INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
)${d.keyedTable};
CREATE TABLE notify_settings (
  user_id TEXT PRIMARY KEY,
  dnd_start INTEGER,
  dnd_end INTEGER,
  utc_offset INTEGER NOT NULL,
  hide_text INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
`,
  },
  {
    version: 13,
    name: "group roles, photos, system lines and profiles",
    // messages.system: the JSON of a system line (entities.ts SystemLine), null on a message a
    // person wrote; conversations.photo: the JSON of the group photo (FileInfo); the users'
    // profile (status line, photo) and the time an account was deleted (its row stays, as a
    // tombstone its messages still point at). members.role now also holds 'admin'.
    sql: () => `
ALTER TABLE messages ADD COLUMN system TEXT;
ALTER TABLE conversations ADD COLUMN photo TEXT;
ALTER TABLE users ADD COLUMN status_text TEXT;
ALTER TABLE users ADD COLUMN avatar_file_id TEXT;
ALTER TABLE users ADD COLUMN deleted_at TEXT;
`,
  },
  {
    version: 14,
    name: "message search and pinned notices",
    // A span's seqs: the member finds the messages after from_seq and up to to_seq (null while a
    // member), the ones sent while they were in (G7). Backfilled from the events on each side
    // of the span's own events. A group's pinned notice lives on its row.
    sql: (d) => `
ALTER TABLE membership_spans ADD COLUMN from_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE membership_spans ADD COLUMN to_seq INTEGER;
UPDATE membership_spans SET from_seq = COALESCE((SELECT max(e.seq) FROM events e
  WHERE e.conversation_id = membership_spans.conversation_id AND e.id < membership_spans.joined_event_id), 0);
UPDATE membership_spans SET to_seq = COALESCE((SELECT max(e.seq) FROM events e
  WHERE e.conversation_id = membership_spans.conversation_id AND e.id < membership_spans.left_event_id), 0)
  WHERE left_event_id IS NOT NULL;
ALTER TABLE conversations ADD COLUMN pinned_seq INTEGER;
ALTER TABLE conversations ADD COLUMN pinned_by TEXT;
ALTER TABLE conversations ADD COLUMN pinned_at TEXT;
${d.searchIndex}`,
  },
  {
    version: 15,
    name: "store epochs",
    // PostgreSQL's timelines this store has written on, each with the first transaction id a
    // node took on it: no write of the store on that timeline has a smaller one (feed cursors
    // of an older timeline read from there, postgres-epochs.ts). Empty on SQLite.
    sql: () => `
CREATE TABLE store_epochs (
  timeline INTEGER PRIMARY KEY,
  xid_floor xid8 NOT NULL
);
`,
  },
  {
    version: 16,
    name: "mentions in quiet hours",
    // A mention may ring during quiet hours only when the user turns this on.
    sql: () => `
ALTER TABLE notify_settings ADD COLUMN mentions_in_dnd INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 17,
    name: "hidden presence and group invite links",
    // users.hide_presence: 1 when the user hides their presence and last seen from everyone;
    // users.last_seen_at: when their last connection closed, so a node started later knows it.
    // group_links: a group's invite links; token is what the link carries (admins list and copy
    // their links again, so it is kept as is, and only ever joins that one group).
    sql: () => `
ALTER TABLE users ADD COLUMN hide_presence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_seen_at TEXT;
CREATE TABLE group_links (
  id TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  max_uses INTEGER,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at TEXT,
  revoked_by TEXT
);
CREATE INDEX group_links_conversation ON group_links(conversation_id, created_at);
`,
  },
  {
    version: 18,
    name: "forwarded copies",
    // 1 on a copy made by message.forward; earlier forwards are not known and stay unmarked.
    sql: () => `
ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 19,
    name: "search index fed after the send",
    // SQLite's FTS5 insert was a third of a send's cost; new messages now wait in a queue the
    // store's indexer drains (search reads the queue too, so nothing is missed meanwhile).
    sql: (d) => d.searchQueue,
  },
  {
    version: 20,
    name: "push retries kept across restarts",
    // A push the push service could not take for now, waiting for its next try: kept so that a
    // restarted node (or another one) sends it. A node takes a row by deleting it, so exactly one
    // node tries it; the subscription is looked up again then (it may be gone, its device logged out).
    sql: () => `
CREATE TABLE push_retries (
  id TEXT PRIMARY KEY,
  endpoint TEXT NOT NULL,
  user_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  due_at TEXT NOT NULL
);
CREATE INDEX push_retries_due ON push_retries(due_at, id);
`,
  },
  {
    version: 21,
    name: "messages by time within a chat",
    // PostgreSQL's search reads a large history newest first, window by window of created_at,
    // instead of the GIN bitmap of a common word (hundreds of thousands of entries).
    sql: (d) => d.searchWalkIndex,
  },
  {
    version: 22,
    name: "room for in-place updates",
    // Every append updates its conversation's row and the sender's member row; on PostgreSQL,
    // with no room on the page, each update also wrote an entry in every index of the table.
    sql: (d) => d.updateRoom,
  },
  {
    version: 23,
    name: "search index in a file of its own",
    // SQLite's indexer rounds still ran on the writer's connection, a third of its capacity under
    // sends; the index moves to a file its own thread writes (sqlite-search-file.ts builds it
    // again from the queue at the next start).
    sql: (d) => d.searchIndexApart,
  },
  {
    version: 24,
    name: "search index fed from the feed",
    // The queue row a send's trigger wrote, and its delete, were most of what the index still
    // added to a send; the feed already names every change, in commit order.
    sql: (d) => d.searchFromFeed,
  },
];

/** The migrations as one dialect runs them. */
export function migrationsFor(dialect: SchemaDialect): RenderedMigration[] {
  return SCHEMA_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, sql: m.sql(dialect) }));
}

/** Where a database records the versions it has (the same table on both dialects). */
export const CREATE_MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

/**
 * The migrations a database at version `current` still needs, in order. A database newer than
 * this build refuses the start: an older build would write rows the newer schema does not expect.
 */
export function migrationsAfter(current: number, migrations: readonly RenderedMigration[]): RenderedMigration[] {
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(
      `the database is at schema version ${current}, newer than this build knows (${newest}); refusing to start`,
    );
  }
  return migrations.filter((m) => m.version > current);
}
