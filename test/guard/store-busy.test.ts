/**
 * @module Admission by the store's pace (G5): while reads queue for a PostgreSQL connection, new
 * sessions are refused with `overloaded`, a retry time and close 4002 instead of joining the
 * queue — and every client still ends up connected once the store answers again.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { CLOSE_CODES } from "../../src/protocol/index.js";
import { HaetaeClient } from "../../src/sdk/index.js";
import { type Frame, RawClient, refusedSession, registerUser, startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../services.js";

const schema = freshSchema();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    store: postgresUrlWithSchema(schema),
    connectionMaxQueuedReads: 3,
    syncShedQueuedReads: 2,
  });
});
afterAll(async () => {
  await server?.stop();
  await dropSchema(schema);
});

/** Hold `table` of the test's schema from another connection until `release` is called. */
async function hold(table: string): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: POSTGRES_URL });
  await holder.connect();
  await holder.query("BEGIN");
  await holder.query(`LOCK TABLE ${schema}.${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await holder.query("COMMIT");
      await holder.end();
    },
  };
}

async function untilQueued(reads: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (server.app.ctx.store.queuedReads < reads && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(server.app.ctx.store.queuedReads).toBeGreaterThanOrEqual(reads);
}

/** Open a session and report how it ended: admitted (a `session` frame), or refused with its frame. */
function attempt(wsUrl: string, token: string): Promise<{ admitted: boolean; frame?: Frame; closeCode?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    let frame: Frame | undefined;
    ws.on("message", (data) => {
      const parsed = JSON.parse(data.toString()) as Frame;
      if (parsed.type === "session") {
        resolve({ admitted: true });
        ws.close();
      }
      frame ??= parsed;
    });
    ws.on("error", () => undefined);
    ws.once("close", (code) => resolve({ admitted: false, frame, closeCode: code }));
  });
}

it("refuses new sessions with a retry time while reads queue for the database, and admits them all once it answers", async () => {
  const users = await Promise.all(Array.from({ length: 20 }, () => registerUser(server.url, "busy")));
  // Another connection holds the devices table: every login's token lookup waits on it, so the
  // node's ten reader connections fill and further reads queue in the pool.
  const devices = await hold("devices");
  const waiting = users.slice(0, 13).map((u) => attempt(server.wsUrl, u.token));
  await untilQueued(3);
  const refused = await refusedSession(server.wsUrl, (users[19] as { token: string }).token);
  expect(refused).toMatchObject({ closeCode: CLOSE_CODES.tryAgainLater, frame: { code: "overloaded" } });
  expect(refused.frame.retryAfterMs).toEqual(expect.any(Number));
  await devices.release();
  // The sessions that had been let in finish their login once the lock is gone.
  const outcomes = await Promise.all(waiting);
  expect(outcomes.filter((o) => o.admitted).length).toBeGreaterThanOrEqual(10);
  expect(server.app.ctx.store.queuedReads).toBe(0);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/haetae_refused_connections_total\{reason="store_busy"\} [1-9]/);

  // Every client, refused or not, connects with the SDK once the store answers.
  const clients = users.map(
    (u) => new HaetaeClient({ url: server.url, token: u.token, WebSocket: WebSocket as never, baseMs: 50, maxMs: 500 }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  expect(clients.every((c) => c.state === "open")).toBe(true);
  for (const c of clients) c.close();
}, 30_000);

it("defers the syncs of sessions already caught up while reads queue, and answers every catch-up sync", async () => {
  const users = await Promise.all(Array.from({ length: 13 }, () => registerUser(server.url, "shed")));
  const clients = await Promise.all(users.map((u) => RawClient.connect(server.wsUrl, u.token)));
  const [settled, ...others] = clients as [RawClient, ...RawClient[]];
  expect(await settled.ok("sync", {})).toMatchObject({ hasMore: false }); // caught up
  // The feed is held: the others' first syncs (their catch-up) fill the pool and queue.
  const events = await hold("events");
  const catchUps = others.map((c) => c.request("sync", {}));
  await untilQueued(2);
  // A caught-up session's sync only moves its cursor: it waits, told when to come back.
  expect(await settled.request("sync", {})).toMatchObject({ type: "error", code: "overloaded", retryAfterMs: 5000 });
  await events.release();
  // Every catch-up sync was answered, none refused; once reads stop queuing, the deferred one is too.
  for (const reply of await Promise.all(catchUps)) expect(reply).toMatchObject({ type: "ok", hasMore: false });
  expect(server.app.ctx.store.queuedReads).toBe(0);
  expect(await settled.request("sync", {})).toMatchObject({ type: "ok" });
  for (const c of clients) await c.close();
}, 30_000);

it("stops reading a connection whose send the full write queue refused, and only it, until the queue drains", async () => {
  const s = await startTestServer({
    store: postgresUrlWithSchema(schema),
    maxPendingWrites: 100,
    requestsPerSecond: 10_000,
    requestBurst: 10_000,
    userRequestBurst: 10_000,
    userSendBurst: 10_000,
  });
  try {
    const me = await registerUser(s.url, "paused");
    const sender = await RawClient.connect(s.wsUrl, me.token);
    const bystander = await RawClient.connect(s.wsUrl, me.token);
    const { conversation } = await sender.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [],
    });
    // The messages table is held: the batch under way waits on it, and the queue behind it fills.
    const messages = await hold("messages");
    const sends = Array.from({ length: 150 }, (_, i) =>
      sender.request("message.send", { conversationId: conversation.id, clientMsgId: `p${i}`, text: `${i}` }),
    );
    // The queue fills and a send is refused: the node stops reading this connection (counted),
    // while another connection of the same user is still read and answered at once.
    const pauses = async () =>
      Number(
        /haetae_connection_read_pauses_total (\d+)/.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1] ?? 0,
      );
    const deadline = Date.now() + 5000;
    while ((await pauses()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await pauses()).toBeGreaterThanOrEqual(1);
    expect(await bystander.ok("ping")).toMatchObject({ type: "ok" });
    const ping = sender.request("ping", {});
    await messages.release();
    // Once the queue drains the connection is read again: the ping is answered after the sends,
    // every send was stored or refused with a retry time, and each refused one lands once retried.
    expect(await ping).toMatchObject({ type: "ok" });
    const replies = await Promise.all(sends);
    const refused = replies.flatMap((r, i) => (r.type === "error" ? [i] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const i of refused) expect(replies[i]).toMatchObject({ code: "overloaded", retryAfterMs: expect.any(Number) });
    for (const i of refused) {
      await sender.ok("message.send", { conversationId: conversation.id, clientMsgId: `p${i}`, text: `${i}` });
    }
    const last = await sender.ok<{ lastSeq: number }>("conversation.get", { conversationId: conversation.id });
    expect(last.lastSeq).toBe(150);
    await sender.close();
    await bystander.close();
  } finally {
    await s.stop();
  }
}, 30_000);
