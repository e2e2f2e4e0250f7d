/** @module Web Push end to end: real pushes to a local push service that decrypts them, with mutes, mentions, quiet hours, hidden text, 410s and load shedding. */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMute, Conversation, NotifySettings } from "../../src/protocol/index.js";
import { closeAll, createDirect, createGroup, nextEvent, type Person, person, send } from "../features/helpers.js";
import { addContactOf, loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";
import { PushReceiver } from "./push-receiver.js";

describe("web push", () => {
  let server: TestServer;
  let receiver: PushReceiver;
  let alice: Person;
  let bob: Person;
  let direct: Conversation;
  let group: Conversation;
  let bobEndpoint: string;

  /** Bob's device subscribes with a new browser subscription, then goes offline (as Alice's presence view shows). */
  async function subscribeBobAndLeave() {
    const browser = receiver.subscription();
    await bob.client.ok("push.subscribe", { endpoint: browser.endpoint, keys: browser.keys });
    await bob.client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    alice.client.events.length = 0;
    return browser;
  }

  /** Send as Alice and wait until the node has worked off every push the send caused. */
  async function sendAndSettle(conversationId: string, text: string) {
    const message = await send(alice.client, conversationId, text);
    await server.app.pushes.settled();
    return message;
  }

  beforeAll(async () => {
    receiver = await PushReceiver.start();
    server = await startTestServer({ pushPrivateEndpoints: true });
    alice = await person(server, "alice");
    bob = await person(server, "bob");
    await addContactOf(server, alice.id, [bob.id]);
    direct = await createDirect(alice.client, bob.id);
    group = await createGroup(alice.client, [bob.id], "Noisy group");
    await alice.client.ok("presence.subscribe", { userIds: [bob.id] });
    bobEndpoint = (await subscribeBobAndLeave()).endpoint;
  });
  afterAll(async () => {
    await closeAll(alice.client, bob.client);
    await server.stop();
    await receiver.close();
  });

  it("keeps the VAPID key pair in the data folder (0600) and gives out its public key", async () => {
    const file = join(server.dataDir, "vapid.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(readFileSync(file, "utf8")) as { publicKey: string };
    const reply = await alice.client.ok<{ publicKey: string }>("push.vapidKey");
    expect(reply.publicKey).toBe(kept.publicKey);
    expect(Buffer.from(reply.publicKey, "base64url")).toHaveLength(65);
  });

  it("pushes a message to an offline device: aes128gcm that decrypts to the payload, signed with the VAPID key", async () => {
    const message = await sendAndSettle(direct.id, "점심 먹었어? lunch?");
    const [push] = await receiver.waitFor(bobEndpoint, 1);
    expect(receiver.errors).toEqual([]);
    expect(push?.headers["content-encoding"]).toBe("aes128gcm");
    expect(Number(push?.headers.ttl)).toBeGreaterThan(0);
    expect(push?.json).toEqual({
      conversationId: direct.id,
      seq: message.seq,
      title: alice.auth.user.displayName,
      body: "점심 먹었어? lunch?",
    });
    const key = (await alice.client.ok<{ publicKey: string }>("push.vapidKey")).publicKey;
    expect(push?.vapid.publicKey).toBe(key);
    expect(push?.vapid.aud).toBe(receiver.base);
    expect((push?.vapid.exp ?? 0) * 1000).toBeGreaterThan(Date.now());
  });

  it("does not push to a device that has a live session", async () => {
    const before = receiver.requests;
    const again = await RawClient.connect(server.wsUrl, bob.auth.token);
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && p.online);
    await sendAndSettle(direct.id, "you are here");
    expect(receiver.requests).toBe(before);
    await again.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
  });

  it("judges each device alone: the phone gets the push while the PC is open; a hidden PC gets it too", async () => {
    // Bob's PC: a second device, online and visible, with its own browser subscription.
    const pcAuth = await loginDevice(server.url, bob.username, "pc");
    const pc = await RawClient.connect(server.wsUrl, pcAuth.token);
    const pcBrowser = receiver.subscription();
    await pc.ok("push.subscribe", { endpoint: pcBrowser.endpoint, keys: pcBrowser.keys });
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && p.online);
    const phoneCount = receiver.to(bobEndpoint).length;

    const first = await sendAndSettle(direct.id, "the PC is open, the phone is in a pocket");
    expect((await receiver.waitFor(bobEndpoint, phoneCount + 1)).at(-1)?.json.seq).toBe(first.seq);
    expect(receiver.to(pcBrowser.endpoint)).toEqual([]);

    // The PC's window is hidden (minimized, another tab): the PC is pushed to as well.
    await pc.ok("session.visibility", { visible: false });
    const hidden = await sendAndSettle(direct.id, "the PC window is minimized");
    expect((await receiver.waitFor(pcBrowser.endpoint, 1))[0]?.json.seq).toBe(hidden.seq);
    await receiver.waitFor(bobEndpoint, phoneCount + 2);

    // Shown again: the PC is quiet again; the phone still rings.
    await pc.ok("session.visibility", { visible: true });
    await sendAndSettle(direct.id, "the PC window is back");
    await receiver.waitFor(bobEndpoint, phoneCount + 3);
    expect(receiver.to(pcBrowser.endpoint)).toHaveLength(1);

    // The phone opens the app too: nobody is pushed to.
    const phone = await RawClient.connect(server.wsUrl, bob.auth.token);
    await phone.ok("ping");
    const before = receiver.requests;
    await sendAndSettle(direct.id, "both open");
    expect(receiver.requests).toBe(before);

    // Bad input gets a stable code.
    expect(await phone.request("session.visibility", { visible: "no" })).toMatchObject({
      type: "error",
      code: "invalid_request",
    });
    await pc.ok("push.unsubscribe", { endpoint: pcBrowser.endpoint });
    await closeAll(phone, pc);
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
  });

  it("a muted group stays quiet, a mention still notifies unless turned off", async () => {
    const bobAgain = await RawClient.connect(server.wsUrl, bob.auth.token);
    const { mute } = await bobAgain.ok<{ mute: ChatMute }>("notify.mute", {
      conversationId: group.id,
      duration: "forever",
    });
    expect(mute).toEqual({
      conversationId: group.id,
      mutedUntil: "9999-12-31T23:59:59.999Z",
      mentionsOverrideMute: true,
    });
    await bobAgain.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);

    const count = receiver.to(bobEndpoint).length;
    await sendAndSettle(group.id, "noise nobody asked for");
    expect(receiver.to(bobEndpoint)).toHaveLength(count);
    const mention = await sendAndSettle(group.id, `@${bob.username} look at this`);
    const pushes = await receiver.waitFor(bobEndpoint, count + 1);
    expect(pushes.at(-1)?.json).toMatchObject({
      conversationId: group.id,
      seq: mention.seq,
      title: `${alice.auth.user.displayName} · Noisy group`,
    });

    const third = await RawClient.connect(server.wsUrl, bob.auth.token);
    await third.ok("notify.mute", { conversationId: group.id, duration: "8h", mentionsOverrideMute: false });
    const state = await third.ok<{ mutes: ChatMute[] }>("notify.get");
    expect(state.mutes).toEqual([expect.objectContaining({ conversationId: group.id, mentionsOverrideMute: false })]);
    await third.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    await sendAndSettle(group.id, `@${bob.username} again`);
    expect(receiver.to(bobEndpoint)).toHaveLength(count + 1);
    // The direct chat is not muted: it still notifies.
    await sendAndSettle(direct.id, "direct still rings");
    await receiver.waitFor(bobEndpoint, count + 2);
  });

  it("quiet hours in the user's time zone hold pushes back; hidden text pushes without a body", async () => {
    const now = new Date();
    const offset = 9 * 60; // Seoul
    const local = (now.getUTCHours() * 60 + now.getUTCMinutes() + offset) % 1440;
    const client = await RawClient.connect(server.wsUrl, bob.auth.token);
    const { settings } = await client.ok<{ settings: NotifySettings }>("notify.settings", {
      dnd: { start: (local + 1440 - 5) % 1440, end: (local + 60) % 1440 },
      utcOffsetMinutes: offset,
    });
    expect(settings).toMatchObject({ hideText: false, mentionsInQuietHours: false });
    await client.ok("notify.mute", { conversationId: group.id, duration: "off" });
    await client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    const count = receiver.to(bobEndpoint).length;
    await sendAndSettle(direct.id, "sent during quiet hours");
    // By default quiet hours hold mentions back too.
    await sendAndSettle(group.id, `@${bob.username} during quiet hours`);
    expect(receiver.to(bobEndpoint)).toHaveLength(count);

    // Mentions may pass quiet hours when Bob says so; other messages still wait.
    const opted = await RawClient.connect(server.wsUrl, bob.auth.token);
    const { settings: passing } = await opted.ok<{ settings: NotifySettings }>("notify.settings", {
      mentionsInQuietHours: true,
    });
    expect(passing).toMatchObject({ mentionsInQuietHours: true, utcOffsetMinutes: offset, hideText: false });
    expect((await opted.ok<{ settings: NotifySettings }>("notify.get")).settings.mentionsInQuietHours).toBe(true);
    await opted.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    await sendAndSettle(group.id, "plain words during quiet hours");
    const mention = await sendAndSettle(group.id, `@${bob.username} this one may wake you`);
    const woke = await receiver.waitFor(bobEndpoint, count + 1);
    expect(woke.at(-1)?.json).toMatchObject({ conversationId: group.id, seq: mention.seq });
    expect(receiver.to(bobEndpoint)).toHaveLength(count + 1);

    const again = await RawClient.connect(server.wsUrl, bob.auth.token);
    await again.ok("notify.settings", { dnd: null, hideText: true, mentionsInQuietHours: false });
    await again.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    const message = await sendAndSettle(direct.id, "a secret nobody should read on a lock screen");
    const pushes = await receiver.waitFor(bobEndpoint, count + 2);
    expect(pushes.at(-1)?.json).toEqual({
      conversationId: direct.id,
      seq: message.seq,
      title: alice.auth.user.displayName,
    });
  });

  it("sheds pushes at degradation level 1 and counts them", async () => {
    const before = receiver.requests;
    server.app.load.pin(1);
    try {
      await sendAndSettle(direct.id, "during a surge");
    } finally {
      server.app.load.pin(0);
    }
    expect(receiver.requests).toBe(before);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_pushes_total\{outcome="shed"\} [1-9]/);
  });

  it("removes a subscription at once when the push service answers 410 or 404", async () => {
    for (const status of [410, 404]) {
      const client = await RawClient.connect(server.wsUrl, bob.auth.token);
      const browser = receiver.subscription();
      await client.ok("push.subscribe", { endpoint: browser.endpoint, keys: browser.keys });
      await client.close();
      await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
      receiver.answers.set(new URL(browser.endpoint).pathname, status);
      const kept = () => server.app.ctx.store.pushSubscriptions([bob.id], new Date().toISOString());
      expect((await kept()).map((s) => s.endpoint)).toContain(browser.endpoint);
      await sendAndSettle(direct.id, `answered ${status}`);
      expect((await kept()).map((s) => s.endpoint)).not.toContain(browser.endpoint);
      expect((await kept()).map((s) => s.endpoint)).toContain(bobEndpoint);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_pushes_total\{outcome="gone"\} 2/);
  });

  it("never pushes to a device that was logged out", async () => {
    const client = await RawClient.connect(server.wsUrl, bob.auth.token);
    const { devices } = await client.ok<{ devices: { id: string; current: boolean }[] }>("device.list");
    const phone = await loginDevice(server.url, bob.username, "old phone");
    const phoneClient = await RawClient.connect(server.wsUrl, phone.token);
    const browser = receiver.subscription();
    await phoneClient.ok("push.subscribe", { endpoint: browser.endpoint, keys: browser.keys });
    await client.ok("device.revoke", { deviceId: phone.deviceId });
    await client.close();
    await phoneClient.close();
    expect(devices.length).toBeGreaterThan(0);
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    await sendAndSettle(direct.id, "only the live device");
    await receiver.waitFor(bobEndpoint, receiver.to(bobEndpoint).length);
    expect(receiver.to(browser.endpoint)).toEqual([]);
  });
});

