/** @module SQL of the message search: a user's hits within their membership spans, through each dialect's trigram index. */

import type { Message } from "../../protocol/index.js";
import { type MessageSearch, SHORT_QUERY_SCAN_ROWS } from "../store.js";
import { type MessageRow, toMessage } from "./rows.js";
import { SEARCH_CHANGE_EVENTS, SEARCH_KEY_STRIDE } from "./schema-dialect.js";
import {
  handOver,
  type SpanSize,
  sampleTrigrams,
  WALK_TUNING,
  type WalkResult,
  type WalkTuning,
  walkSearch,
} from "./search-walk.js";
import { PLANNED_PER_CALL, type SqlExecutor } from "./sql-driver.js";

/** The longest seq there is: a span still open ends there. */
const LAST_SEQ = 2_147_483_647;

/** The query's length in characters (code points), as a trigram tokenizer counts them. */
export function queryLength(query: string): number {
  let n = 0;
  for (const _ of query) n++;
  return n;
}

/** An FTS5 phrase of exactly this text: whatever it holds (`*`, `NEAR`, `-`, `:`) is text, never syntax. */
export function ftsPhrase(query: string): string {
  return `"${query.replaceAll('"', '""')}"`;
}

/** A LIKE pattern matching this text anywhere: `%`, `_` and the escape itself stand for themselves. */
export function likeContaining(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * PostgreSQL's test that a message's text contains the (lowered) query, as cheap as the query
 * allows. `lower()` under the database's UTF-8 collation costs about 2 µs a message, most of a
 * search's time when it reads a history outright, so: a query without a cased character (Korean,
 * digits) needs no lowering at all; an ASCII query needs only ASCII lowering (`COLLATE "C"`,
 * a tenth of the cost: only non-ASCII letters lower differently, and they never lower to ASCII
 * but for the Kelvin sign and the dotted İ); anything else lowers the whole text.
 */
export function postgresContains(lowered: string): string {
  if (lowered === lowered.toUpperCase()) return "strpos(m.text, ?) > 0";
  if ([...lowered].every((c) => c.charCodeAt(0) < 0x80)) return 'strpos(lower(m.text COLLATE "C"), ?) > 0';
  return "strpos(lower(m.text), ?) > 0";
}

/** SQLite: JavaScript's `toLowerCase`, registered on the store's reader (SQLite's own `lower()` lowers ASCII only). */
export const SQLITE_LOWER_FUNCTION = "haetae_lower";

/**
 * SQLite's test that a message's text contains the (lowered) query, read outright, folding case
 * as the FTS5 index does (`case_sensitive 0`): a query without a cased character (Korean, digits)
 * needs no lowering; an ASCII query, SQLite's `lower()` (ASCII only: non-ASCII letters never
 * lower to ASCII but for the Kelvin sign and the dotted İ); anything else, every letter lowered
 * (`SQLITE_LOWER_FUNCTION`): `lower('ÉCOLE')` is `École`, which "école" would not find.
 */
export function sqliteContains(lowered: string): string {
  if (lowered === lowered.toUpperCase()) return "instr(m.text, ?) > 0";
  if ([...lowered].every((c) => c.charCodeAt(0) < 0x80)) return "instr(lower(m.text), ?) > 0";
  return `instr(${SQLITE_LOWER_FUNCTION}(m.text), ?) > 0`;
}

/** SQL conditions over `m` (messages) and `s` (spans), each after an AND, with their parameters. */
export interface SearchFilters {
  sql: string;
  params: unknown[];
}

/** The filters every path shares, as SQL over `m` (messages) and their parameters. */
export function searchFilters(search: MessageSearch): SearchFilters {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (search.conversationId !== undefined) {
    parts.push("s.conversation_id = ?");
    params.push(search.conversationId);
  }
  if (search.senderId !== undefined) {
    parts.push("m.sender_id = ?");
    params.push(search.senderId);
  }
  if (search.createdBefore !== undefined) {
    parts.push("m.created_at < ?");
    params.push(search.createdBefore);
  }
  if (search.createdAfter !== undefined) {
    parts.push("m.created_at > ?");
    params.push(search.createdAfter);
  }
  if (search.hasFile !== undefined) parts.push(search.hasFile ? "m.files IS NOT NULL" : "m.files IS NULL");
  if (search.from) {
    // Newest first: the keyset after the previous page's last hit.
    const { createdAt, conversationId, seq } = search.from;
    parts.push(
      "(m.created_at < ? OR (m.created_at = ? AND (m.conversation_id < ? OR (m.conversation_id = ? AND m.seq < ?))))",
    );
    params.push(createdAt, createdAt, conversationId, conversationId, seq);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(""), params };
}

