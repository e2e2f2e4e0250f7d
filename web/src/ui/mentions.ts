/** @module @mention autocomplete: the word being typed after "@", the members that match it, and inserting the choice. */
import type { User } from "../../../src/protocol/index.js";

/** The "@" the caret is in: where it starts and what follows it so far. */
export interface MentionQuery {
  start: number;
  query: string;
}

/** A suggestion: a member, or "all" in a group. */
export interface MentionOption {
  username: string;
  label: string;
}

/**
 * The mention being typed just before the caret, if any. Like the server's parser, an "@" counts
 * only at the start or after a character that cannot be in a username (so not in an e-mail address).
 */
export function mentionAt(text: string, caret: number): MentionQuery | undefined {
  const match = /(^|[^a-zA-Z0-9_.@])@([a-zA-Z0-9_.]{0,32})$/.exec(text.slice(0, caret));
  if (!match) return undefined;
  return { start: match.index + (match[1] ?? "").length, query: (match[2] ?? "").toLowerCase() };
}

/** Members whose username or name starts with the query (then contains it); "all" first in groups. */
export function mentionOptions(query: string, members: User[], group: boolean, everyone: string): MentionOption[] {
  const q = query.toLowerCase();
  const scored: { option: MentionOption; score: number }[] = [];
  for (const user of members) {
    const name = user.displayName.toLowerCase();
    const score =
      user.username.startsWith(q) || name.startsWith(q) ? 0 : user.username.includes(q) || name.includes(q) ? 1 : -1;
    if (score >= 0)
      scored.push({ option: { username: user.username, label: `${user.displayName} @${user.username}` }, score });
  }
  scored.sort((a, b) => a.score - b.score || a.option.username.localeCompare(b.option.username));
  const options = scored.map((s) => s.option);
  if (group && "all".startsWith(q)) options.unshift({ username: "all", label: `${everyone} @all` });
  return options.slice(0, 8);
}

/** The text with the query replaced by "@username ", and where the caret goes after it. */
export function insertMention(
  text: string,
  at: MentionQuery,
  caret: number,
  username: string,
): { text: string; caret: number } {
  const inserted = `@${username} `;
  const rest = text.slice(caret).replace(/^\s/, "");
  return { text: text.slice(0, at.start) + inserted + rest, caret: at.start + inserted.length };
}
