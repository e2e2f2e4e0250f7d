/**
 * @module Peer (b) of `bench:load`: the chat server a Node developer builds first. Socket.IO
 * rooms, and each message persisted to SQLite with better-sqlite3 — one INSERT (one implicit
 * transaction) per message, WAL journal as better-sqlite3's documentation recommends and the
 * library's default `synchronous` — then fanned out to the room and acknowledged. better-sqlite3
 * builds SQLite with `synchronous = NORMAL` for WAL: a commit does not wait for the disk, so an
 * acknowledged message survives a crash of the process but not of the machine. `--synchronous
 * full` makes every commit wait for the disk, as Haetae's do (the equal-durability variant). A client names its user and room in the handshake's `auth`
 * (no passwords or tokens: less work than Haetae does).
 *
 * Usage: node --import tsx bench/peers/socketio-sqlite-server.ts --port 9000 --data /tmp/dir [--synchronous full]
 */
import { createServer } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { Server } from "socket.io";
import { lagHandler } from "./lag.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    data: { type: "string", default: "." },
    synchronous: { type: "string" },
  },
});

const db = new Database(join(values.data as string, "chat.db"));
db.pragma("journal_mode = WAL");
if (values.synchronous !== undefined) {
  if (!/^(off|normal|full|extra)$/i.test(values.synchronous))
    throw new Error("--synchronous: off, normal, full or extra");
  db.pragma(`synchronous = ${values.synchronous}`);
}
db.exec(`CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room TEXT NOT NULL,
  sender TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
)`);
const insert = db.prepare(
  "INSERT INTO messages (room, sender, client_msg_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
);

interface SendPayload {
  conversationId: string;
  clientMsgId: string;
  text: string;
}

const server = createServer(lagHandler);
const io = new Server(server, { serveClient: false });

io.on("connection", (socket) => {
  const { userId, room } = socket.handshake.auth as { userId: string; room: string };
  socket.join(room);
  socket.on("message.send", (payload: SendPayload, ack?: (reply: unknown) => void) => {
    const createdAt = new Date().toISOString();
    const result = insert.run(room, userId, payload.clientMsgId, payload.text, createdAt);
    const message = {
      id: Number(result.lastInsertRowid),
      conversationId: room,
      senderId: userId,
      clientMsgId: payload.clientMsgId,
      text: payload.text,
      createdAt,
    };
    socket.to(room).emit("message.new", message);
    ack?.({ ok: true, message });
  });
});

server.listen(Number(values.port), "127.0.0.1", () => {
  const sync = ["off", "normal", "full", "extra"][db.pragma("synchronous", { simple: true }) as number];
  const journal = db.pragma("journal_mode", { simple: true });
  console.log(
    `socket.io + sqlite listening on ${JSON.stringify(server.address())} (journal_mode=${journal}, synchronous=${sync})`,
  );
});
