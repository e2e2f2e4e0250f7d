/** @module The browser-compatible WebSocket surface the SDK uses, and how it builds the socket URL. */

/**
 * The part of the WHATWG WebSocket that the SDK touches. Browsers' WebSocket and the `ws`
 * package's both satisfy it; nothing Node-only (headers, ping frames) is used, because browsers
 * cannot do those.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: () => void): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type WebSocketConstructor = new (url: string) => SocketLike;

/** The WHATWG value of `readyState` for an open socket. */
export const SOCKET_OPEN = 1;

/**
 * The WebSocket URL for an HTTP base URL: http→ws, https→wss, path `/api/v1/ws`, and a one-time
 * ticket (from `wsTicket`) in the `ticket` query parameter, since browsers cannot set an
 * Authorization header on a WebSocket — never the token, which proxies would log with the URL.
 * A path prefix in the base (a server behind `/haetae/`) is kept.
 */
export function webSocketUrl(baseUrl: string, ticket: string): string {
  const url = new URL(baseUrl);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/api/v1/ws`;
  url.search = `?ticket=${encodeURIComponent(ticket)}`;
  url.hash = "";
  return url.toString();
}

/** The platform's WebSocket, if it has one (browsers, Node 22+). */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}
