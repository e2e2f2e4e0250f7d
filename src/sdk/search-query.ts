/** @module What a person types into a search box, parsed into a `search` request: `"exact phrase"` and `from:username`. */

/** A typed search: the text to find and, when `from:` named one, the sender's username. */
export interface ParsedSearch {
  query: string;
  fromUsername?: string;
}

const FROM = /(?:^|\s)from:(@?[^\s"]+)/iu;

/**
 * Parse what was typed: `from:name` (or `from:@name`) becomes `fromUsername` (resolve it with
 * `user.find` for the request's `senderId`); a `"quoted phrase"` is searched as written, quotes
 * removed; everything else is the text, spaces collapsed. The server matches `query` as text
 * (a substring, case-insensitive), so nothing here needs escaping.
 */
export function parseSearchInput(input: string): ParsedSearch {
  let rest = input;
  let fromUsername: string | undefined;
  const from = FROM.exec(rest);
  if (from?.[1]) {
    fromUsername = from[1].replace(/^@/u, "");
    rest = rest.slice(0, from.index) + rest.slice(from.index + from[0].length);
  }
  const quoted = /"([^"]+)"/u.exec(rest);
  const query = (quoted?.[1] ?? rest).replace(/\s+/gu, " ").trim();
  return fromUsername !== undefined ? { query, fromUsername } : { query };
}
