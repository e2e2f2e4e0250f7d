/**
 * @module Peer (a) of `bench:load`: a bare `ws` broadcast server that stores nothing. A client
 * joins the room named in `?room=`; every frame it sends is forwarded, as received, to the other
 * members of that room. No parsing, no auth, no ack, no persistence: the runtime's limit.
 *
 * Usage: node --import tsx bench/peers/bare-ws-broadcast.ts --port 9000
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { type WebSocket, WebSocketServer } from "ws";
import { lagHandler } from "./lag.js";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const rooms = new Map<string, Set<WebSocket>>();
const server = createServer(lagHandler);
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on("connection", (ws, req) => {
  const room = new URL(req.url ?? "/", "http://peer").searchParams.get("room") ?? "";
  const members = rooms.get(room) ?? new Set<WebSocket>();
  rooms.set(room, members);
  members.add(ws);
  ws.on("message", (data, isBinary) => {
    for (const other of members) if (other !== ws) other.send(data, { binary: isBinary });
  });
  ws.on("error", () => ws.terminate());
  ws.on("close", () => {
    members.delete(ws);
    if (members.size === 0) rooms.delete(room);
  });
});

server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`bare ws broadcast listening on ${JSON.stringify(server.address())}`);
});
