/** @module HaetaeClient opens every connection with a one-time ticket, and keeps reconnecting when the ticket request fails. */
import { afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeNode, startFakeNode } from "../../test/fake-node.js";
import type { StateChange } from "./client-options.js";
import { HaetaeClient } from "./index.js";

let node: FakeNode | undefined;
let client: HaetaeClient | undefined;
afterEach(async () => {
  client?.close();
  await node?.close();
});

/** A node that opens sessions and answers every sync as caught up. */
async function caughtUpNode(): Promise<FakeNode> {
  const fake = await startFakeNode();
  fake.wss.on("connection", (socket) => {
    socket.send(JSON.stringify({ type: "session", userId: "u", deviceId: "d", sessionId: "s" }));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { id: number; type: string };
      if (frame.type === "sync")
        socket.send(JSON.stringify({ type: "ok", id: frame.id, events: [], cursor: "c", hasMore: false }));
    });
  });
  return fake;
}

it("asks for a fresh ticket with the Bearer header before every connection and never puts the token in the URL", async () => {
  node = await caughtUpNode();
  client = new HaetaeClient({ url: node.url, token: "ht_secret", WebSocket, baseMs: 10, maxMs: 20 });
  await client.connect();
  for (const socket of node.wss.clients) socket.close(4000, "restart");
  await expect.poll(() => node?.upgrades.length).toBe(2);
  await expect.poll(() => client?.state).toBe("open");
  expect(node.ticketRequests).toEqual(["Bearer ht_secret", "Bearer ht_secret"]);
  expect(node.upgrades).toEqual([
    { ticket: "fake-ticket-1", token: null },
    { ticket: "fake-ticket-2", token: null },
  ]);
});

it("retries a ticket request cut by the network, and waits out a 503's retryAfterMs, with the backoff", async () => {
  node = await caughtUpNode();
  const refusedAt: number[] = [];
  node.answerTickets = (n) => {
    refusedAt.push(Date.now());
    if (n === 1) return "drop";
    if (n === 2) return { status: 503, body: { error: { code: "overloaded", message: "busy", retryAfterMs: 300 } } };
    return { status: 200, body: { ticket: `t${n}`, expiresAt: new Date(Date.now() + 30_000).toISOString() } };
  };
  client = new HaetaeClient({ url: node.url, token: "t", WebSocket, baseMs: 10, maxMs: 20 });
  const closeCodes: (number | undefined)[] = [];
  client.on("state", (change: StateChange) => {
    if (change.state === "reconnecting") closeCodes.push(change.closeCode);
  });
  await client.connect();
  expect(node.ticketRequests.length).toBe(3);
  expect(closeCodes).toEqual([1006, 4002]);
  // The third request came no sooner than the 503 asked.
  expect((refusedAt[2] ?? 0) - (refusedAt[1] ?? 0)).toBeGreaterThanOrEqual(300);
  expect(node.upgrades).toEqual([{ ticket: "t3", token: null }]);
});

it("asks for a new ticket when a ticket is refused at the upgrade (4500), and ends only when the ticket request is refused", async () => {
  node = await caughtUpNode();
  let upgrades = 0;
  // The first socket's ticket is refused as a node does an expired one: an error frame, then 4500.
  node.wss.prependListener("connection", (socket) => {
    upgrades += 1;
    if (upgrades > 1) return;
    socket.send(JSON.stringify({ type: "error", id: null, code: "unauthorized", message: "ticket expired" }));
    socket.close(4500, "unauthorized");
  });
  client = new HaetaeClient({ url: node.url, token: "t", WebSocket, baseMs: 10, maxMs: 20 });
  const states: StateChange[] = [];
  client.on("state", (change) => states.push(change));
  await client.connect();
  expect(client.state).toBe("open");
  expect(node.ticketRequests.length).toBe(2);
  expect(states).toContainEqual({ state: "reconnecting", closeCode: 4500 });
  expect(states.some((s) => s.state === "terminal")).toBe(false);
  // Then the token dies: the next ticket request's 401 ends the client for good.
  node.answerTickets = () => ({ status: 401, body: { error: { code: "unauthorized", message: "no" } } });
  for (const socket of node.wss.clients) socket.close(4500, "unauthorized");
  await expect.poll(() => client?.state).toBe("terminal");
  expect(states.at(-1)).toEqual({ state: "terminal", closeCode: 4500 });
  expect(node.ticketRequests.length).toBe(3);
});

it("ends for good when the ticket request is refused as unauthorized, as after a 4500 close", async () => {
  node = await caughtUpNode();
  node.answerTickets = () => ({ status: 401, body: { error: { code: "unauthorized", message: "no" } } });
  client = new HaetaeClient({ url: node.url, token: "dead", WebSocket, baseMs: 10, maxMs: 20 });
  const states: StateChange[] = [];
  client.on("state", (change) => states.push(change));
  await expect(client.connect()).rejects.toMatchObject({ code: "session_ended" });
  expect(states.at(-1)).toEqual({ state: "terminal", closeCode: 4500 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(node.ticketRequests.length).toBe(1);
  expect(node.upgrades).toEqual([]);
});
