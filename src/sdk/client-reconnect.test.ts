/** @module HaetaeClient.reconnect (for a browser's online/offline events) and the typed `incident` event. */
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { startFakeNode } from "../../test/fake-node.js";
import { registerUser, startTestServer, type TestServer } from "../../test/harness.js";
import type { Message } from "../protocol/index.js";
import type { IncidentEvent, StateChange } from "./client-options.js";
import { HaetaeClient } from "./index.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

it("reconnect() drops the connection and opens a new one at once; a send in flight goes out once", async () => {
  const auth = await registerUser(server.url, "rc");
  // A long backoff proves reconnect() does not wait for it.
  const client = new HaetaeClient({ url: server.url, token: auth.token, WebSocket, baseMs: 5_000, maxMs: 5_000 });
  const states: StateChange["state"][] = [];
  client.on("state", (change) => states.push(change.state));
  client.reconnect(); // before connect(): nothing to do
  expect(client.state).toBe("idle");
  await client.connect();
  const { conversation } = await client.request("conversation.create", { kind: "direct", memberIds: [] });

  const started = Date.now();
  const sent = client.send(conversation.id, "across a reconnect");
  client.reconnect();
  await waitFor(() => states.at(-1) === "open" && states.includes("reconnecting"));
  expect(Date.now() - started).toBeLessThan(2_000);
  await sent;
  const { messages } = await client.request("history", { conversationId: conversation.id });
  expect(messages.map((m: Message) => m.text)).toEqual(["across a reconnect"]);

  client.close();
  client.reconnect(); // after close(): nothing to do
  expect(client.state).toBe("closed");
});

it("emits an `incident` frame as a typed event and ignores other unknown frames", async () => {
  const node = await startFakeNode();
  const wss = node.wss;
  const incident = { id: "i1", title: "Delays", status: "investigating", impact: "minor", url: "https://status/i1" };
  wss.on("connection", (socket) => {
    socket.send(JSON.stringify({ type: "session", userId: "u", deviceId: "d", sessionId: "s" }));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { id: number; type: string };
      if (frame.type === "sync")
        socket.send(JSON.stringify({ type: "ok", id: frame.id, events: [], cursor: "c1.0", hasMore: false }));
      socket.send(JSON.stringify({ type: "something.new" }));
      socket.send(JSON.stringify({ type: "incident", incident }));
    });
  });
  const client = new HaetaeClient({ url: node.url, token: "t", WebSocket });
  const seen: IncidentEvent[] = [];
  client.on("incident", (event) => seen.push(event));
  try {
    await client.connect();
    await waitFor(() => seen.length > 0);
    expect(seen[0]).toEqual({ type: "incident", incident });
  } finally {
    client.close();
    await node.close();
  }
});
