/** @module The link a message's preview is made of: the first http(s) URL in its text, normalized as the cache's key. */

/**
 * Where a URL may start: `http://` or `https://`, not inside a Latin word (`xhttps://`); right
 * after Hangul it may (Korean text often runs into a link without a space).
 */
const LINK = /(?<![A-Za-z0-9_])https?:\/\/[^\s<>"'`]+/giu;
/** Punctuation that ends a sentence rather than a URL ("see https://a.example/x."). */
const TRAILING = /[.,;:!?*'"»”’]+$/u;
/** The longest URL fetched; longer ones are no link anyone reads. */
const MAX_URL_LENGTH = 2000;

/** A closing bracket at the end belongs to the URL only when the URL opened one (Wikipedia's `_(disambiguation)`). */
function trimUnbalanced(raw: string): string {
  let url = raw;
  for (;;) {
    const before = url;
    url = url.replace(TRAILING, "");
    const last = url.at(-1);
    const open = last === ")" ? "(" : last === "]" ? "[" : last === "}" ? "{" : undefined;
    if (open && url.split(open).length < url.split(last as string).length) url = url.slice(0, -1);
    if (url === before) return url;
  }
}

/**
 * The first http(s) link of `text`, normalized (the WHATWG form, without its `#fragment`), or
 * undefined when there is none. A link carrying a user name or password is no link: the server
 * never sends credentials.
 */
export function firstLink(text: string): string | undefined {
  if (!/http/i.test(text)) return undefined;
  for (const match of text.matchAll(LINK)) {
    const raw = trimUnbalanced(match[0]);
    if (raw.length > MAX_URL_LENGTH) continue;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    if (url.username || url.password || url.hostname === "") return undefined;
    url.hash = "";
    return url.toString();
  }
  return undefined;
}
