/**
 * @module What a person types into a search box, parsed into a `search` request: `"exact phrase"`,
 * `from:username`, `has:file`, `before:2026-12-01` and `after:2026-12-01`.
 */

/** A typed search: the text to find and the filters the box named. */
export interface ParsedSearch {
  query: string;
  fromUsername?: string;
  /** `has:file`: only messages that carry files. */
  hasFile?: true;
  /** `before:D`: created before day D began (local time), as an ISO instant. */
  before?: string;
  /** `after:D`: created on day D or later (local time), as an ISO instant just before D began. */
  after?: string;
  /** A `before:` or `after:` whose date is not a real `YYYY-MM-DD` day, as typed: say so rather than search. */
  badDate?: string;
}

const FROM = /(?:^|\s)from:(@?[^\s"]+)/iu;
const HAS_FILE = /(?:^|\s)has:files?(?=\s|$)/iu;
const DATE = /(?:^|\s)(before|after):(\S*)/iu;

/** Local midnight at the start of `YYYY-MM-DD`, or undefined when the text is no such day. */
export function startOfLocalDay(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/u.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = new Date(year, month - 1, day);
  // new Date rolls 2026-02-31 over into March: a day that does not exist is refused.
  if (at.getFullYear() !== year || at.getMonth() !== month - 1 || at.getDate() !== day) return undefined;
  return at;
}

/**
 * Parse what was typed: `from:name` (or `from:@name`) becomes `fromUsername` (resolve it with
 * `user.find` for the request's `senderId`); `has:file` becomes `hasFile`; `before:D` and
 * `after:D` (a day, `YYYY-MM-DD`, in local time) become the request's instants, so that
 * `after:2026-12-01 before:2026-12-02` is that one day; a `"quoted phrase"` is searched as
 * written, quotes removed; everything else is the text, spaces collapsed. The server matches
 * `query` as text (a substring, case-insensitive), so nothing here needs escaping.
 */
export function parseSearchInput(input: string): ParsedSearch {
  let rest = input;
  const parsed: Omit<ParsedSearch, "query"> = {};
  const take = (match: RegExpExecArray) => {
    rest = `${rest.slice(0, match.index)} ${rest.slice(match.index + match[0].length)}`;
  };
  const from = FROM.exec(rest);
  if (from?.[1]) {
    parsed.fromUsername = from[1].replace(/^@/u, "");
    take(from);
  }
  const hasFile = HAS_FILE.exec(rest);
  if (hasFile) {
    parsed.hasFile = true;
    take(hasFile);
  }
  for (let date = DATE.exec(rest); date; date = DATE.exec(rest)) {
    const which = (date[1] as string).toLowerCase() as "before" | "after";
    const day = startOfLocalDay(date[2] as string);
    if (!day) parsed.badDate ??= date[0].trim();
    else parsed[which] = new Date(day.getTime() - (which === "after" ? 1 : 0)).toISOString();
    take(date);
  }
  const quoted = /"([^"]+)"/u.exec(rest);
  const query = (quoted?.[1] ?? rest).replace(/\s+/gu, " ").trim();
  return { query, ...parsed };
}
