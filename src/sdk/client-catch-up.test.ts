/** @module HaetaeClient keeps retrying a refused catch-up sync while its connection lasts. */
import { expect, it } from "vitest";
import WebSocket from "ws";
import { startFakeNode } from "../../test/fake-node.js";
import { HaetaeClient } from "./index.js";

it("retries a catch-up sync the server keeps refusing until one succeeds, with no live event to prompt it", async () => {
  // What a node answers while its store is saturated by a reconnect storm: `unavailable` with a
  // retry time. A quiet client (no live events) must still end up caught up on the same connection.
  const node = await startFakeNode();
  const wss = node.wss;
  let syncs = 0;
  let connections = 0;
  wss.on("connection", (socket) => {
    connections += 1;
    socket.send(JSON.stringify({ type: "session", userId: "u", deviceId: "d", sessionId: "s" }));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { id: number; type: string };
      if (frame.type !== "sync") return;
      syncs += 1;
      const reply =
        syncs <= 3
          ? { type: "error", id: frame.id, code: "unavailable", message: "busy", retryAfterMs: 30 }
          : { type: "ok", id: frame.id, events: [], cursor: "c1.0", hasMore: false };
      socket.send(JSON.stringify(reply));
    });
  });
  const client = new HaetaeClient({ url: node.url, token: "t", WebSocket, baseMs: 20, maxMs: 100 });
  const cursors: string[] = [];
  client.on("cursor", (cursor) => cursors.push(cursor));
  try {
    await client.connect();
    const deadline = Date.now() + 5_000;
    while (cursors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cursors).toEqual(["c1.0"]);
    expect(syncs).toBe(4);
    expect(connections).toBe(1);
    expect(client.cursor).toBe("c1.0");
  } finally {
    client.close();
    await node.close();
  }
});
