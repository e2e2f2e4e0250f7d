/** @module Rules for usernames, display names and titles (nothing hidden in them) and @mentions, shared so clients validate as the server does. */

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
 * Emoji sequences that need an otherwise invisible character, removed before the check below:
 * a zero-width joiner between two emoji (👩‍💻, ❤️‍🔥), a variation selector right after a visible
 * character (❤️, or an ideographic variant of a Han character), the tag letters of a subdivision
 * flag (🏴 + `gbsct` + cancel tag = Scotland), and a zero-width non-joiner between two Arabic
 * letters (Persian writes names with it). Anywhere else these hide or reorder text.
 */
const ALLOWED_SEQUENCE_PARTS = [
  /(?<=\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)\u200D(?=\p{Extended_Pictographic})/gu,
  /(?<=[^\s\p{M}\p{C}\p{Default_Ignorable_Code_Point}])[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu,
  /(?<=\u{1F3F4})[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}/gu,
  /(?<=\p{Script=Arabic})\u200C(?=\p{Script=Arabic})/gu,
];

/**
 * What is never shown in a name or title: C0 and C1 controls, line and paragraph separators,
 * format characters (bidi embeddings, overrides, isolates and marks — U+202A–202E, U+2066–2069,
 * U+200E/200F, U+061C —, zero-width space and joiners, the soft hyphen, tags), lone surrogates,
 * and every Default_Ignorable code point (U+2060–2064, U+FEFF, U+180E, Hangul fillers U+3164,
 * U+115F, U+1160 and U+FFA0, variation selectors, tags U+E0000–E007F…), plus the blank Braille
 * pattern U+2800, which renders as a space but is not one.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** More combining marks on one character than any script needs: stacked marks draw over the text around them. */
const MAX_COMBINING_MARKS = 4;
const STACKED_MARKS = /\p{M}{5,}/u;

/**
 * Why a display name or group title cannot be shown as typed, or null when it can: an invisible,
 * control or direction-changing character (named by its code point), or more than four marks
 * stacked on one character. Refused rather than stripped: a name that silently changes on the
 * way in surprises its owner, and the sender can fix it.
 */
export function hiddenCharacterProblem(text: string): string | null {
  let rest = text;
  for (const part of ALLOWED_SEQUENCE_PARTS) rest = rest.replace(part, "");
  const hidden = HIDDEN.exec(rest)?.[0];
  if (hidden !== undefined) {
    const codePoint = (hidden.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return `must not contain U+${codePoint}: control, invisible and direction-changing characters are not allowed.`;
  }
  if (STACKED_MARKS.test(rest))
    return `must not stack more than ${MAX_COMBINING_MARKS} combining marks on one character.`;
  return null;
}

/**
 * A display name is 1–64 characters of any script (Korean included) with nothing invisible,
 * controlling or direction-changing in it (`hiddenCharacterProblem`), so nothing can hide in a
 * name or reorder the text around it.
 */
export function isValidDisplayName(name: string): boolean {
  const trimmed = name.trim();
  const length = [...trimmed].length;
  return length >= 1 && length <= 64 && hiddenCharacterProblem(trimmed) === null;
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