export const SPANS = `FROM membership_spans s
  JOIN members mb ON mb.conversation_id = s.conversation_id AND mb.user_id = s.user_id AND mb.active = 1`;
const ORDER = "ORDER BY m.created_at DESC, m.conversation_id DESC, m.seq DESC LIMIT ?";
/** SQLite: the last feed event the search index holds, as the store last recorded it. */
const INDEXED_THROUGH = "(SELECT indexed_through FROM search_index)";
/**
 * SQLite: the messages changed by events past it (sqlite-search-file.ts indexes them in rounds),
 * read by the event ids' range (NOT INDEXED: else SQLite walks the whole events_message index
 * for the DISTINCT).
 */
const NOT_YET_INDEXED = `SELECT DISTINCT conversation_id, seq FROM events NOT INDEXED
  WHERE id > ${INDEXED_THROUGH} AND type IN ${SEARCH_CHANGE_EVENTS} AND seq IS NOT NULL`;

/**
 * SQLite's index pays per span (an FTS5 range read, ~0.25 ms for a common word) and reading
 * outright per message (~0.5 µs): below this many messages a span, reading outright is cheaper
 * (measured with 1,000 spans of 100 messages: 48 ms outright against 68 ms by the index at p50).
 */
export const SQLITE_INDEX_ROWS_PER_SPAN = 500;

/**
 * How one search reads: through the index, or by reading the spans' messages, each chat's
 * newest `window` of them at most (a window past every seq reads them all).
 */
export interface SearchPlan {
  useIndex: boolean;
  window: number;
}

/**
 * The plan: a trigram index holds no two-character key, and reading a small history outright is
 * faster than the index's posting lists (every span reads them again). So the spans' messages
 * are read outright when they number at most SHORT_QUERY_SCAN_ROWS (all of them, every hit
 * found); past that a query of three characters or more goes through the index (on SQLite only
 * when the spans average SQLITE_INDEX_ROWS_PER_SPAN messages or more; read outright otherwise), and a
 * two-character one reads each chat's newest messages, SHORT_QUERY_SCAN_ROWS shared among the
 * chats: bounded either way.
 */
export function planSearch(
  queryChars: number,
  spanMessages: number,
  spans: number,
  dialect: "sqlite" | "postgres" = "postgres",
): SearchPlan {
  if (spanMessages <= SHORT_QUERY_SCAN_ROWS) return { useIndex: false, window: LAST_SEQ };
  // SQLite reads FTS5 once per span: over many small spans, reading the messages is faster.
  const spread = dialect === "sqlite" && spanMessages < SQLITE_INDEX_ROWS_PER_SPAN * spans;
  if (queryChars >= 3 && spread) return { useIndex: false, window: LAST_SEQ };
  if (queryChars >= 3) return { useIndex: true, window: LAST_SEQ };
  return { useIndex: false, window: Math.max(1, Math.floor(SHORT_QUERY_SCAN_ROWS / Math.max(1, spans))) };
}

/**
 * The SQL of one search. Every path starts from the user's membership spans in the
 * conversations they are in now, so it reads only their messages and only those of their spans
 * (G7); deleted messages have no text to match.
 *
 * - The index, SQLite: the FTS5 trigram table (in the index file, attached as `search`), read
 *   per span by its rowid range (the conversation's key × 2^31 + seq), so a chat's hits are one
 *   range of the index. The CROSS JOIN keeps the spans outside: only then does SQLite hand FTS5
 *   the range (a plan without it reads every hit of the whole index once per span). With it,
 *   the messages the index does not hold yet (a new, edited or deleted message whose feed event
 *   is past `search_index.indexed_through`: the indexer's thread works in the background),
 *   matched directly from the few events past it (CROSS JOINs: from those events to the user's
 *   spans, never from the spans' whole histories): a message is found from its ack on. Such a
 *   message is taken from the store only, never from the index, whose entry for it may be its
 *   old text. The store records a watermark only after the index file holds it, and this
 *   statement reads the store's file before the index file, so the index it reads holds at
 *   least every change up to the watermark it reads.
 * - The index, PostgreSQL: `lower(text) LIKE` through the GIN trigram index.
 * - Reading outright: the spans' messages by key (each chat's newest `window`), matched by
 *   `instr` on the lowered text (SQLite), `postgresContains` (PostgreSQL).
 */
