/** @module Message search: what the box holds, parsed ("exact phrase", from:name, has:file, before:/after:) with the panel's filters into `search` requests, and the pages of results. */
import type { RequestParams, SearchResult } from "../../../src/protocol/index.js";
import { parseSearchInput, startOfLocalDay } from "../../../src/sdk/index.js";
import type { Call, Directory } from "./directory.js";

/** Results per page. */
const PAGE = 30;
/** Shortest text searched (the server refuses one character). */
const MIN_QUERY = 2;

/** Where a search stands: `short` (too little typed), `unknownSender` (from: names nobody), `badDate` (a date that is no day), or the results. */
export type SearchStatus = "idle" | "short" | "unknownSender" | "badDate" | "searching" | "done" | "failed";

/** The panel's own filters, beside what was typed: days as `YYYY-MM-DD` (a date input's value), empty when unset. */
export interface SearchFilters {
  hasFile: boolean;
  /** On this day or later. */
  from: string;
  /** On this day or earlier. */
  to: string;
}

export const NO_FILTERS: SearchFilters = { hasFile: false, from: "", to: "" };

/**
 * One search (over every chat, or in one conversation). A newer query replaces an older one
 * still on its way: only the answer to the last counts.
 */
export class MessageSearch {
  results: SearchResult[] = [];
  status: SearchStatus = "idle";
  hasMore = false;
  /** The username a `from:` named, for the message. */
  sender = "";
  /** The `before:`/`after:` whose date is no day, for the message. */
  badDate = "";
  private cursor: string | null = null;
  private params: RequestParams<"search"> = { query: "" };
  private turn = 0;

  constructor(
    private readonly call: Call,
    private readonly directory: Directory,
    private readonly onChange: () => void,
    /** Search in this conversation only. */
    readonly conversationId?: string,
  ) {}

  /**
   * Search for what was typed (the first page), with the panel's filters: a filter typed in the
   * box (`has:file`, `after:`, `before:`) wins over the panel's.
   */
  async run(input: string, filters: SearchFilters = NO_FILTERS): Promise<void> {
    const turn = ++this.turn;
    const parsed = parseSearchInput(input);
    this.results = [];
    this.hasMore = false;
    this.sender = parsed.fromUsername ?? "";
    this.badDate = parsed.badDate ?? "";
    // The panel's "to" day is inclusive: before the next day begins.
    const fromDay = filters.from ? startOfLocalDay(filters.from) : undefined;
    const toDay = filters.to ? startOfLocalDay(filters.to) : undefined;
    const after = parsed.after ?? (fromDay ? new Date(fromDay.getTime() - 1).toISOString() : undefined);
    const before =
      parsed.before ??
      (toDay ? new Date(toDay.getFullYear(), toDay.getMonth(), toDay.getDate() + 1).toISOString() : undefined);
    const hasFile = parsed.hasFile ?? (filters.hasFile || undefined);
    if (parsed.badDate !== undefined) {
      this.status = "badDate";
      this.onChange();
      return;
    }
    if (parsed.query.length < MIN_QUERY) {
      this.status = input.trim() === "" ? "idle" : "short";
      this.onChange();
      return;
    }
    this.status = "searching";
    this.onChange();
    let senderId: string | undefined;
    if (parsed.fromUsername !== undefined) {
      senderId = (await this.directory.find(parsed.fromUsername))?.id;
      if (turn !== this.turn) return;
      if (senderId === undefined) {
        this.status = "unknownSender";
        this.onChange();
        return;
      }
    }
    this.params = {
      query: parsed.query,
      limit: PAGE,
      ...(this.conversationId !== undefined ? { conversationId: this.conversationId } : {}),
      ...(senderId !== undefined ? { senderId } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(before !== undefined ? { before } : {}),
      ...(hasFile ? { hasFile } : {}),
    };
    await this.page(turn);
  }

  /** The next page of the same search. */
  async more(): Promise<void> {
    if (!this.hasMore || this.status === "searching" || this.cursor === null) return;
    this.status = "searching";
    this.onChange();
    await this.page(this.turn, this.cursor);
  }

  private async page(turn: number, cursor?: string): Promise<void> {
    const params = { ...this.params, ...(cursor !== undefined ? { cursor } : {}) };
    const reply = await this.call("search", params, true);
    if (turn !== this.turn) return;
    if (!reply) {
      this.status = "failed";
    } else {
      this.results = [...this.results, ...reply.results];
      this.cursor = reply.cursor;
      this.hasMore = reply.hasMore;
      this.status = "done";
    }
    this.onChange();
  }
}
