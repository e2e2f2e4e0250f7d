/** @module Refusing a WebSocket upgrade: as an HTTP status, or as an error frame and a close code that every client can read. */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import type { ErrorCode } from "../protocol/index.js";

/**
 * How an upgrade is refused. `status`: an HTTP answer, for what a browser's page need not read
 * (another site's origin, a node shutting down, a request that will never pass). `close`: the
 * upgrade is accepted, the error frame sent and the socket closed with `closeCode` — a browser
 * sees neither the status nor the body of a refused upgrade, only 1006, and would retry a dead
 * token forever. 4500 (`unauthorized`): never again with this token; 4002 (`tryAgainLater`):
 * again after `retryAfterMs`.
 */
export type UpgradeRefusal =
  | { as: "status"; status: number; code: ErrorCode; message: string }
  | { as: "close"; closeCode: number; code: ErrorCode; message: string; retryAfterMs?: number };

/** Answer the upgrade on `socket` with `refusal`. */
export function refuseUpgrade(
  wss: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  refusal: UpgradeRefusal,
): void {
  if (refusal.as === "status") {
    answerStatus(socket, refusal.status, refusal.code, refusal.message);
    return;
  }
  const onSocketError = () => socket.destroy();
  socket.on("error", onSocketError);
  wss.handleUpgrade(request, socket, head, (ws) => {
    socket.off("error", onSocketError);
    ws.on("error", () => ws.terminate());
    const frame: Record<string, unknown> = { type: "error", id: null, code: refusal.code, message: refusal.message };
    if (refusal.retryAfterMs !== undefined) frame.retryAfterMs = refusal.retryAfterMs;
    ws.send(JSON.stringify(frame));
    ws.close(refusal.closeCode, refusal.code);
  });
}

function answerStatus(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
