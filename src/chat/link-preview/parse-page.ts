/**
 * @module What an HTML page says about itself: OpenGraph, Twitter card, `<meta name=description>`
 * and `<title>`, read from the start of the page with entities decoded, control and bidi
 * characters removed and each field capped.
 */

/** What a page says; each field present only when the page gives it. */
export interface PageSummary {
  title?: string;
  description?: string;
  siteName?: string;
  /** Absolute http(s) URL of the page's image, resolved against the page's own URL. */
  imageUrl?: string;
}

const LIMITS = { title: 300, description: 1000, siteName: 100 } as const;

/** Named entities pages use in titles; the rest of the 2,000 HTML names are left as written. */
const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  middot: "·",
  ndash: "–",
  mdash: "—",
  hellip: "…",
  laquo: "«",
  raquo: "»",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  copy: "©",
  reg: "®",
  trade: "™",
  bull: "•",
};

/** Decode character references: `&#39;`, `&#x27;` and the named ones above. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});?/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      // Surrogates and values past Unicode are not characters: the replacement character, as HTML says.
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(code);
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of plain text: C0/C1 controls and bidi overrides/isolates removed (a title must not
 * reorder the text around it), whitespace runs collapsed, cut at `max` code points.
 */
export function cleanField(value: string, max: number): string | undefined {
  const cleaned = decodeEntities(value).replace(UNSHOWN, " ").replace(/\s+/g, " ").trim();
  if (cleaned === "") return undefined;
  const points = [...cleaned];
  return points.length <= max
    ? cleaned
    : `${points
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** The attributes of one start tag's text (`<meta property="og:title" content="…">`), names lowercased. */
function attributes(tag: string): Record<string, string> {
  const found: Record<string, string> = {};
  const pattern = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of tag.matchAll(pattern)) {
    const name = (m[1] ?? "").toLowerCase();
    if (!(name in found)) found[name] = m[2] ?? m[3] ?? m[4] ?? "";
  }
  return found;
}

/** The charset a page declares in `<meta charset>` or `<meta http-equiv content-type>`, if any. */
function declaredCharset(head: string): string | undefined {
  const match = /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head);
  return match?.[1];
}

/** Text of the page's bytes: the charset of the Content-Type, else of a `<meta>`, else UTF-8. */
export function decodePage(body: Buffer, contentType: string): string {
  const fromHeader = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1];
  const label = fromHeader ?? declaredCharset(body.subarray(0, 4096).toString("latin1")) ?? "utf-8";
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

function absoluteHttp(raw: string, base: string): string | undefined {
  try {
    const url = new URL(decodeEntities(raw.trim()), base);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) return undefined;
    return url.toString().length <= 2000 ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Read the summary of `html`, the page at `pageUrl`. */
export function parsePage(html: string, pageUrl: string): PageSummary {
  // Comments, scripts and styles hold text that looks like tags; the body's own tags come after the head's.
  const text = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<(script|style|noscript)\b[\s\S]*?<\/\1\s*>/gi, "");
  const meta: Record<string, string> = {};
  for (const m of text.matchAll(/<meta\b([^>]*)>/gi)) {
    const attrs = attributes(m[1] ?? "");
    const key = (attrs.property ?? attrs.name ?? attrs.itemprop ?? "").toLowerCase();
    const content = attrs.content;
    if (key !== "" && content !== undefined && !(key in meta)) meta[key] = content;
  }
  const titleTag = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(text)?.[1];
  const pick = (...keys: (string | undefined)[]) => keys.find((v) => v !== undefined && v.trim() !== "");
  const summary: PageSummary = {};
  const title = pick(meta["og:title"], meta["twitter:title"], titleTag);
  const description = pick(meta["og:description"], meta["twitter:description"], meta.description);
  const siteName = pick(meta["og:site_name"], meta["application-name"]);
  const image = pick(
    meta["og:image"],
    meta["og:image:url"],
    meta["og:image:secure_url"],
    meta["twitter:image"],
    meta["twitter:image:src"],
  );
  const cleanTitle = title === undefined ? undefined : cleanField(title, LIMITS.title);
  if (cleanTitle) summary.title = cleanTitle;
  const cleanDescription = description === undefined ? undefined : cleanField(description, LIMITS.description);
  if (cleanDescription) summary.description = cleanDescription;
  const cleanSite = siteName === undefined ? undefined : cleanField(siteName, LIMITS.siteName);
  if (cleanSite) summary.siteName = cleanSite;
  const imageUrl = image === undefined ? undefined : absoluteHttp(image, pageUrl);
  if (imageUrl) summary.imageUrl = imageUrl;
  return summary;
}