describe("the push queue", () => {
  it("is bounded: a slow push service never delays a send, and what does not fit is dropped and counted", async () => {
    const receiver = await PushReceiver.start();
    const server = await startTestServer({ pushPrivateEndpoints: true, pushQueueLimit: 2, pushConcurrency: 1 });
    try {
      receiver.delayMs = 1500;
      const alice = await person(server, "qalice");
      const bob = await person(server, "qbob");
      const direct = await createDirect(alice.client, bob.id);
      await bob.client.ok("contact.add", { userId: alice.id }); // Alice follows his presence
      const browser = receiver.subscription();
      await bob.client.ok("push.subscribe", { endpoint: browser.endpoint, keys: browser.keys });
      await alice.client.ok("presence.subscribe", { userIds: [bob.id] });
      await bob.client.close();
      await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
      const slowest = { ms: 0 };
      for (let i = 0; i < 8; i++) {
        const started = performance.now();
        await send(alice.client, direct.id, `burst ${i}`);
        slowest.ms = Math.max(slowest.ms, performance.now() - started);
      }
      // One push in flight (1.5 s each), two waiting, the other five dropped: the sends did not wait.
      expect(slowest.ms).toBeLessThan(1000);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/haetae_pushes_total\{outcome="dropped"\} 5/);
      await server.app.pushes.settled();
      expect(receiver.to(browser.endpoint).map((p) => p.json.body)).toEqual(["burst 0", "burst 1", "burst 2"]);
      await alice.client.close();
    } finally {
      await server.stop();
      await receiver.close();
    }
  }, 30_000);
});

