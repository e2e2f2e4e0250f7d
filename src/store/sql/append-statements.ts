/**
 * @module The statements a group of appends runs, one set per dialect: on SQLite fixed-size
 * multi-row statements (a few shapes, each cached); on PostgreSQL two statements whatever the
 * group's size (everything it reads in one, then every write in one), rows passed as arrays and
 * unrolled by `unnest`.
 */
import { placeholders, type SqlExecutor } from "./sql-driver.js";

/** A conversation's row as a group of appends reads it. */
export interface ConversationRow {
  id: string;
  kind: string;
  last_seq: number;
  last_activity_at: string;
}

/** An active member's row as a group of appends reads it. */
export interface MemberRow {
  conversation_id: string;
  user_id: string;
  joined_event_id: number;
}

/** Rows of a group's messages: conversation, seq, id, sender, clientMsgId, text, created, replyToSeq, mentions JSON, mentionsAll (0/1), forwarded (0/1). */
export type MessageValues = [
  string,
  number,
  string,
  string,
  string,
  string,
  string,
  number | null,
  string,
  number,
  number,
];
/** Rows of a group's feed events: conversation, type, payload JSON, created, seq. */
export type EventValues = [string, string, string, string, number];

/** What a group of appends writes, one array of rows per table. */
export interface GroupRows {
  /** (conversation, last seq, last activity) */
  conversations: [string, number, string][];
  messages: MessageValues[];
  /** (conversation, user, seq) */
  mentions: [string, string, number][];
  /** (conversation, user, seq) */
  readCursors: [string, string, number][];
  events: EventValues[];
}

/** What a group of appends reads before it writes. */
export interface GroupReads {
  /** Which of the group's (sender, clientMsgId) pairs are stored. */
  stored: { sender_id: string; client_msg_id: string }[];
  /** The group's conversations' rows (none for an id with no row). */
  rows: ConversationRow[];
  /** Their active members. */
  members: MemberRow[];
  /** The blocks between the two active members of each of its direct conversations, either way. */
  blocks: { user_id: string; blocked_id: string }[];
}

/** What a group of appends asks of the database; every method takes all of the group's rows at once. */
export interface AppendStatements {
  /** What the group needs to know, for these (sender, clientMsgId) pairs and conversations. */
  read(pairs: readonly [string, string][], ids: readonly string[]): Promise<GroupReads>;
  /**
   * Write the group: each conversation's `last_seq` and `last_activity_at`, the messages, their
   * mentions (one already there is kept), each (conversation, user)'s read cursor moved up to
   * seq (never down), and the feed events, whose ids come back taken in row order.
   */
  write(rows: GroupRows): Promise<{ id: number; conversation_id: string; seq: number }[]>;
}

/** Rows per multi-row statement: a few fixed shapes, so SQLite caches a handful of statements. */
const CHUNKS = [128, 32, 8, 1] as const;

