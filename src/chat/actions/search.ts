/** @module Message search: the query checked, access and load checked, hits ranked, highlighted and paged. */
import type { Conversation, Message, SearchHighlight, SearchResult } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import type { SearchPlace } from "../../store/store.js";
import { accessConversation } from "../access.js";
import type { ChatContext } from "../context.js";

/** Hits per page when the request names no limit. */
export const DEFAULT_SEARCH_LIMIT = 20;
/** `order: "relevance"` ranks the newest this many hits (the rest stay reachable newest first). */
export const RELEVANCE_WINDOW = 500;
/** From this load level on, search is refused for now (G5: the first read deferred, before history at 3). */
export const SEARCH_DEFERRED_AT_LEVEL = 2;
const RETRY_AFTER_MS = 5000;

export interface SearchInput {
  query: string;
  conversationId?: string | undefined;
  senderId?: string | undefined;
  before?: string | undefined;
  after?: string | undefined;
  hasFile?: boolean | undefined;
  order?: "newest" | "relevance" | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

type Cursor = { order: "newest"; from: SearchPlace } | { order: "relevance"; offset: number };

const invalidCursor = () => new HaetaeError("invalid_cursor", "cursor: not one a search of this order issued.");

/** `n.<createdAt>.<seq>.<conversationId>` (newest first) or `r.<offset>` (relevance), base64url. */
function encodeCursor(cursor: Cursor): string {
  const text =
    cursor.order === "newest"
      ? `n.${cursor.from.createdAt}.${cursor.from.seq}.${cursor.from.conversationId}`
      : `r.${cursor.offset}`;
  return Buffer.from(text, "utf8").toString("base64url");
}

function decodeCursor(value: string, order: "newest" | "relevance"): Cursor {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw invalidCursor();
  const text = Buffer.from(value, "base64url").toString("utf8");
  const newest = /^n\.(\d{4}-\d\d-\d\dT[\d:.]+Z)\.(\d{1,10})\.(.{1,64})$/su.exec(text);
  if (order === "newest" && newest?.[1] && newest[2] && newest[3]) {
    const seq = Number(newest[2]);
    if (Number.isNaN(Date.parse(newest[1])) || seq < 1 || seq > 2_147_483_647) throw invalidCursor();
    return { order, from: { createdAt: newest[1], seq, conversationId: newest[3] } };
  }
  const relevance = /^r\.(\d{1,4})$/.exec(text);
  if (order === "relevance" && relevance?.[1] && Number(relevance[1]) < RELEVANCE_WINDOW) {
    return { order, offset: Number(relevance[1]) };
  }
  throw invalidCursor();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Where `query` occurs in `text`, case-insensitively, as UTF-16 ranges of `text` itself. */
export function highlightsOf(text: string, query: string): SearchHighlight[] {
  const found: SearchHighlight[] = [];
  for (const match of text.matchAll(new RegExp(escapeRegExp(query), "giu"))) {
    found.push({ start: match.index, end: match.index + match[0].length });
  }
  return found;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** The query stands as a word of its own in one of its places (no letter or digit right before or after it). */
function standsAlone(text: string, spots: readonly SearchHighlight[]): boolean {
  return spots.some(
    (h) => !WORD_CHAR.test(text.slice(Math.max(0, h.start - 1), h.start)) && !WORD_CHAR.test(text.charAt(h.end)),
  );
}

/** The query as the index matches it: trimmed, at least two characters (one says too little to search for). */
function checkedQuery(raw: string): string {
  const query = raw.trim();
  let length = 0;
  for (const _ of query) length++;
  if (length < 2) throw new HaetaeError("invalid_request", "query: type at least two characters to search.");
  return query;
}

const instant = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

/**
 * Search the user's messages (G7: only the conversations they are in, and only what was sent
 * while they were in them; never a deleted message). Deferred from load level 2 with
 * `retryAfterMs` (G5); the query is text, never syntax, so nothing typed reaches a parser.
 */
export async function search(
  ctx: ChatContext,
  userId: string,
  input: SearchInput,
): Promise<{ results: SearchResult[]; cursor: string | null; hasMore: boolean }> {
  const query = checkedQuery(input.query);
  const order = input.order ?? "newest";
  const cursor = input.cursor !== undefined ? decodeCursor(input.cursor, order) : undefined;
  if (input.conversationId !== undefined) await accessConversation(ctx, userId, input.conversationId);
  if (ctx.load.level >= SEARCH_DEFERRED_AT_LEVEL) {
    throw new HaetaeError("overloaded", "Search is deferred while the server sheds load.", RETRY_AFTER_MS);
  }
  const limit = input.limit ?? DEFAULT_SEARCH_LIMIT;
  const base = {
    userId,
    query,
    ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
    ...(input.senderId !== undefined ? { senderId: input.senderId } : {}),
    ...(input.before !== undefined ? { createdBefore: instant(input.before) as string } : {}),
    ...(input.after !== undefined ? { createdAfter: instant(input.after) as string } : {}),
    ...(input.hasFile !== undefined ? { hasFile: input.hasFile } : {}),
  };
  let hits: { message: Message; highlights: SearchHighlight[] }[];
  let next: Cursor | null;
  if (order === "newest") {
    const from = cursor?.order === "newest" ? cursor.from : undefined;
    const page = await ctx.store.searchMessages({ ...base, limit, ...(from ? { from } : {}) });
    hits = page.messages.map((message) => ({ message, highlights: highlightsOf(message.text, query) }));
    const last = page.messages.at(-1);
    next =
      page.hasMore && last
        ? { order, from: { createdAt: last.createdAt, conversationId: last.conversationId, seq: last.seq } }
        : null;
  } else {
    const offset = cursor?.order === "relevance" ? cursor.offset : 0;
    const { messages } = await ctx.store.searchMessages({ ...base, limit: RELEVANCE_WINDOW });
    const ranked = messages
      .map((message, newest) => {
        const highlights = highlightsOf(message.text, query);
        return { message, highlights, newest, alone: standsAlone(message.text, highlights) };
      })
      .sort(
        (a, b) => Number(b.alone) - Number(a.alone) || b.highlights.length - a.highlights.length || a.newest - b.newest,
      );
    hits = ranked.slice(offset, offset + limit);
    next = offset + limit < ranked.length ? { order, offset: offset + limit } : null;
  }
  const conversations = new Map<string, Conversation>();
  for (const id of new Set(hits.map((h) => h.message.conversationId))) {
    const conversation = await ctx.store.getConversation(id);
    if (conversation) conversations.set(id, conversation);
  }
  const results: SearchResult[] = [];
  for (const hit of hits) {
    const conversation = conversations.get(hit.message.conversationId);
    if (conversation) results.push({ message: hit.message, conversation, highlights: hit.highlights });
  }
  return { results, cursor: next ? encodeCursor(next) : null, hasMore: next !== null };
}