describe("push retries", () => {
  let server: TestServer;
  let receiver: PushReceiver;
  let alice: Person;
  let bob: Person;
  let direct: Conversation;

  async function pushCount(outcome: string): Promise<number> {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return Number(new RegExp(`haetae_pushes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  }

  /** A new browser of Bob's (his device is offline), the only one subscribed. */
  async function bobBrowser(endpoint?: string) {
    const client = await RawClient.connect(server.wsUrl, bob.auth.token);
    for (const old of await server.app.ctx.store.pushSubscriptions([bob.id], new Date().toISOString())) {
      await client.ok("push.unsubscribe", { endpoint: old.endpoint });
    }
    const browser = receiver.subscription();
    await client.ok("push.subscribe", { endpoint: endpoint ?? browser.endpoint, keys: browser.keys });
    await client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    return browser;
  }

  async function sendAndSettle(text: string) {
    const message = await send(alice.client, direct.id, text);
    await server.app.pushes.settled();
    return message;
  }

  beforeAll(async () => {
    receiver = await PushReceiver.start();
    server = await startTestServer({
      pushPrivateEndpoints: true,
      pushRetries: 3,
      pushRetryBaseMs: 40,
      pushRetryMaxMs: 1500,
    });
    alice = await person(server, "ralice");
    bob = await person(server, "rbob");
    direct = await createDirect(alice.client, bob.id);
    await bob.client.ok("contact.add", { userId: alice.id }); // Alice follows his presence
    await alice.client.ok("presence.subscribe", { userIds: [bob.id] });
    await bob.client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
  });
  afterAll(async () => {
    await closeAll(alice.client, bob.client);
    await server.stop();
    await receiver.close();
  });

  it("tries a 503 again, then waits out a 429's Retry-After, and delivers", async () => {
    const browser = await bobBrowser();
    const path = new URL(browser.endpoint).pathname;
    receiver.script.set(path, [{ status: 503 }, { status: 429, headers: { "Retry-After": "1" } }]);
    const retried = await pushCount("retried");
    const message = await sendAndSettle("after a hiccup");
    const tries = receiver.log.filter((entry) => entry.path === path);
    expect(tries.map((entry) => entry.status)).toEqual([503, 429, 201]);
    // The 429 said one second: the third try waited for it (the 503's backoff is far shorter).
    expect((tries[2]?.at ?? 0) - (tries[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeLessThan(900);
    expect(receiver.to(browser.endpoint).map((push) => push.json.seq)).toEqual([message.seq]);
    expect(await pushCount("retried")).toBe(retried + 2);
  });

  it("gives up after pushRetries tries, at once on a Retry-After past pushRetryMaxMs or a 400", async () => {
    const browser = await bobBrowser();
    const path = new URL(browser.endpoint).pathname;
    const failed = await pushCount("failed");
    receiver.answers.set(path, 500);
    await sendAndSettle("the push service is down");
    expect(receiver.log.filter((entry) => entry.path === path)).toHaveLength(1 + 3);
    expect(await pushCount("failed")).toBe(failed + 1);

    receiver.answers.delete(path);
    receiver.script.set(path, [{ status: 429, headers: { "Retry-After": "120" } }]);
    await sendAndSettle("come back in two minutes");
    receiver.script.set(path, [{ status: 400 }]);
    await sendAndSettle("a request the service refuses");
    expect(receiver.log.filter((entry) => entry.path === path).map((entry) => entry.status)).toEqual([
      500, 500, 500, 500, 429, 400,
    ]);
    expect(await pushCount("failed")).toBe(failed + 3);
    // The subscription stays: only 404 and 410 end it.
    const kept = await server.app.ctx.store.pushSubscriptions([bob.id], new Date().toISOString());
    expect(kept.map((s) => s.endpoint)).toEqual([browser.endpoint]);
  });

  it("tries again after a network error, and a 410 on a retry removes the subscription at once", async () => {
    // A port nobody listens on: the connection is refused.
    const closed = await PushReceiver.start();
    const deadEndpoint = `${closed.base}/push/nobody`;
    await closed.close();
    await bobBrowser(deadEndpoint);
    const retried = await pushCount("retried");
    await sendAndSettle("into the void");
    expect(await pushCount("retried")).toBe(retried + 3);

    const browser = await bobBrowser();
    const path = new URL(browser.endpoint).pathname;
    receiver.script.set(path, [{ status: 502 }, { status: 410 }]);
    await sendAndSettle("then it is gone");
    expect(receiver.log.filter((entry) => entry.path === path).map((entry) => entry.status)).toEqual([502, 410]);
    expect(await server.app.ctx.store.pushSubscriptions([bob.id], new Date().toISOString())).toEqual([]);
  });

  it("sheds a waiting retry when the load rises, and sends never wait for retries", async () => {
    const browser = await bobBrowser();
    const path = new URL(browser.endpoint).pathname;
    receiver.script.set(path, [{ status: 503, headers: { "Retry-After": "1" } }]);
    const shed = await pushCount("shed");
    const started = performance.now();
    await send(alice.client, direct.id, "just before a surge");
    expect(performance.now() - started).toBeLessThan(500);
    await receiver.waitForRequests(path, 1);
    expect(server.app.pushes.waiting).toBe(1);
    server.app.load.pin(1);
    try {
      await server.app.pushes.settled();
    } finally {
      server.app.load.pin(0);
    }
    expect(receiver.log.filter((entry) => entry.path === path)).toHaveLength(1);
    expect(receiver.to(browser.endpoint)).toEqual([]);
    expect(await pushCount("shed")).toBe(shed + 1);
  });
});
