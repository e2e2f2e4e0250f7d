/** @module Rules for usernames, display names and @mentions, shared so clients validate as the server does. */

/** 3–32 characters: lowercase letters, digits, `_` and `.`, not starting with `.`. */
export const USERNAME_PATTERN = /^[a-z0-9_][a-z0-9_.]{2,31}$/;

/**
 * Names that would be read as something else (`@all` mentions everyone), or that the server's
 * own accounts use: `haetae_status` signs the staff posts, and a person holding it first would
 * keep the server from making it.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  "all",
  "everyone",
  "here",
  "admin",
  "system",
  "haetae_status",
]);

/** Lowercase and trim; usernames compare case-insensitively. */
export function normalizeUsername(raw: string): string {
  return raw.trim().toLowerCase();
}

/** True when `username` (already normalized) may be registered. */
export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username) && !RESERVED_USERNAMES.has(username);
}

/**
 * A display name is 1–64 characters of any script (Korean included) with no control
 * characters, so nothing invisible or line-breaking can impersonate another user.
 */
export function isValidDisplayName(name: string): boolean {
  const trimmed = name.trim();
  return (
    [...trimmed].length >= 1 &&
    [...trimmed].length <= 64 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    !/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/.test(trimmed)
  );
}

/**
 * The usernames a text mentions, lowercased, in first-seen order, and whether it says `@all`.
 * A mention starts at the beginning or after a character that cannot be part of a username,
 * so `mail@example.com` mentions nobody.
 */
export function parseMentions(text: string): { usernames: string[]; all: boolean } {
  const usernames: string[] = [];
  let all = false;
  for (const match of text.matchAll(/(^|[^a-zA-Z0-9_.@])@([a-zA-Z0-9_][a-zA-Z0-9_.]{1,31})/g)) {
    const name = (match[2] ?? "").toLowerCase().replace(/\.+$/, "");
    if (name === "all") all = true;
    else if (!usernames.includes(name)) usernames.push(name);
  }
  return { usernames, all };
}
