/**
 * G5 over the real protocol: under load the server sheds in a fixed order — typing and presence,
 * then receipt fan-out, then history reads, then new connections — while messages keep flowing,
 * and it comes back by itself when the load is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../src/protocol/index.js";
import { RawClient, refusedSession, registerUser, startTestServer, type TestServer } from "../harness.js";

async function pair(server: TestServer) {
  const alice = await registerUser(server.url, "shed");
  const bob = await registerUser(server.url, "shed");
  const a = await RawClient.connect(server.wsUrl, alice.token);
  const b = await RawClient.connect(server.wsUrl, bob.token);
  const { conversation } = await a.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "direct",
    memberIds: [bob.user.id],
  });
  return { a, b, conversationId: conversation.id, bob };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("shedding order at each level", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it("drops typing first, then coalesces receipts, then defers history, then refuses connections; messages always flow", async () => {
    const { a, b, conversationId, bob } = await pair(server);
    let n = 0;
    const send = () => a.ok("message.send", { conversationId, clientMsgId: `m${++n}`, text: `message ${n}` });

    // Level 1: typing shed; receipts and messages live.
    server.app.load.pin(1);
    await a.ok("typing", { conversationId });
    await send();
    await b.until(() => b.eventsOf("message.new").length === 1);
    await b.ok("read", { conversationId, seq: 1 });
    await a.until(() => a.eventsOf("receipt").length === 1);
    await b.ok("ping");
    expect(b.eventsOf("typing")).toEqual([]);

    // Level 2: receipts coalesced — three reads reach the sender once, after a moment, as the latest.
    server.app.load.pin(2);
    for (let i = 0; i < 3; i++) await send();
    await b.until(() => b.eventsOf("message.new").length === 4);
    for (const seq of [2, 3, 4]) await b.ok("read", { conversationId, seq });
    await a.ok("ping");
    expect(a.eventsOf("receipt")).toHaveLength(1); // nothing live yet
    await a.until(() => a.eventsOf("receipt").length === 2, 3000);
    await sleep(1200);
    expect(a.eventsOf("receipt").map((r) => r.readSeq)).toEqual([1, 4]);
    // …and the feed still holds every receipt.
    const feed = await a.ok<{ events: { type: string }[] }>("sync");
    expect(feed.events.filter((e) => e.type === "receipt")).toHaveLength(4);

    // Level 3: history deferred with a retry time; sync and sends still work.
    server.app.load.pin(3);
    expect(await b.request("history", { conversationId })).toMatchObject({
      code: "overloaded",
      retryAfterMs: expect.any(Number),
    });
    await send();
    await b.until(() => b.eventsOf("message.new").length === 5);

    // Level 4: new sessions refused with a retry time and close 4002; the connected keep chatting.
    server.app.load.pin(4);
    const refused = await refusedSession(server.wsUrl, bob.token);
    expect(refused.closeCode).toBe(CLOSE_CODES.tryAgainLater);
    expect(refused.frame).toMatchObject({ type: "error", code: "overloaded", retryAfterMs: expect.any(Number) });
    await send();
    await b.until(() => b.eventsOf("message.new").length === 6);

    // Released: everything is back.
    server.app.load.pin(0);
    await a.ok("typing", { conversationId });
    await b.until(() => b.eventsOf("typing").length === 1);
    expect((await b.ok<{ messages: unknown[] }>("history", { conversationId })).messages).toHaveLength(6);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("measured overload", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ degradeLagMs: 40, loadSampleMs: 100, recoverSamples: 3 });
  });
  afterAll(() => server.stop());

  it("climbs when the event loop stalls, keeps every accepted message, and returns to normal by itself", async () => {
    const { a, b, conversationId } = await pair(server);
    const levels: number[] = [];
    const off = server.app.load.onChange((level) => levels.push(level));
    const sends: Promise<unknown>[] = [];
    for (let stall = 0; stall < 6; stall++) {
      sends.push(a.ok("message.send", { conversationId, clientMsgId: `s${stall}`, text: `during stall ${stall}` }));
      const until = performance.now() + 200;
      while (performance.now() < until) {
        // A stalled event loop: what a CPU-bound surge looks like from inside.
      }
      await sleep(60);
    }
    await Promise.all(sends);
    expect(Math.max(...levels)).toBeGreaterThanOrEqual(2);
    await b.until(() => b.eventsOf("message.new").length === 6, 5000);
    const deadline = Date.now() + 10_000;
    while (server.app.load.level > 0 && Date.now() < deadline) await sleep(100);
    expect(server.app.load.level).toBe(0);
    expect(levels.at(-1)).toBe(0);
    off();
    await Promise.all([a.close(), b.close()]);
  });
});
