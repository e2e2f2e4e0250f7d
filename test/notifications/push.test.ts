/** @module Web Push end to end: real pushes to a local push service that decrypts them, with mutes, mentions, quiet hours, hidden text, 410s and load shedding. */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMute, Conversation, NotifySettings } from "../../src/protocol/index.js";
import { closeAll, createDirect, createGroup, nextEvent, type Person, person, send } from "../features/helpers.js";
import { addContactOf, RawClient, startTestServer, type TestServer } from "../harness.js";
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

  it("does not push to a user who has a live session", async () => {
    const before = receiver.requests;
    const again = await RawClient.connect(server.wsUrl, bob.auth.token);
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && p.online);
    await sendAndSettle(direct.id, "you are here");
    expect(receiver.requests).toBe(before);
    await again.close();
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
    expect(settings.hideText).toBe(false);
    await client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    const count = receiver.to(bobEndpoint).length;
    await sendAndSettle(direct.id, "sent during quiet hours");
    expect(receiver.to(bobEndpoint)).toHaveLength(count);

    const again = await RawClient.connect(server.wsUrl, bob.auth.token);
    await again.ok("notify.settings", { dnd: null, hideText: true });
    await again.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);
    const message = await sendAndSettle(direct.id, "a secret nobody should read on a lock screen");
    const pushes = await receiver.waitFor(bobEndpoint, count + 1);
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
    const phone = await (await import("../harness.js")).loginDevice(server.url, bob.username, "old phone");
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
