/**
 * @module HaetaeClient's cursor-following syncs: one after live events go quiet, not one per
 * event, bounded while events keep coming.
 */
import { expect, it } from "vitest";
import WebSocket from "ws";
import { startFakeNode } from "../../test/fake-node.js";
import { HaetaeClient, type HaetaeClientOptions } from "./index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A node that answers every sync with an empty page and, once the client has caught up, pushes
 * `count` live messages `everyMs` apart in one chat, each the next seq. Returns when each sync came.
 */
async function liveMessages(options: Partial<HaetaeClientOptions>, count: number, everyMs: number, settleMs: number) {
  const node = await startFakeNode();
  const syncsAt: number[] = [];
  let started = 0;
  node.wss.on("connection", (socket) => {
    socket.send(JSON.stringify({ type: "session", userId: "u", deviceId: "d", sessionId: "s" }));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { id: number; type: string };
      if (frame.type !== "sync") return;
      syncsAt.push(started === 0 ? 0 : Date.now() - started);
      socket.send(
        JSON.stringify({ type: "ok", id: frame.id, events: [], cursor: `c1.${syncsAt.length}`, hasMore: false }),
      );
    });
  });
  const client = new HaetaeClient({ url: node.url, token: "t", WebSocket, ...options });
  let delivered = 0;
  client.on("message.new", () => {
    delivered += 1;
  });
  try {
    await client.connect();
    started = Date.now();
    for (let seq = 1; seq <= count; seq++) {
      for (const socket of node.wss.clients) {
        socket.send(
          JSON.stringify({
            type: "message.new",
            eventId: 100 + seq,
            conversationId: "c",
            seq,
            message: {
              id: `m${seq}`,
              conversationId: "c",
              seq,
              senderId: "v",
              text: `hello ${seq}`,
              createdAt: new Date().toISOString(),
            },
          }),
        );
      }
      await sleep(everyMs);
    }
    await sleep(settleMs);
    return { syncsAt, delivered };
  } finally {
    client.close();
    await node.close();
  }
}

it("by default does not sync after each live message: a burst of 20 costs no sync in the seconds after it", async () => {
  // At the former 1.5 s debounce this burst was followed by a sync 1.5 s after its last message.
  const { syncsAt, delivered } = await liveMessages({}, 20, 50, 2_500);
  expect(delivered).toBe(20);
  expect(syncsAt).toEqual([0]); // the catch-up sync of the connection, nothing after
});

it("syncs once after the events go quiet for syncIdleMs, and at least every syncMaxWaitMs while they keep coming", async () => {
  // 30 messages 100 ms apart (3 s of traffic), idle 400 ms, max wait 1 s.
  const { syncsAt, delivered } = await liveMessages({ syncIdleMs: 400, syncMaxWaitMs: 1_000 }, 30, 100, 1_000);
  expect(delivered).toBe(30);
  const after = syncsAt.slice(1);
  // Two or three forced by the max wait during the traffic, one after it went quiet: never one per message.
  expect(after.length).toBeGreaterThanOrEqual(3);
  expect(after.length).toBeLessThanOrEqual(5);
  // The last came after the traffic ended (3 s) plus about the idle time.
  expect(after.at(-1)).toBeGreaterThan(3_000);
});