export function searchPlanSql(dialect: "sqlite" | "postgres", search: MessageSearch, plan: SearchPlan) {
  const lowered = search.query.toLowerCase();
  const where = searchFilters(search);
  if (!plan.useIndex) {
    const contains = dialect === "sqlite" ? sqliteContains(lowered) : postgresContains(lowered);
    return {
      sql: `SELECT m.* ${SPANS}
        JOIN conversations c ON c.id = s.conversation_id
        JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq > s.from_seq
          AND m.seq <= COALESCE(s.to_seq, ${LAST_SEQ}) AND m.seq > c.last_seq - ?
        WHERE s.user_id = ? AND m.deleted_at IS NULL AND ${contains}${where.sql} ${ORDER}`,
      params: [plan.window, search.userId, lowered, ...where.params, search.limit + 1],
    };
  }
  if (dialect === "sqlite") {
    // The indexed messages, and those whose change the index does not hold yet, read by key.
    return {
      sql: `SELECT * FROM (SELECT m.* ${SPANS}
          JOIN search_keys k ON k.conversation_id = s.conversation_id
          CROSS JOIN search.message_search f
          JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq = f.rowid - k.search_key * ${SEARCH_KEY_STRIDE}
          WHERE s.user_id = ? AND f.rowid BETWEEN k.search_key * ${SEARCH_KEY_STRIDE} + s.from_seq + 1
            AND k.search_key * ${SEARCH_KEY_STRIDE} + COALESCE(s.to_seq, ${LAST_SEQ})
            AND message_search MATCH ? AND m.deleted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM events q WHERE q.conversation_id = m.conversation_id AND q.seq = m.seq
              AND q.id > ${INDEXED_THROUGH} AND q.type IN ${SEARCH_CHANGE_EVENTS})${where.sql}
        UNION ALL
        SELECT m.* FROM (${NOT_YET_INDEXED}) p
          CROSS JOIN membership_spans s ON s.user_id = ? AND s.conversation_id = p.conversation_id
            AND p.seq > s.from_seq AND p.seq <= COALESCE(s.to_seq, ${LAST_SEQ})
          CROSS JOIN members mb ON mb.conversation_id = s.conversation_id AND mb.user_id = s.user_id AND mb.active = 1
          CROSS JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
          WHERE m.deleted_at IS NULL AND ${sqliteContains(lowered)}${where.sql}) m
        ${ORDER}`,
      params: [
        search.userId,
        ftsPhrase(search.query),
        ...where.params,
        search.userId,
        lowered,
        ...where.params,
        search.limit + 1,
      ],
    };
  }
  return {
    sql: `SELECT m.* ${SPANS}
      JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq > s.from_seq
        AND m.seq <= COALESCE(s.to_seq, ${LAST_SEQ})
      WHERE s.user_id = ? AND m.deleted_at IS NULL AND lower(m.text) LIKE ? ESCAPE '\\'${where.sql} ${ORDER}`,
    params: [search.userId, likeContaining(lowered), ...where.params, search.limit + 1],
  };
}

/**
 * The walk as `force: "walk"` runs it: windows of about one message each, and the rest handed
 * over after four messages read, so even a small history goes through several windows and the
 * hand-over.
 */
const FORCED_WALK: WalkTuning = { firstRows: 1, rowsPerSpan: 0, rowBudget: 4, ginCandidateCost: 10 };

/**
 * What the user's spans hold: their number and messages (seq ranges, from the spans and their
 * chats' last seq: what the plan weighs), and the time they cover (what the walk's first window
 * is sized by).
 */
export async function searchScope(db: SqlExecutor, search: MessageSearch): Promise<SpanSize> {
  const scope = search.conversationId !== undefined ? " AND s.conversation_id = ?" : "";
  const size = await db.get<{ spans: number; messages: number | null; newest: string | null; oldest: string | null }>(
    `SELECT CAST(count(*) AS INTEGER) AS spans,
       CAST(sum(CASE WHEN s.to_seq IS NULL OR s.to_seq > c.last_seq THEN c.last_seq ELSE s.to_seq END - s.from_seq) AS INTEGER) AS messages,
       max(c.last_activity_at) AS newest, min(c.created_at) AS oldest
     ${SPANS} JOIN conversations c ON c.id = s.conversation_id WHERE s.user_id = ?${scope}`,
    [search.userId, ...(search.conversationId !== undefined ? [search.conversationId] : [])],
  );
  return {
    spans: Number(size?.spans ?? 0),
    messages: Number(size?.messages ?? 0),
    newest: size?.newest ?? null,
    oldest: size?.oldest ?? null,
  };
}

