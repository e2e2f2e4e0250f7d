/**
 * The SDK against the real server. Network faults are injected by a TCP proxy between the SDK
 * and the server — it cuts connections, refuses new ones and drops chosen server frames — so
 * the server, the sockets and the protocol are all real.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type App, startApp } from "../src/app.js";
import { makeConfig } from "../src/config/config.js";
import type { AuthReply, Message, MessageNewEvent, TypingEvent } from "../src/protocol/index.js";
import {
  Backoff,
  backoffDelay,
  changePassword,
  HaetaeClient,
  type HaetaeClientOptions,
  HaetaeRequestError,
  login,
  logout,
  register,
  type StateChange,
  unreadByCount,
} from "../src/sdk/index.js";
import { type FaultProxy, type Frame, startFaultProxy } from "./fault-proxy.js";
import { startTestServer, TEST_DEFAULTS } from "./harness.js";

const PASSWORD = "correct horse";
let dataDir: string;
let app: App;
let proxy: FaultProxy;
let userCount = 0;
const clients: HaetaeClient[] = [];

/** A node on `dataDir`; restarting on the same port and folder is a server restart. */
function startNode(port = 0): Promise<App> {
  return startApp(
    makeConfig({ port, data: dataDir, ...TEST_DEFAULTS, requestsPerSecond: 10_000, requestBurst: 10_000 }),
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "haetae-sdk-"));
  app = await startNode();
  proxy = await startFaultProxy(() => app.port);
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  proxy.dropToClient = undefined;
  proxy.refuse = false;
});
afterAll(async () => {
  await proxy.close();
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function newUser(prefix: string, baseUrl = app.url): Promise<AuthReply> {
  userCount += 1;
  return register(baseUrl, { username: `${prefix}${userCount}_${process.pid % 10000}`, password: PASSWORD });
}

/** An SDK client through the proxy, with fast backoff; closed after each test. */
function sdk(token: string, options: Partial<HaetaeClientOptions> = {}): HaetaeClient {
  const client = new HaetaeClient({ url: proxy.url, token, WebSocket, baseMs: 20, maxMs: 200, ...options });
  clients.push(client);
  return client;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Record the seqs of `message.new` a client delivers in one conversation, in delivery order. */
function recordSeqs(client: HaetaeClient, conversationId: () => string): MessageNewEvent[] {
  const seen: MessageNewEvent[] = [];
  client.on("message.new", (event) => {
    if (event.conversationId === conversationId()) seen.push(event);
  });
  return seen;
}

async function historyOf(client: HaetaeClient, conversationId: string): Promise<Message[]> {
  return (await client.request("history", { conversationId, afterSeq: 0, limit: 1000 })).messages;
}

it("keeps every full-jitter delay within [0, min(maxMs, baseMs * 2^attempt)]", () => {
  const options = { baseMs: 100, maxMs: 5_000 };
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const ceiling = Math.min(5_000, 100 * 2 ** attempt);
    expect(backoffDelay(attempt, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelay(attempt, { ...options, random: () => 0.999_999 })).toBe(ceiling);
    const samples = Array.from({ length: 200 }, () => backoffDelay(attempt, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
  }
  const backoff = new Backoff({ ...options, random: () => 0.999_999 });
  expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
  backoff.reset();
  expect(backoff.next()).toBe(100);
});

it("counts the members other than the sender who have not read a message", () => {
  const message = { seq: 5, senderId: "s" } as Message;
  expect(unreadByCount({ s: 0, a: 4, b: 5, c: 9 }, message)).toBe(1);
  expect(unreadByCount({ s: 0, a: 0, b: 0 }, message)).toBe(2);
  expect(unreadByCount({ s: 5 }, message)).toBe(0);
});

it("connects, answers typed requests and delivers typed events once each", async () => {
  const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
  // A short idle sync, so the copies `sync` returns of live events are exercised too.
  const a = sdk(alice.token, { syncIdleMs: 30 });
  const b = sdk(bob.token, { syncIdleMs: 30 });
  const states: StateChange[] = [];
  a.on("state", (change) => states.push(change));
  await Promise.all([a.connect(), b.connect()]);
  expect(states.map((s) => s.state)).toEqual(["connecting", "open"]);

  expect(typeof (await a.request("ping", {})).now).toBe("string");
  const created: string[] = [];
  b.on("conversation.created", (event) => created.push(event.conversation.id));
  const cursors: string[] = [];
  b.on("cursor", (cursor) => cursors.push(cursor));
  const { conversation } = await a.request("conversation.create", { kind: "direct", memberIds: [bob.user.id] });
  const got = recordSeqs(b, () => conversation.id);
  const typing: TypingEvent[] = [];
  const stopTyping = b.on("typing", (event) => typing.push(event));

  const sent = await a.send(conversation.id, "hello bob");
  expect(sent.seq).toBe(1);
  await waitFor(() => got.length === 1);
  expect(got[0]?.message).toMatchObject({ id: sent.id, text: "hello bob", senderId: alice.user.id });
  await a.request("typing", { conversationId: conversation.id });
  await waitFor(() => typing.length === 1);
  stopTyping();
  await a.request("typing", { conversationId: conversation.id });

  // The idle sync and an explicit one return the same events: they must not be delivered again.
  await waitFor(() => cursors.length > 0);
  await b.sync();
  expect(b.cursor).toBe(cursors.at(-1));
  expect(got).toHaveLength(1);
  expect(created).toEqual([conversation.id]);
  expect(typing).toHaveLength(1);

  const history = await b.request("history", { conversationId: conversation.id });
  expect(unreadByCount(history.readSeqs, sent)).toBe(1);
  await b.request("read", { conversationId: conversation.id, seq: 1 });
  const after = await a.request("history", { conversationId: conversation.id });
  expect(unreadByCount(after.readSeqs, sent)).toBe(0);
});

it("rejects with 'timeout', 'not_connected' and the server's error codes, over WebSocket and HTTP", async () => {
  const alice = await newUser("alice");
  const { username } = alice.user;
  await expect(register(app.url, { username, password: PASSWORD })).rejects.toMatchObject({ code: "username_taken" });
  await expect(login(app.url, { username, password: "wrong!!!" })).rejects.toMatchObject({
    code: "invalid_credentials",
  });
  const a = sdk(alice.token);
  await a.connect();
  proxy.dropToClient = (frame) => frame.type === "ok" && typeof frame.now === "string";
  const timedOut = await a.request("ping", {}, { timeoutMs: 150 }).catch((error: unknown) => error);
  expect(timedOut).toBeInstanceOf(HaetaeRequestError);
  expect(timedOut).toMatchObject({ code: "timeout" });
  proxy.dropToClient = undefined;

  const notFound = await a.request("conversation.get", { conversationId: "nope" }).catch((error: unknown) => error);
  expect(notFound).toMatchObject({ code: "conversation_not_found" });
  expect((notFound as HaetaeRequestError).retryable).toBe(false);

  // A non-retryable send error rejects and leaves the outbox.
  await expect(a.send("nope", "lost")).rejects.toMatchObject({ code: "conversation_not_found" });
  expect(a.pending).toEqual([]);

  const never = sdk(alice.token); // connect() is never called
  await expect(never.request("ping", {}, { timeoutMs: 50 })).rejects.toMatchObject({ code: "not_connected" });
});

it("retries a rate-limited send after retryAfterMs, keeping order and sending each once", async () => {
  const limited = await startTestServer({ requestsPerSecond: 10, requestBurst: 3 });
  try {
    const [alice, bob] = await Promise.all([newUser("rl", limited.url), newUser("rl", limited.url)]);
    const a = sdk(alice.token, { url: limited.url });
    await a.connect();
    const { conversation } = await a.request("conversation.create", { kind: "direct", memberIds: [bob.user.id] });
    const texts = Array.from({ length: 8 }, (_, i) => `burst ${i}`);
    const results = await Promise.all(texts.map((text) => a.send(conversation.id, text)));
    expect(results.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(results.map((m) => m.text)).toEqual(texts);
  } finally {
    await limited.stop();
  }
});

it("reconnects after a server restart and delivers sends made while down exactly once", async () => {
  const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
  // The first URL is dead: connecting at all proves the client moves on to the next one.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
  const deadUrl = `http://127.0.0.1:${(dead.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const a = sdk(alice.token, { url: [deadUrl, proxy.url] });
  const states: StateChange[] = [];
  a.on("state", (change) => states.push(change));
  await a.connect();
  const { conversation } = await a.request("conversation.create", { kind: "direct", memberIds: [bob.user.id] });
  await a.send(conversation.id, "before");

  const port = app.port;
  await app.stop();
  await waitFor(() => a.state === "reconnecting");
  expect(states.some((s) => s.closeCode === 4000)).toBe(true);
  const texts = ["one", "two", "three"];
  const sends = texts.map((text) => a.send(conversation.id, text));
  expect(a.pending.map((p) => p.text)).toEqual(texts);
  await sleep(100); // a few failed reconnects while the server is down
  app = await startNode(port);

  const stored = await Promise.all(sends);
  expect(stored.map((m) => m.seq)).toEqual([2, 3, 4]);
  expect(a.state).toBe("open");
  expect(a.pending).toEqual([]);
  const history = await historyOf(a, conversation.id);
  expect(history.map((m) => m.text)).toEqual(["before", ...texts]);
  expect(history.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
});

it("finds a silent (half-open) connection by pinging it, drops it and reconnects", async () => {
  const alice = await newUser("alice");
  const a = sdk(alice.token, { pingIntervalMs: 100, requestTimeoutMs: 150 });
  await a.connect();
  const connections = proxy.connections;
  proxy.dropToClient = () => proxy.connections === connections; // the first connection goes silent
  await waitFor(() => proxy.connections > connections && a.state === "open");
  expect((await a.request("ping", {})).now).toBeTypeOf("string");
});

it("re-sends a send whose ack was lost with the same clientMsgId: one message", async () => {
  const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
  const a = sdk(alice.token);
  await a.connect();
  const { conversation } = await a.request("conversation.create", { kind: "direct", memberIds: [bob.user.id] });
  const acks: Frame[] = [];
  proxy.dropToClient = (frame) => {
    if (frame.type !== "ok" || typeof frame.message !== "object") return false;
    acks.push(frame);
    if (acks.length > 1) return false;
    // The server stored the message and acked; the ack is lost with the connection.
    setImmediate(() => proxy.cut());
    return true;
  };
  const connections = proxy.connections;
  const message = await a.send(conversation.id, "exactly once");
  expect(proxy.connections).toBeGreaterThan(connections);
  expect(acks.map((ack) => ack.duplicate)).toEqual([false, true]);
  const [first, second] = acks.map((ack) => ack.message as Message);
  expect(second?.clientMsgId).toBe(first?.clientMsgId);
  expect(message.id).toBe(first?.id);
  const history = await historyOf(a, conversation.id);
  expect(history.map((m) => m.text)).toEqual(["exactly once"]);
});

it("fills a gap of 50 missed messages after a reconnect, each once and in seq order", async () => {
  const [alice, bob] = await Promise.all([newUser("alice"), newUser("bob")]);
  const a = sdk(alice.token, { syncPageSize: 7 }); // several sync pages
  const b = sdk(bob.token, { url: app.url }); // not through the proxy: stays up
  await Promise.all([a.connect(), b.connect()]);
  await a.request("contact.add", { userId: bob.user.id }); // so bob's group takes alice at once
  const { conversation } = await b.request("conversation.create", { kind: "group", memberIds: [alice.user.id] });
  const seen = recordSeqs(a, () => conversation.id);
  await b.send(conversation.id, "m1");
  await waitFor(() => seen.length === 1);

  proxy.refuse = true;
  proxy.cut();
  await waitFor(() => a.state === "reconnecting");
  await Promise.all(Array.from({ length: 50 }, (_, i) => b.send(conversation.id, `m${i + 2}`)));
  expect(seen).toHaveLength(1);
  proxy.refuse = false;

  await waitFor(() => seen.length >= 51);
  await sleep(100); // nothing late, nothing twice
  expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  expect(seen.map((e) => e.message.text)).toEqual(Array.from({ length: 51 }, (_, i) => `m${i + 1}`));
  expect(a.lastSeq(conversation.id)).toBe(51);
});

it("holds a live message that skips a seq until a sync fills the gap; a newcomer's first seq is its baseline", async () => {
  const [alice, bob, carol] = await Promise.all([newUser("alice"), newUser("bob"), newUser("carol")]);
  // No idle sync: only the gap rule can bring the missing message.
  const a = sdk(alice.token, { syncIdleMs: 60_000 });
  const c = sdk(carol.token, { syncIdleMs: 60_000 });
  const b = sdk(bob.token, { url: app.url });
  await Promise.all([a.connect(), b.connect(), c.connect()]);
  // Contacts of bob, so bob's group takes them at once.
  await Promise.all([
    a.request("contact.add", { userId: bob.user.id }),
    c.request("contact.add", { userId: bob.user.id }),
  ]);
  const { conversation } = await b.request("conversation.create", { kind: "group", memberIds: [alice.user.id] });
  const seen = recordSeqs(a, () => conversation.id);
  const carolSeen = recordSeqs(c, () => conversation.id);
  proxy.dropToClient = (frame) =>
    frame.type === "message.new" && frame.conversationId === conversation.id && frame.seq === 2;
  for (const text of ["m1", "m2", "m3"]) await b.send(conversation.id, text);
  await waitFor(() => seen.length >= 3);
  expect(seen.map((e) => e.seq)).toEqual([1, 2, 3]);

  // Carol joins after three messages: her first live message (seq 4, the system line "bob added
  // carol") has no predecessor she can ever get, and must be delivered after one sync, not held
  // forever; m4 follows it as seq 5.
  await b.request("conversation.addMembers", { conversationId: conversation.id, userIds: [carol.user.id] });
  await b.send(conversation.id, "m4");
  await waitFor(() => carolSeen.length >= 2 && seen.length >= 5);
  expect(carolSeen.map((e) => e.seq)).toEqual([4, 5]);
  expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
});

it("goes terminal when its device is revoked, and does not reconnect", async () => {
  const alice = await newUser("alice");
  const a = sdk(alice.token);
  await a.connect();
  const phone = await login(app.url, { username: alice.user.username, password: PASSWORD, deviceName: "phone" });
  const p = sdk(phone.token, { url: app.url });
  await p.connect();
  const states: StateChange[] = [];
  a.on("state", (change) => states.push(change));
  const connections = proxy.connections;

  await p.request("device.revoke", { deviceId: alice.deviceId });
  await waitFor(() => a.state === "terminal");
  expect(states).toEqual([{ state: "terminal", closeCode: 4501 }]);
  await expect(a.connect()).rejects.toMatchObject({ code: "session_ended" });
  await expect(a.request("ping", {})).rejects.toMatchObject({ code: "session_ended" });
  await sleep(300);
  expect(proxy.connections).toBe(connections);
  expect(states).toHaveLength(1);

  // Logging out over HTTP ends the phone's session the same way; the token is then dead.
  await logout(app.url, phone.token);
  await waitFor(() => p.state === "terminal");
  await expect(logout(app.url, phone.token)).rejects.toMatchObject({ code: "unauthorized" });
});

it("reads every page of conversation.list with listConversations, each conversation once, newest first", async () => {
  const alice = await newUser("alice");
  const a = sdk(alice.token, { url: app.url });
  await a.connect();
  const made: string[] = [];
  for (let i = 0; i < 7; i++) {
    made.push(
      (await a.request("conversation.create", { kind: "group", memberIds: [], title: `g${i}` })).conversation.id,
    );
  }
  const pages: number[] = [];
  const all = await a.listConversations({ pageSize: 3, onPage: (page) => pages.push(page.length) });
  expect(pages).toEqual([3, 3, 1]);
  expect(all.map((c) => c.conversation.id).sort()).toEqual([...made].sort());
  const times = all.map((c) => c.conversation.createdAt);
  expect(times).toEqual([...times].sort().reverse()); // newest first (two made in one millisecond tie by id)
});

it("changes the password, ending the other devices' sessions, and logs in with the device key it was given", async () => {
  const alice = await newUser("alice");
  const username = alice.user.username;
  const phone = await login(app.url, { username, password: PASSWORD, deviceName: "phone" });
  const p = sdk(phone.token, { url: app.url });
  await p.connect();
  const next = "saffron kettle marble orchard";
  await expect(
    changePassword(app.url, alice.token, { currentPassword: "wrong!!!", newPassword: next }),
  ).rejects.toMatchObject({
    code: "invalid_credentials",
  });
  await expect(
    changePassword(app.url, alice.token, { currentPassword: PASSWORD, newPassword: "12345678" }),
  ).rejects.toMatchObject({
    code: "weak_password",
  });
  expect(await changePassword(app.url, alice.token, { currentPassword: PASSWORD, newPassword: next })).toEqual({
    revokedDevices: 1,
  });
  await waitFor(() => p.state === "terminal");
  const again = await login(app.url, { username, password: next, deviceKey: alice.deviceKey });
  expect(again.deviceKey).not.toBe(alice.deviceKey);
});
