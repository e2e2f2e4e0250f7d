/**
 * Presence that tells the truth: a connection that dies without a close (no pong) turns its
 * user offline within two heartbeats, with a last-seen time; a user who hides their presence
 * shows neither online nor a time, and their changes reach nobody, until they show it again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Presence, User } from "../../src/protocol/index.js";
import { loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { closeAll, nextEvent, person, settle } from "./helpers.js";

const HEARTBEAT_MS = 500;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ heartbeatMs: HEARTBEAT_MS });
});
afterAll(() => server.stop());

/** A socket that opens a session, then never answers a ping: a phone that lost its network. */
async function silentSocket(token: string): Promise<WebSocket> {
  const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}` }, autoPong: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

describe("presence of a connection that dies without a close", () => {
  it("turns offline within two heartbeats and carries the last-seen time", async () => {
    const watcher = await person(server, "pdead");
    const target = await registerUser(server.url, "pdead");
    await server.app.ctx.store.addContact(target.user.id, watcher.id, new Date().toISOString());
    const socket = await silentSocket(target.token);
    const subscribed = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", {
      userIds: [target.user.id],
    });
    expect(subscribed.presences[0]).toMatchObject({ online: true });
    const wentSilent = Date.now();
    const off = await nextEvent(watcher.client, "presence", (e) => e.userId === target.user.id && !e.online);
    const tookMs = Date.now() - wentSilent;
    // Cut at the second round after its last pong, told at once: 2 heartbeats and a slice at
    // most, plus room for timers that run late on a loaded machine.
    expect(tookMs).toBeLessThanOrEqual(HEARTBEAT_MS * 2.1 + 1000);
    expect(Date.parse(off.lastSeenAt ?? "")).toBeGreaterThanOrEqual(wentSilent - 50);
    // The store keeps it too (written within a slice), for a node that starts later.
    const kept = async () =>
      Date.parse((await server.app.ctx.store.lastSeenAmong([target.user.id])).get(target.user.id) ?? "0");
    await expect.poll(kept).toBeGreaterThanOrEqual(wentSilent - 50);
    socket.terminate();
    await watcher.client.close();
  });
});

describe("hidden presence", () => {
  it("masks online and last seen for everyone, reaches the user's other devices, and shows the truth again when turned off", async () => {
    const watcher = await person(server, "phid");
    const target = await person(server, "phid");
    await target.client.ok("contact.add", { userId: watcher.id });
    const phone = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, target.username)).token);
    const before = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", { userIds: [target.id] });
    expect(before.presences).toEqual([expect.objectContaining({ userId: target.id, online: true })]);

    const reply = await target.client.ok<{ user: User }>("account.update", { hidePresence: true });
    expect(reply.user.hidePresence).toBe(true);
    const masked = await nextEvent(watcher.client, "presence", (e) => e.userId === target.id);
    expect(masked).toEqual({ type: "presence", userId: target.id, online: false, lastSeenAt: null, hidden: true });
    // The setting is the account's: the other device hears it.
    const synced = await nextEvent(phone, "account.updated");
    expect(synced.user).toMatchObject({ id: target.id, hidePresence: true });

    // Going offline while hidden tells the watcher nothing; a fresh subscription is masked too.
    watcher.client.events.length = 0;
    await closeAll(target.client, phone);
    await settle(watcher.client);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(watcher.client.eventsOf("presence")).toEqual([]);
    const again = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", { userIds: [target.id] });
    expect(again.presences).toEqual([{ userId: target.id, online: false, lastSeenAt: null, hidden: true }]);

    // Shown again: the watcher gets the truth (offline, with a time).
    const back = await RawClient.connect(server.wsUrl, target.auth.token);
    await back.ok("account.update", { hidePresence: false });
    const truth = await nextEvent(watcher.client, "presence", (e) => e.userId === target.id && !e.hidden);
    expect(truth).toMatchObject({ userId: target.id, online: true });
    expect(truth.hidden).toBeUndefined();
    const own = await back.ok<{ user: User }>("account.update", { statusText: "here" });
    expect(own.user.hidePresence).toBeUndefined();
    await closeAll(watcher.client, back);
  });

  it("is not a way for a stranger to learn anything", async () => {
    const stranger = await person(server, "phs");
    const target = await person(server, "phs");
    await target.client.ok("account.update", { hidePresence: true });
    const refused = await stranger.client.request("presence.subscribe", { userIds: [target.id] });
    expect(refused).toMatchObject({ type: "error", code: "forbidden" });
    await target.client.ok("account.update", { hidePresence: false });
    await settle(stranger.client);
    expect(stranger.client.eventsOf("presence")).toEqual([]);
    await closeAll(stranger.client, target.client);
  });
});
