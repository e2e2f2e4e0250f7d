/** @module PostgreSQL's newest-first search walk: a large history read back in time windows until the page fills, the GIN index for rare words. */

import type { MessageSearch } from "../store.js";
import type { MessageRow } from "./rows.js";
import { postgresContains, type SearchFilters, SPANS, searchFilters } from "./search-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

/** The longest seq there is: a span still open ends there. */
const LAST_SEQ = 2_147_483_647;

/**
 * How far the walk reads. A common word (a sixth of all messages or more, as in the benchmark)
 * fills a page from the newest few hundred messages, while the GIN bitmap of its trigrams holds
 * hundreds of thousands of entries (100–150 ms before the first recheck); a rare word is the
 * other way round. The walk reads `firstRows` of the user's newest messages, estimates the
 * word's frequency from what it found, and goes on only while the page is expected to fill
 * within `rowBudget` messages read in all (no window reads past it); past that the rest is
 * handed over (`handOver`).
 */
export interface WalkTuning {
  firstRows: number;
  /** Each window reads every span's range once (an index descent, about three rows' cost). */
  rowsPerSpan: number;
  rowBudget: number;
  /**
   * What one GIN candidate costs (a heap visit, any user's message holding all the query's
   * trigrams, and its recheck) in messages read outright: the rest goes to the index only when
   * its candidates, so weighed, are fewer than the spans' messages left to read.
   */
  ginCandidateCost: number;
}

export const WALK_TUNING: WalkTuning = { firstRows: 512, rowsPerSpan: 2, rowBudget: 40_000, ginCandidateCost: 10 };

/**
 * The query's trigrams as plain text: every three characters in a row within one of its words.
 * A message pg_trgm's index offers for the query holds every one of them, so the rarest one's
 * share of messages bounds the share the index offers (the padded trigrams at word edges left
 * out: they only narrow it further).
 */
export function queryTrigrams(lowered: string): string[] {
  const trigrams = new Set<string>();
  for (const word of lowered.split(/\s+/)) {
    const chars = [...word];
    for (let i = 0; i + 3 <= chars.length; i++) trigrams.add(chars.slice(i, i + 3).join(""));
  }
  return [...trigrams];
}

/** The most trigrams the sample counts (each is one more text match per sampled message). */
const MAX_COUNTED_TRIGRAMS = 8;

/** About how many messages the sample reads (pages of the table at random, `TABLESAMPLE SYSTEM`). */
const SAMPLE_ROWS = 2_000;

/** What the GIN index would offer for a query: the table's messages, and the sampled share holding its rarest trigram. */
export interface TrigramSample {
  tableMessages: number;
  sampled: number;
  /** Sampled messages holding the rarest of the counted trigrams; undefined when the query has no trigram. */
  rarest?: number;
}

/**
 * Samples the messages table for the query's trigrams (up to MAX_COUNTED_TRIGRAMS of them): about
 * SAMPLE_ROWS messages from pages taken at random, each matched like the search matches text.
 * The table's size is the planner's (`reltuples`; before the first ANALYZE, -1: then the spans'
 * messages stand for it, the least it holds).
 */
export async function sampleTrigrams(db: SqlExecutor, lowered: string, spanMessages: number): Promise<TrigramSample> {
  const table = await db.get<{ n: number | string }>(
    "SELECT reltuples AS n FROM pg_class WHERE oid = 'messages'::regclass",
  );
  const tableMessages = Math.max(Number(table?.n ?? -1), spanMessages, 1);
  const all = queryTrigrams(lowered);
  if (all.length === 0) return { tableMessages, sampled: 0 };
  const step = all.length / Math.min(all.length, MAX_COUNTED_TRIGRAMS);
  const counted = Array.from({ length: Math.min(all.length, MAX_COUNTED_TRIGRAMS) }, (_, i) => {
    return all[Math.floor(i * step)] as string;
  });
  const percent = Math.min(100, (SAMPLE_ROWS * 100) / tableMessages);
  const found = await db.get<{ sampled: number | string; rarest: number | string | null }>(
    `SELECT count(*) AS sampled, LEAST(${counted.map((t) => `count(*) FILTER (WHERE ${postgresContains(t)})`).join(", ")}) AS rarest
     FROM messages m TABLESAMPLE SYSTEM (${percent.toFixed(6)}) REPEATABLE (0)`,
    counted,
  );
  return { tableMessages, sampled: Number(found?.sampled ?? 0), rarest: Number(found?.rarest ?? 0) };
}

/**
 * Where the rest of a walk goes: the GIN index when the query has a trigram rare enough that the
 * index offers few messages (the table's messages × the rarest trigram's sampled share, each
 * costing `ginCandidateCost`) against the spans' messages left, else the spans read outright,
 * older than where the walk stopped (a cost bounded by the history, whatever the word). A
 * trigram not seen in the sample counts as seen once: about the most it could be.
 */
export function handOver(sample: TrigramSample, messagesLeft: number, tuning: WalkTuning): "index" | "outright" {
  if (sample.rarest === undefined || sample.sampled === 0) return "outright";
  const candidates = (Math.max(1, sample.rarest) / sample.sampled) * sample.tableMessages;
  return candidates * tuning.ginCandidateCost < messagesLeft ? "index" : "outright";
}

