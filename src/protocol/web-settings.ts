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
   * does not answer, and links to `<url>/status`. "" is derived (`statusPageBase`).
   */
  statusPageUrl: string;
  /**
   * The port of the status listener (`statusPort`) on the host the page came from, 0 for none:
   * where the status page is when `statusPageUrl` is empty. It is served apart from the chat
   * port (by a process that outlives the chat process), so it answers while the chat port does not.
   */
  statusPort: number;
  /** How long the connection must have been failing before the client asks (a blip asks nothing). */
  statusAfterMs: number;
  /** How often it asks again while still disconnected. */
  statusEveryMs: number;
  /** The server's `maxTextLength` (in code points): the composer counts down to it and says why a send is refused. */
  maxTextLength: number;
}

export const DEFAULT_WEB_SETTINGS: Readonly<WebSettings> = Object.freeze({
  statusPageUrl: "",
  statusPort: 0,
  statusAfterMs: 5000,
  statusEveryMs: 30_000,
  maxTextLength: 4000,
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
  const port = raw.statusPort;
  const ms = (value: unknown, fallback: number) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    statusPageUrl: typeof url === "string" && /^https?:\/\//.test(url) ? url.replace(/\/+$/, "") : "",
    statusPort: Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536 ? (port as number) : 0,
    statusAfterMs: ms(raw.statusAfterMs, DEFAULT_WEB_SETTINGS.statusAfterMs),
    statusEveryMs: ms(raw.statusEveryMs, DEFAULT_WEB_SETTINGS.statusEveryMs),
    maxTextLength: ms(raw.maxTextLength, DEFAULT_WEB_SETTINGS.maxTextLength),
  };
}

/**
 * Where the client asks for the status page: `statusPageUrl` when the operator set it; else the
 * status port on the host the page was loaded from (`http://chat.example.com:8081`); else ""
 * (the page's own origin, whose /status lives and dies with the chat port).
 */
export function statusPageBase(
  settings: Pick<WebSettings, "statusPageUrl" | "statusPort">,
  page: { protocol: string; hostname: string },
): string {
  if (settings.statusPageUrl !== "") return settings.statusPageUrl;
  if (settings.statusPort === 0) return "";
  return `${page.protocol}//${page.hostname}:${settings.statusPort}`;
}
