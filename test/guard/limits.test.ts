/**
 * G5's bounds, each tried against a real server: a reconnect storm, a write queue that fills,
 * a login flood, the buckets shared by a user's connections and by an address (the slow
 * reader's bound is in src/gateway/session.test.ts). Each is refused or cut with a stable code
 * and a retry time; nothing accepted is lost.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CLOSE_CODES, type MessageNewEvent } from "../../src/protocol/index.js";
import { HaetaeClient } from "../../src/sdk/index.js";
import { addContactOf, RawClient, refusedSession, registerUser, startTestServer, type TestServer } from "../harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
async function server(overrides: Record<string, unknown>): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

it("admits a reconnect storm at the configured rate, and every client ends connected with nothing missed", async () => {
  const s = await server({ connectionsPerSecond: 20, connectionBurst: 5 });
  const users = await Promise.all(Array.from({ length: 30 }, () => registerUser(s.url, "storm")));
  const host = await RawClient.connect(s.wsUrl, (users[0] as { token: string }).token);
  await addContactOf(
    s,
    (users[0] as { user: { id: string } }).user.id,
    users.slice(1).map((u) => u.user.id),
  );
  const { conversation } = await host.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "group",
    memberIds: users.slice(1).map((u) => u.user.id),
  });
  await host.ok("message.send", {
    conversationId: conversation.id,
    clientMsgId: "before-the-storm",
    text: "hello all",
  });
  const started = Date.now();
  const clients = users.map(
    (u) => new HaetaeClient({ url: s.url, token: u.token, WebSocket: WebSocket as never, baseMs: 100, maxMs: 1000 }),
  );
  const seen = clients.map(() => new Set<string>());
  for (const [i, c] of clients.entries()) {
    c.on("message.new", (e: MessageNewEvent) => {
      seen[i]?.add(e.message.clientMsgId);
    });
  }
  await Promise.all(clients.map((c) => c.connect()));
  const elapsed = Date.now() - started;
  // 30 sessions at 5 at once then 20 a second take at least a second (one was taken by the host).
  expect(elapsed).toBeGreaterThanOrEqual(1000);
  for (const set of seen) expect(set.has("before-the-storm")).toBe(true);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  expect(metrics).toMatch(/haetae_refused_connections_total\{reason="admission_rate"\} [1-9]/);
  for (const c of clients) c.close();
  await host.close();
}, 60_000);

it("gives sessions refused together their own retry slots, and the SDK waits its slot before trying again", async () => {
  const s = await server({ connectionsPerSecond: 1, connectionBurst: 1 });
  const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(s.url, "slot")));
  const host = await RawClient.connect(s.wsUrl, (users[0] as { token: string }).token); // takes the one token
  // Refused in the same moment: each is told a later slot, 1000 ms apart (one a second).
  const refusals = await Promise.all(users.slice(1).map((u) => refusedSession(s.wsUrl, u.token)));
  const waits = refusals.map((r) => r.frame.retryAfterMs as number).sort((a, b) => a - b);
  for (const r of refusals)
    expect(r).toMatchObject({ closeCode: CLOSE_CODES.tryAgainLater, frame: { code: "overloaded" } });
  expect((waits[1] as number) - (waits[0] as number)).toBeGreaterThanOrEqual(900);
  expect((waits[2] as number) - (waits[1] as number)).toBeGreaterThanOrEqual(900);

  // An SDK client refused in the same storm waits at least the retry time it was told (its
  // backoff alone would come back within a few ms), then gets in.
  const attempts: { at: number; told?: number }[] = [];
  class Recording extends WebSocket {
    constructor(url: string) {
      super(url);
      const attempt: { at: number; told?: number } = { at: Date.now() };
      attempts.push(attempt);
      this.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as { id?: unknown; retryAfterMs?: number };
        if (frame.id === null) attempt.told = frame.retryAfterMs;
      });
    }
  }
  const client = new HaetaeClient({
    url: s.url,
    token: (users[3] as { token: string }).token,
    WebSocket: Recording as never,
    baseMs: 1,
    maxMs: 5,
  });
  await client.connect();
  expect(attempts.length).toBeGreaterThanOrEqual(2);
  const refusedAttempt = attempts[0] as { at: number; told?: number };
  expect(refusedAttempt.told).toBeGreaterThan(2000); // the slot after the three above
  expect((attempts[1] as { at: number }).at - refusedAttempt.at).toBeGreaterThanOrEqual(refusedAttempt.told as number);
  client.close();
  await host.close();
}, 30_000);

it("refuses writes past the queue bound with overloaded and a retry time, and a retry stores each once", async () => {
  const s = await server({
    maxPendingWrites: 100,
    requestsPerSecond: 10_000,
    requestBurst: 10_000,
    // 150 connections of one user: its shared buckets are not what this test is about.
    userRequestBurst: 10_000,
    userSendBurst: 10_000,
  });
  const me = await registerUser(s.url, "queue");
  const { conversationId } = await (async () => {
    const c = await RawClient.connect(s.wsUrl, me.token);
    const r = await c.ok<{ conversation: { id: string } }>("conversation.create", { kind: "direct", memberIds: [] });
    await c.close();
    return { conversationId: r.conversation.id };
  })();
  // 150 connections each send at once: more writes than the queue holds arrive in one turn.
  const conns = await Promise.all(Array.from({ length: 150 }, () => RawClient.connect(s.wsUrl, me.token)));
  const first = await Promise.all(
    conns.map((c, i) => c.request("message.send", { conversationId, clientMsgId: `q${i}`, text: `queued ${i}` })),
  );
  const refused = first.filter((r) => r.type === "error");
  expect(refused.length).toBeGreaterThan(0);
  for (const r of refused) expect(r).toMatchObject({ code: "overloaded", retryAfterMs: expect.any(Number) });
  await Promise.all(
    conns.map(async (c, i) => {
      if (first[i]?.type === "ok") return;
      await c.ok("message.send", { conversationId, clientMsgId: `q${i}`, text: `queued ${i}` });
    }),
  );
  const last = await (conns[0] as RawClient).ok<{ lastSeq: number }>("conversation.get", { conversationId });
  expect(last.lastSeq).toBe(150);
  await Promise.all(conns.map((c) => c.close()));
}, 60_000);

it("limits login attempts per address with rate_limited and a retry time", async () => {
  const s = await server({ loginsPerMinutePerIp: 3 });
  const statuses: number[] = [];
  let last: unknown;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "nobody_here", password: "wrong password" }),
    });
    statuses.push(res.status);
    last = await res.json();
  }
  expect(statuses).toEqual([401, 401, 401, 429, 429]);
  expect(last).toMatchObject({ error: { code: "rate_limited", retryAfterMs: expect.any(Number) } });
});

describe("limits shared by a user's connections and by an address", () => {
  it("gives a user one send bucket however many devices send, and leaves other users alone", async () => {
    const s = await server({ userSendsPerSecond: 1, userSendBurst: 4 });
    const me = await registerUser(s.url, "bucket");
    const other = await registerUser(s.url, "bucket");
    const devices = await Promise.all([1, 2, 3].map(() => RawClient.connect(s.wsUrl, me.token)));
    const created = await (devices[0] as RawClient).ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [other.user.id],
    });
    const conversationId = created.conversation.id;
    const replies = await Promise.all(
      devices.flatMap((d, i) =>
        [0, 1].map((k) => d.request("message.send", { conversationId, clientMsgId: `d${i}-${k}`, text: "hi" })),
      ),
    );
    const refused = replies.filter((r) => r.type === "error");
    expect(replies.filter((r) => r.type === "ok")).toHaveLength(4);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(r).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
      expect(r.retryAfterMs as number).toBeGreaterThan(0);
    }
    // Other requests still pass (their own bucket), and so do other users' sends.
    await (devices[1] as RawClient).ok("ping");
    const them = await RawClient.connect(s.wsUrl, other.token);
    await them.ok("message.send", { conversationId, clientMsgId: "theirs", text: "hello" });
    // After the advertised wait, the refused send goes through once.
    await new Promise((resolve) => setTimeout(resolve, (refused[0]?.retryAfterMs as number) + 50));
    const retried = replies.findIndex((r) => r.type === "error");
    const retryId = `d${Math.floor(retried / 2)}-${retried % 2}`;
    await (devices[0] as RawClient).ok("message.send", { conversationId, clientMsgId: retryId, text: "hi" });
    const last = await them.ok<{ lastSeq: number }>("conversation.get", { conversationId });
    expect(last.lastSeq).toBe(6);
    for (const c of [...devices, them]) await c.close();
  });

  it("gives a user one request bucket across connections", async () => {
    const s = await server({ userRequestsPerSecond: 1, userRequestBurst: 3 });
    const me = await registerUser(s.url, "reqs");
    const conns = await Promise.all([1, 2].map(() => RawClient.connect(s.wsUrl, me.token)));
    const replies = await Promise.all(conns.flatMap((c) => [0, 1, 2].map(() => c.request("ping"))));
    expect(replies.filter((r) => r.type === "ok")).toHaveLength(3);
    for (const r of replies.filter((x) => x.type === "error")) {
      expect(r).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
    }
    for (const c of conns) await c.close();
  });

  it("gives an address one request bucket across its users", async () => {
    const s = await server({ ipRequestsPerSecond: 1, ipRequestBurst: 3 });
    const users = [await registerUser(s.url, "addr"), await registerUser(s.url, "addr")];
    const conns = await Promise.all(users.map((u) => RawClient.connect(s.wsUrl, u.token)));
    const replies = await Promise.all(conns.flatMap((c) => [0, 1, 2].map(() => c.request("ping"))));
    expect(replies.filter((r) => r.type === "ok")).toHaveLength(3);
    expect(replies.filter((r) => r.type === "error")).toHaveLength(3);
    for (const c of conns) await c.close();
  });

  it("refuses an address's connections past its rate with rate_limited, a retry time and close 4002", async () => {
    const s = await server({ ipConnectionsPerSecond: 1, ipConnectionBurst: 2 });
    const me = await registerUser(s.url, "conns");
    const first = await Promise.all([1, 2].map(() => RawClient.connect(s.wsUrl, me.token)));
    const refused = await refusedSession(s.wsUrl, me.token);
    expect(refused.closeCode).toBe(CLOSE_CODES.tryAgainLater);
    expect(refused.frame).toMatchObject({
      type: "error",
      id: null,
      code: "rate_limited",
      retryAfterMs: expect.any(Number),
    });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_refused_connections_total\{reason="address_rate"\} 1/);
    for (const c of first) await c.close();
  });
});
