/** @module What the server tells the web client at load, in a `<meta>` of index.html: where the status page lives and when to ask it. */

/** The `name` of the `<meta>` whose `content` is the settings as JSON. */
export const WEB_SETTINGS_META = "haetae-settings";

/**
 * Settings the web client cannot learn from the chat server when it needs them: they come with
 * the page (and so with the service worker's cached copy), not over the socket that is down.
 * New settings are added here as new fields; a client reads the ones it knows.
 */
export interface WebSettings {
  /**
   * The status page's base URL: the client reads `<url>/api/v2/summary.json` when the chat server
   * does not answer, and links to `<url>/status`. "" is the page's own origin.
   */
  statusPageUrl: string;
  /** How long the connection must have been failing before the client asks (a blip asks nothing). */
  statusAfterMs: number;
  /** How often it asks again while still disconnected. */
  statusEveryMs: number;
}

export const DEFAULT_WEB_SETTINGS: Readonly<WebSettings> = Object.freeze({
  statusPageUrl: "",
  statusAfterMs: 5000,
  statusEveryMs: 30_000,
});

/**
 * The settings from the meta's content. Anything missing or malformed falls back to its default,
 * field by field: a page from an older server (a cached shell) must still start.
 */
export function parseWebSettings(content: string | null | undefined): WebSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(content ?? "{}");
    if (parsed && typeof parsed === "object") raw = parsed as Record<string, unknown>;
  } catch {
    // the defaults
  }
  const url = raw.statusPageUrl;
  const ms = (value: unknown, fallback: number) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    statusPageUrl: typeof url === "string" && /^https?:\/\//.test(url) ? url.replace(/\/+$/, "") : "",
    statusAfterMs: ms(raw.statusAfterMs, DEFAULT_WEB_SETTINGS.statusAfterMs),
    statusEveryMs: ms(raw.statusEveryMs, DEFAULT_WEB_SETTINGS.statusEveryMs),
  };
}