/** Split `n` rows into the fixed chunk sizes, largest first. */
function chunkSizes(n: number): number[] {
  const sizes: number[] = [];
  let left = n;
  for (const size of CHUNKS) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** `size` copies of `row`, comma-separated (or `separator`-separated). */
const repeated = (row: string, size: number, separator = ", ") =>
  Array.from({ length: size }, () => row).join(separator);

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values. */
function valuesList(rows: number, columns: number): string {
  return repeated(`(${repeated("?", columns)})`, rows);
}

/** Statement texts by shape and chunk size, made once each. */
const SHAPED_SQL = new Map<string, string>();

/**
 * One statement per fixed-size chunk of `rows` (each of `columns` values), its text made by
 * `make(chunk size)` once per `shape`; the rows the statements give back, in chunk order (none
 * for a `run`: an UPDATE, or an INSERT without RETURNING).
 */
async function inChunks<T>(
  db: SqlExecutor,
  shape: string,
  columns: number,
  rows: readonly (readonly unknown[])[],
  make: (size: number) => string,
  kind: "all" | "run" = "all",
): Promise<T[]> {
  const out: T[] = [];
  let at = 0;
  for (const size of chunkSizes(rows.length)) {
    const params: unknown[] = new Array(size * columns);
    for (let r = 0, k = 0; r < size; r++) {
      const row = rows[at + r] as readonly unknown[];
      for (let c = 0; c < columns; c++) params[k++] = row[c];
    }
    at += size;
    const key = `${shape}\u0000${size}`;
    let sql = SHAPED_SQL.get(key);
    if (sql === undefined) {
      sql = make(size);
      SHAPED_SQL.set(key, sql);
    }
    if (kind === "all") out.push(...(await db.all<T>(sql, params)));
    else await db.run(sql, params);
  }
  return out;
}

/** `INSERT … VALUES` over `rows` in fixed-size chunks; `RETURNING` rows come back chunk by chunk, in order. */
function insertRows<T>(
  db: SqlExecutor,
  head: string,
  columns: number,
  rows: readonly (readonly unknown[])[],
  tail = "",
): Promise<T[]> {
  const make = (size: number) => `${head} VALUES ${valuesList(size, columns)}${tail}`;
  return inChunks<T>(db, head, columns, rows, make, tail.includes("RETURNING") ? "all" : "run");
}

const MESSAGE_COLUMNS =
  "conversation_id, seq, id, sender_id, client_msg_id, text, created_at, reply_to_seq, mentions, mentions_all, forwarded";
const EVENT_COLUMNS = "conversation_id, type, payload, created_at, seq";

/** Both ways between the two active members of each direct conversation among `rows`: the pairs a block could lie on. */
function directPairs(rows: readonly ConversationRow[], members: readonly MemberRow[]): [string, string][] {
  const direct = new Map<string, string[]>();
  for (const row of rows) if (row.kind === "direct") direct.set(row.id, []);
  for (const member of members) direct.get(member.conversation_id)?.push(member.user_id);
  const pairs: [string, string][] = [];
  for (const users of direct.values()) {
    // With fewer than two members, the sender can only be the one left: no one to block or be blocked.
    if (users.length !== 2) continue;
    const [a, b] = users as [string, string];
    pairs.push([a, b], [b, a]);
  }
  return pairs;
}

/** SQLite's: multi-row statements in fixed-size chunks (its statements run in-process, without round trips). */
export function chunkedStatements(db: SqlExecutor): AppendStatements {
  return {
    read: async (pairs, ids) => {
      const stored = await inChunks<{ sender_id: string; client_msg_id: string }>(db, "stored", 2, pairs, (n) => {
        return `SELECT sender_id, client_msg_id FROM messages WHERE ${repeated("(sender_id = ? AND client_msg_id = ?)", n, " OR ")}`;
      });
      const list = ids.map((id) => [id]);
      const rows = await inChunks<ConversationRow>(
        db,
        "conversations",
        1,
        list,
        (n) => `SELECT id, kind, last_seq, last_activity_at FROM conversations WHERE id IN (${placeholders(n)})`,
      );
      const members = await inChunks<MemberRow>(
        db,
        "members",
        1,
        list,
        (n) =>
          `SELECT conversation_id, user_id, joined_event_id FROM members WHERE active = 1 AND conversation_id IN (${placeholders(n)})`,
      );
      const blocks = await inChunks<{ user_id: string; blocked_id: string }>(
        db,
        "blocks",
        2,
        directPairs(rows, members),
        (n) =>
          `SELECT user_id, blocked_id FROM blocks WHERE ${repeated("(user_id = ? AND blocked_id = ?)", n, " OR ")}`,
      );
      return { stored, rows, members, blocks };
    },
    write: async (rows) => {
      await inChunks(
        db,
        "advance",
        3,
        rows.conversations,
        (n) => `WITH v(id, last_seq, at) AS (VALUES ${repeated("(?, CAST(? AS INTEGER), ?)", n)})
      UPDATE conversations SET last_seq = v.last_seq, last_activity_at = v.at FROM v WHERE conversations.id = v.id`,
        "run",
      );
      await insertRows(db, `INSERT INTO messages (${MESSAGE_COLUMNS})`, 11, rows.messages);
      if (rows.mentions.length > 0) {
        await insertRows(
          db,
          "INSERT INTO message_mentions (conversation_id, user_id, seq)",
          3,
          rows.mentions,
          " ON CONFLICT DO NOTHING",
        );
      }
      await inChunks(
        db,
        "cursors",
        3,
        rows.readCursors,
        (n) => `WITH v(conversation_id, user_id, seq) AS (VALUES ${repeated("(?, ?, CAST(? AS INTEGER))", n)})
      UPDATE members SET read_seq = v.seq FROM v
      WHERE members.conversation_id = v.conversation_id AND members.user_id = v.user_id AND members.read_seq < v.seq`,
        "run",
      );
      return insertRows(
        db,
        `INSERT INTO events (${EVENT_COLUMNS})`,
        5,
        rows.events,
        " RETURNING id, conversation_id, seq",
      );
    },
  };
}

/** The columns of `rows`, each as an array: what `unnest` takes back apart. */
function columnsOf(rows: readonly (readonly unknown[])[], count: number): unknown[][] {
  const columns = Array.from({ length: count }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as readonly unknown[];
    for (let c = 0; c < count; c++) (columns[c] as unknown[])[r] = row[c];
  }
  return columns;
}

/**
 * PostgreSQL's statements: two whatever the group's size (what it reads, then what it writes),
 * each with one fixed text (prepared once per connection, its plan kept), the rows passed as one
 * array per column. The multi-row statements with a predicate per row were planned again on
 * every call and cost more to plan than to run (the 128-pair `OR` lookup of clientMsgIds took
 * ~12 ms a chunk); each chunk was a round trip more.
 */
export function arrayStatements(db: SqlExecutor): AppendStatements {
  return {
    // One statement for the three reads (a round trip each, while the batch holds its locks): the
    // stored clientMsgIds ('s'), each conversation once with each active member (or one row of
    // nulls) ('c'), and the blocks between the two members of its direct ones ('b').
    read: async (pairs, ids) => {
      const found = await db.all<{
        what: "s" | "c" | "b";
        a: string;
        b: string;
        last_seq: number | null;
        last_activity_at: string | null;
        user_id: string | null;
        joined_event_id: number | null;
      }>(
        `SELECT 's' AS what, m.sender_id AS a, m.client_msg_id AS b, NULL AS last_seq, NULL AS last_activity_at,
           NULL AS user_id, NULL AS joined_event_id
         FROM unnest(CAST(? AS text[]), CAST(? AS text[])) AS k(sender_id, client_msg_id)
         JOIN messages m ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id
         UNION ALL
         SELECT 'c', c.id, c.kind, c.last_seq, c.last_activity_at, m.user_id, m.joined_event_id
         FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id AND m.active = 1
         WHERE c.id = ANY(CAST(? AS text[]))
         UNION ALL
         SELECT 'b', b.user_id, b.blocked_id, NULL, NULL, NULL, NULL
         FROM conversations c
         JOIN members m1 ON m1.conversation_id = c.id AND m1.active = 1
         JOIN members m2 ON m2.conversation_id = c.id AND m2.active = 1 AND m2.user_id <> m1.user_id
         JOIN blocks b ON b.user_id = m1.user_id AND b.blocked_id = m2.user_id
         WHERE c.id = ANY(CAST(? AS text[])) AND c.kind = 'direct'`,
        [...columnsOf(pairs, 2), ids, ids],
      );
      const reads: GroupReads = { stored: [], rows: [], members: [], blocks: [] };
      const seen = new Set<string>();
      for (const row of found) {
        if (row.what === "s") reads.stored.push({ sender_id: row.a, client_msg_id: row.b });
        else if (row.what === "b") reads.blocks.push({ user_id: row.a, blocked_id: row.b });
        else {
          if (!seen.has(row.a)) {
            seen.add(row.a);
            reads.rows.push({
              id: row.a,
              kind: row.b,
              last_seq: Number(row.last_seq),
              last_activity_at: row.last_activity_at as string,
            });
          }
          if (row.user_id !== null) {
            reads.members.push({
              conversation_id: row.a,
              user_id: row.user_id,
              joined_event_id: Number(row.joined_event_id),
            });
          }
        }
      }
      return reads;
    },
    // One statement for all five tables: data-modifying CTEs run to completion whether or not
    // the outer statement reads them, and none of the five reads what another writes.
    // WITH ORDINALITY … ORDER BY: the events reach the sequence in the order given, so ids rise
    // in row order.
    write: (rows) =>
      db.all(
        `WITH advanced AS (
           UPDATE conversations SET last_seq = v.last_seq, last_activity_at = v.at
           FROM unnest(CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS text[])) AS v(id, last_seq, at)
           WHERE conversations.id = v.id
         ), messages_in AS (
           INSERT INTO messages (${MESSAGE_COLUMNS})
           SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS text[]), CAST(? AS text[]),
             CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS text[]),
             CAST(? AS integer[]), CAST(? AS integer[]))
         ), mentions_in AS (
           INSERT INTO message_mentions (conversation_id, user_id, seq)
           SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[])) ON CONFLICT DO NOTHING
         ), cursors AS (
           UPDATE members SET read_seq = v.seq
           FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[])) AS v(conversation_id, user_id, seq)
           WHERE members.conversation_id = v.conversation_id AND members.user_id = v.user_id AND members.read_seq < v.seq
         )
         INSERT INTO events (${EVENT_COLUMNS})
         SELECT conversation_id, type, payload, created_at, seq
         FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[]))
           WITH ORDINALITY AS v(conversation_id, type, payload, created_at, seq, n)
         ORDER BY n
         RETURNING id, conversation_id, seq`,
        [
          ...columnsOf(rows.conversations, 3),
          ...columnsOf(rows.messages, 11),
          ...columnsOf(rows.mentions, 3),
          ...columnsOf(rows.readCursors, 3),
          ...columnsOf(rows.events, 5),
        ],
      ),
  };
}