/**
 * PostgreSQL's plan for a large history: the walk, and for whatever it leaves, the GIN index or
 * the spans read outright, whichever `handOver` weighs cheaper (search-walk.ts). Either finds
 * every hit older than where the walk stopped, so the page is the same.
 */
export async function walkThenRest(
  db: SqlExecutor,
  search: MessageSearch,
  size: SpanSize,
  tuning: WalkTuning,
): Promise<WalkResult & { rest?: "index" | "outright" }> {
  const walked: WalkResult & { rest?: "index" | "outright" } = await walkSearch(db, search, size, tuning);
  if (walked.olderThan !== undefined) {
    const sample = await sampleTrigrams(db, search.query.toLowerCase(), size.messages);
    walked.rest = handOver(sample, Math.max(0, size.messages - walked.scanned), tuning);
    const rest = { ...search, createdBefore: walked.olderThan, limit: search.limit - walked.rows.length };
    const plan = { useIndex: walked.rest === "index", window: LAST_SEQ };
    const { sql, params } = searchPlanSql("postgres", rest, plan);
    walked.rows.push(...(await db.all<MessageRow>(PLANNED_PER_CALL + sql, params)));
  }
  return walked;
}

/**
 * SQLite: past this many feed events beyond the index's watermark (the index being built again,
 * after a lost index file or the migration that feeds it from the feed), a search reads the
 * spans' messages outright instead: through the index it would read every event past the
 * watermark, a scan of the feed.
 */
export const SQLITE_INDEX_MAX_BEHIND = 20_000;

/** SQLite: how many feed events the index does not hold yet, as the store last recorded. */
async function sqliteIndexBehind(db: SqlExecutor): Promise<number> {
  const row = await db.get<{ behind: number }>(
    `SELECT coalesce((SELECT max(id) FROM events), 0) - ${INDEXED_THROUGH} AS behind`,
  );
  return Number(row?.behind ?? 0);
}

/** The user's messages that contain the query (`Store.searchMessages`), newest first. */
export async function searchMessages(
  db: SqlExecutor,
  dialect: "sqlite" | "postgres",
  search: MessageSearch,
): Promise<{ messages: Message[]; hasMore: boolean }> {
  const size = await searchScope(db, search);
  const chars = queryLength(search.query);
  let plan =
    search.force === "scan" || ((search.force === "index" || search.force === "walk") && chars < 3)
      ? { useIndex: false, window: LAST_SEQ }
      : search.force === "index" || search.force === "walk"
        ? { useIndex: true, window: LAST_SEQ }
        : planSearch(chars, size.messages, size.spans, dialect);
  if (dialect === "sqlite" && plan.useIndex && search.force === undefined) {
    if ((await sqliteIndexBehind(db)) > SQLITE_INDEX_MAX_BEHIND) plan = { useIndex: false, window: LAST_SEQ };
  }
  let rows: MessageRow[];
  if (dialect === "postgres" && plan.useIndex && search.force !== "index") {
    // Newest first through the spans; what a rare word leaves unfilled, by the index or outright.
    rows = (await walkThenRest(db, search, size, search.force === "walk" ? FORCED_WALK : WALK_TUNING)).rows;
  } else {
    const { sql, params } = searchPlanSql(dialect, search, plan);
    // By the index or outright, the best plan hangs on the words searched for.
    rows = await db.all<MessageRow>(PLANNED_PER_CALL + sql, params);
  }
  const hasMore = rows.length > search.limit;
  const page = rows.slice(0, search.limit);
  // Reactions of the hits, in one read: the page is small (at most the search's limit).
  const counts = new Map<string, Record<string, number>>();
  if (page.length > 0) {
    const keys = page.map(() => "(conversation_id = ? AND seq = ?)").join(" OR ");
    const reactionRows = await db.all<{ conversation_id: string; seq: number; emoji: string; n: number }>(
      `SELECT conversation_id, seq, emoji, CAST(count(*) AS INTEGER) AS n FROM reactions WHERE ${keys}
       GROUP BY conversation_id, seq, emoji ORDER BY conversation_id, seq, min(created_at), emoji`,
      page.flatMap((r) => [r.conversation_id, r.seq]),
    );
    for (const r of reactionRows) {
      const key = `${r.conversation_id}\u0000${Number(r.seq)}`;
      const entry = counts.get(key) ?? {};
      entry[r.emoji] = Number(r.n);
      counts.set(key, entry);
    }
  }
  return {
    messages: page.map((row) => toMessage(row, counts.get(`${row.conversation_id}\u0000${Number(row.seq)}`) ?? {})),
    hasMore,
  };
}
