/** @module Which browser pages may make state-changing requests: the server's own origin, or `publicUrl`'s. */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/**
 * The origin of `publicUrl` (scheme://host[:port]), or null when it is empty. Behind a proxy
 * that ends TLS, the request reaching this node is plain HTTP while the browser's page is
 * https://: only this setting says which origin is the server's own.
 */
export function publicOrigin(publicUrl: string): string | null {
  return publicUrl === "" ? null : new URL(publicUrl).origin;
}

/**
 * True when the request has no `Origin` (a non-browser client, or a same-origin GET) or its
 * `Origin` is this server's: the scheme and Host of the request itself, or `allowed` (the
 * `publicUrl`'s origin). A page on another site can make a browser send a "simple" POST — a
 * `text/plain` body, no preflight — or open a WebSocket to any server; the browser always says
 * which page asked, in `Origin`, and a page cannot forge it.
 */
export function isOwnOrigin(req: IncomingMessage, allowed: string | null): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed !== null && origin === allowed) return true;
  const host = req.headers.host;
  if (!host) return false;
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? "https" : "http";
  try {
    // Normalized both ways (case, default ports): "http://Example.com:80" is "http://example.com".
    return new URL(origin).origin === new URL(`${scheme}://${host}`).origin;
  } catch {
    return false; // "null" (a sandboxed frame, a file: page) or garbage: not this server
  }
}
