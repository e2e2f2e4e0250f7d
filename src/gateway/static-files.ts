/** @module Serves the built web client (dist/web) at `/` and the staff console at `/console`: files, the SPA fallbacks, content types and cache headers. */
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { WEB_SETTINGS_META, type WebSettings } from "../protocol/web-settings.js";

/** The built web client, found from this file (src/gateway or dist/gateway) up to the package root. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));

/** What `/` answers when the web client was never built: a clear 503, not a crash and not a bare 404. */
export const NOT_BUILT_MESSAGE = "web client not built: run npm run build:web\n";

/** The staff console's page, a second entry of the same build. */
const CONSOLE_PAGE = "console.html";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
};

/** Types worth gzipping (images and fonts are compressed already). */
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".svg", ".txt", ".map"]);

/**
 * Only the app's own origin may load scripts, styles and sockets; no frames, no plugins. The web
 * client needs nothing else, so an injected `<script src=…>` from elsewhere cannot run. The one
 * exception is `fetch` of the status page's JSON when it lives elsewhere: `statusPageUrl`'s
 * origin, or the status port on the host the page was asked by (`statusPageBase`), given as
 * `host:port` without a scheme so that it means the page's own scheme. Images may also be `blob:`
 * URLs, the photos the client read with its token (files need the Bearer header).
 */
function contentSecurityPolicy(statusSource: string): string {
  const status = statusSource ? ` ${statusSource}` : "";
  return (
    `default-src 'self'; connect-src 'self'${status}; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; ` +
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
  );
}

/**
 * The host name of a request's Host header, or undefined when it is not a plain DNS name, IPv4
 * or bracketed IPv6 address: it goes into a header, where a `;` would add a directive.
 */
function hostName(host: string | undefined): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?$/.exec(host ?? "");
  return match?.[1];
}

/** The chat page with the settings in a `<meta>` (src/protocol/web-settings.ts), before `</head>`. */
function withSettings(html: Buffer, settings: WebSettings): Buffer {
  const json = JSON.stringify(settings).replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const meta = `<meta name="${WEB_SETTINGS_META}" content="${json}" />`;
  return Buffer.from(html.toString("utf8").replace("</head>", `${meta}\n</head>`));
}

interface CachedFile {
  mtimeMs: number;
  body: Buffer;
  gzipped: Buffer | undefined;
}

/** Serves one folder of built files; create once, call for every GET or HEAD the API does not own. */
export class StaticFiles {
  private readonly root: string;
  /** Built files are small (the budget is 60 KB of JS) and change only on deploy: keep them, gzipped once. */
  private readonly cache = new Map<string, CachedFile>();
  /** The policy when it is the same for every request (no status port to find on the request's host). */
  private readonly fixedCsp: string | undefined;

  /** `settings`: what the chat page learns at load (none: the client's defaults). */
  constructor(
    root: string = DEFAULT_WEB_ROOT,
    private readonly settings?: WebSettings,
  ) {
    this.root = resolve(root);
    if (settings?.statusPageUrl) this.fixedCsp = contentSecurityPolicy(new URL(settings.statusPageUrl).origin);
    else if (!settings?.statusPort) this.fixedCsp = contentSecurityPolicy("");
  }

  /** The page's policy for this request: with a status port, that port on the host the browser asked. */
  private csp(req: IncomingMessage): string {
    if (this.fixedCsp !== undefined) return this.fixedCsp;
    const host = hostName(req.headers.host);
    return contentSecurityPolicy(host ? `${host}:${this.settings?.statusPort}` : "");
  }

  /**
   * Answer a GET or HEAD: the file at `pathname`; for a path without a file extension (a
   * client-side route such as `/c/123`) the page that routes it: `console.html` under
   * `/console`, else `index.html`; 404 for a missing file with an extension (a missing script
   * must not come back as HTML); 503 when the client is not built.
   */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const index = await this.load("index.html");
    if (!index) return sendText(res, 503, NOT_BUILT_MESSAGE);
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, "bad path\n");
    }
    const target = this.inside(relative);
    if (target === undefined) return sendText(res, 404, "not found\n");
    const file = target === "" ? undefined : await this.load(target);
    if (file) return this.send(req, res, target, file);
    if (extname(relative) !== "") return sendText(res, 404, "not found\n");
    if (relative === "/console" || relative.startsWith("/console/")) {
      // A build without the console must not answer its URL with the chat app.
      const page = await this.load(CONSOLE_PAGE);
      return page ? this.send(req, res, CONSOLE_PAGE, page) : sendText(res, 503, NOT_BUILT_MESSAGE);
    }
    return this.send(req, res, "index.html", index);
  }

  /**
   * The path relative to the root, or undefined when it would leave the root or names a hidden
   * file. `normalize` folds `..` first, then the prefix check catches what is left (`/../x`,
   * encoded `%2e%2e`, backslashes on Windows).
   */
  private inside(pathname: string): string | undefined {
    if (pathname.includes("\0")) return undefined;
    const cleaned = normalize(pathname.replace(/\\/g, "/")).replace(/^[/\\]+/, "");
    if (cleaned === "" || cleaned === ".") return "";
    const full = resolve(this.root, cleaned);
    if (full !== this.root && !full.startsWith(this.root + sep)) return undefined;
    if (cleaned.split(/[/\\]/).some((part) => part.startsWith("."))) return undefined;
    return cleaned;
  }

  private async load(relative: string): Promise<CachedFile | undefined> {
    const full = join(this.root, relative);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(full);
    } catch {
      this.cache.delete(relative);
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = this.cache.get(relative);
    if (cached && cached.mtimeMs === info.mtimeMs) return cached;
    let body: Buffer = await readFile(full);
    if (relative === "index.html" && this.settings) body = withSettings(body, this.settings);
    const gzipped = COMPRESSIBLE.has(extname(relative)) && body.length > 512 ? gzipSync(body) : undefined;
    const file = { mtimeMs: info.mtimeMs, body, gzipped };
    this.cache.set(relative, file);
    return file;
  }

  private send(req: IncomingMessage, res: ServerResponse, relative: string, file: CachedFile): void {
    const ext = extname(relative);
    const headers: Record<string, string | number> = {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "cache-control": cacheControl(relative),
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      vary: "accept-encoding",
    };
    if (ext === ".html") headers["content-security-policy"] = this.csp(req);
    // The service worker may control the whole origin although it is not in a folder of its own.
    if (relative === "sw.js") headers["service-worker-allowed"] = "/";
    const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? (file.gzipped as Buffer) : file.body;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/**
 * Vite puts a content hash in every file name under `assets/`, so those never change and may be
 * kept for a year; everything else (index.html, sw.js, the manifest) must be checked on every
 * load, or a deploy would not reach users until their cache expired.
 */
function cacheControl(relative: string): string {
  return relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}