/** What the spans hold, for sizing the windows: their messages and the time they span. */
export interface SpanSize {
  messages: number;
  spans: number;
  /** The newest `last_activity_at` and the oldest `created_at` of the user's chats (ISO 8601). */
  newest: string | null;
  oldest: string | null;
}

/** How one walk went, for tests and benchmarks. */
export interface WalkResult {
  rows: MessageRow[];
  windows: number;
  scanned: number;
  /** Set when the rest of the page is handed over (`handOver`): the hits older than this. */
  olderThan?: string;
}

type WindowRow = MessageRow & { scanned: number | string };

/**
 * One window of the user's messages, `lo <= created_at < hi` (either end open): how many
 * messages it holds and its newest `limit` hits. The spans' messages are reached through
 * `messages_conversation_time` (conversation, created_at), one range per span, so a window
 * costs what it holds plus one index descent per span; only the hits' rows are read whole. The
 * seqs are compared as `seq + 0`: the planner otherwise reads a window with both ends by the
 * primary key's seq range, every message of the span, its time a filter (a window of 24,000
 * messages cost as much as reading the 100,000 outright).
 */
function windowSql(contains: string, where: SearchFilters, lo: string | undefined, hi: string | undefined) {
  const range = `${lo !== undefined ? " AND m.created_at >= ?" : ""}${hi !== undefined ? " AND m.created_at < ?" : ""}`;
  return `WITH w AS MATERIALIZED (
      SELECT m.conversation_id, m.seq, m.created_at, ${contains} AS hit ${SPANS}
      JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq + 0 > s.from_seq
        AND m.seq + 0 <= COALESCE(s.to_seq, ${LAST_SEQ})${range}
      WHERE s.user_id = ? AND m.deleted_at IS NULL${where.sql})
    SELECT n.scanned, h.* FROM (SELECT count(*) AS scanned FROM w) n
    LEFT JOIN LATERAL (
      SELECT m.* FROM w JOIN messages m ON m.conversation_id = w.conversation_id AND m.seq = w.seq
      WHERE w.hit ORDER BY w.created_at DESC, w.conversation_id DESC, w.seq DESC LIMIT ?) h ON true
    ORDER BY h.created_at DESC, h.conversation_id DESC, h.seq DESC`;
}

/**
 * The user's newest `search.limit + 1` hits, newest first, exactly as the one-statement plans
 * give them. Windows are half-open ranges of `created_at` going back in time, each starting
 * where the last one ended, the first one open above and the last one open below (or the index
 * for everything older), so every message is in exactly one of them whatever the estimates
 * were: the estimates (the spans' message rate, the word's frequency) size the windows, never
 * decide what is found.
 */
export async function walkSearch(
  db: SqlExecutor,
  search: MessageSearch,
  size: SpanSize,
  tuning: WalkTuning = WALK_TUNING,
): Promise<WalkResult> {
  const need = search.limit + 1;
  const lowered = search.query.toLowerCase();
  const contains = postgresContains(lowered);
  const where = searchFilters(search);
  const newest = Math.min(
    Date.parse(size.newest ?? ""),
    ...[search.createdBefore, search.from?.createdAt].map((t) => (t === undefined ? Infinity : Date.parse(t))),
  );
  const floor = Math.max(
    Date.parse(size.oldest ?? ""),
    search.createdAfter ? Date.parse(search.createdAfter) : -Infinity,
  );
  const result: WalkResult = { rows: [], windows: 0, scanned: 0 };
  // Messages a millisecond in the spans, over their whole time (only the first window's width).
  let rate = size.messages / Math.max(1, newest - floor);
  // A window is worth its descents into every span only when it reads a few rows a span.
  let rows = Math.max(tuning.firstRows, tuning.rowsPerSpan * size.spans);
  let hi: string | undefined;
  let edge = newest;
  for (;;) {
    const start = edge - rows / rate;
    let lo = Number.isFinite(start) && start > floor ? new Date(Math.floor(start)).toISOString() : undefined;
    // Windows must go back strictly, or two could overlap: otherwise this one is the last.
    if (lo !== undefined && hi !== undefined && lo >= hi) lo = undefined;
    const found = await db.all<WindowRow>(windowSql(contains, where, lo, hi), [
      lowered,
      ...(lo !== undefined ? [lo] : []),
      ...(hi !== undefined ? [hi] : []),
      search.userId,
      ...where.params,
      need - result.rows.length,
    ]);
    result.windows++;
    result.scanned += Number(found[0]?.scanned ?? 0);
    for (const row of found) if (row.conversation_id !== null) result.rows.push(row);
    if (result.rows.length >= need || lo === undefined) return result;
    // The word's frequency so far (one hit assumed when none was found: the most it could be).
    const frequency = Math.max(1, result.rows.length) / Math.max(1, result.scanned);
    const more = (need - result.rows.length) / frequency;
    if (result.scanned + more > tuning.rowBudget) {
      result.olderThan = lo;
      return result;
    }
    // The next window: what the rest of the page needs at the rate seen so far, with room.
    if (result.scanned > 0) rate = result.scanned / Math.max(1, newest - Number(Date.parse(lo)));
    rows = Math.min(Math.max(more * 2, rows * 4), rows * 16, Math.max(1, tuning.rowBudget - result.scanned));
    hi = lo;
    edge = Date.parse(lo);
  }
}
