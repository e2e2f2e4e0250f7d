/**
 * Ephemeral signals: typing goes to the other members only and is never stored; presence is
 * visible to people you know, changes as a user's first socket opens and last socket closes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presence } from "../../src/protocol/index.js";
import { loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import {
  befriend,
  closeAll,
  createDirect,
  createGroup,
  expectError,
  nextEvent,
  person,
  settle,
  syncAll,
} from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("typing", () => {
  it("reaches the other members, not the typist, and is never stored", async () => {
    const alice = await person(server, "typ");
    const bob = await person(server, "typ");
    const carol = await person(server, "typ");
    await befriend(alice, bob, carol);
    const group = await createGroup(alice.client, [bob.id, carol.id]);
    const { cursor } = await syncAll(alice.client);

    const reply = await alice.client.request("typing", { conversationId: group.id });
    expect(reply.type).toBe("ok");
    for (const other of [bob, carol]) {
      const event = await nextEvent(other.client, "typing");
      expect(event).toEqual({ type: "typing", conversationId: group.id, userId: alice.id });
    }
    await settle(alice.client);
    expect(alice.client.eventsOf("typing")).toEqual([]);

    // Nothing stored: nobody's sync has anything after the creation.
    for (const who of [alice, bob]) {
      const all = await syncAll(who.client);
      expect(all.events.map((e) => e.type)).toEqual(["conversation.created"]);
    }
    expect((await syncAll(alice.client, cursor)).events).toEqual([]);
    const list = await bob.client.ok<{ conversations: { lastSeq: number; lastMessage: unknown }[] }>(
      "conversation.list",
    );
    expect(list.conversations[0]).toMatchObject({ lastSeq: 0, lastMessage: null });
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("is refused for a non-member with forbidden", async () => {
    const alice = await person(server, "typx");
    const bob = await person(server, "typx");
    const eve = await person(server, "typx");
    const direct = await createDirect(alice.client, bob.id);
    await expectError(eve.client, "typing", { conversationId: direct.id }, "forbidden");
    await settle(alice.client, bob.client);
    expect(bob.client.eventsOf("typing")).toEqual([]);
    await closeAll(alice.client, bob.client, eve.client);
  });
});

describe("presence", () => {
  it("reports online/offline at subscribe, then online when they connect and offline with lastSeenAt when their last socket closes", async () => {
    const watcher = await person(server, "pre");
    const targetAuth = await registerUser(server.url, "pre");
    // The target's first socket: the target adds the watcher (presence is for one's contacts), then goes offline.
    const first = await RawClient.connect(server.wsUrl, targetAuth.token);
    await first.ok("contact.add", { userId: watcher.id });
    const online = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", {
      userIds: [targetAuth.user.id],
    });
    expect(online.presences).toEqual([expect.objectContaining({ userId: targetAuth.user.id, online: true })]);
    await first.close();
    const wentOffline = await nextEvent(watcher.client, "presence", (e) => !e.online);
    expect(wentOffline.userId).toBe(targetAuth.user.id);

    const offline = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", {
      userIds: [targetAuth.user.id],
    });
    expect(offline.presences).toEqual([expect.objectContaining({ userId: targetAuth.user.id, online: false })]);
    watcher.client.events.length = 0;

    // Two sockets (two devices): online once; offline only when the last one closes.
    const pc = await RawClient.connect(server.wsUrl, targetAuth.token);
    const on = await nextEvent(watcher.client, "presence");
    expect(on).toMatchObject({ type: "presence", userId: targetAuth.user.id, online: true });
    const phone = await RawClient.connect(
      server.wsUrl,
      (await loginDevice(server.url, targetAuth.user.username, "phone")).token,
    );
    await pc.close();
    await settle(watcher.client);
    expect(watcher.client.eventsOf("presence")).toHaveLength(1);

    const beforeClose = Date.now();
    await phone.close();
    const off = await nextEvent(watcher.client, "presence", (e) => !e.online);
    expect(off).toMatchObject({ type: "presence", userId: targetAuth.user.id, online: false });
    expect(off.lastSeenAt).not.toBeNull();
    expect(Date.parse(off.lastSeenAt ?? "")).toBeGreaterThanOrEqual(beforeClose - 1000);
    const now = await watcher.client.ok<{ presences: Presence[] }>("presence.subscribe", {
      userIds: [targetAuth.user.id],
    });
    expect(now.presences[0]).toMatchObject({ online: false, lastSeenAt: off.lastSeenAt });
    await watcher.client.close();
  });

  it("is allowed once the user added the watcher as a contact, not when only the watcher added them, nor across a block", async () => {
    const watcher = await person(server, "prc");
    const friend = await person(server, "prc");
    await watcher.client.ok("contact.add", { userId: friend.id });
    // Anyone can add anyone: adding someone must not reveal their presence.
    await expectError(watcher.client, "presence.subscribe", { userIds: [friend.id] }, "forbidden");
    await friend.client.ok("contact.add", { userId: watcher.id });
    const stranger = await registerUser(server.url, "prc");
    const reply = await watcher.client.ok<{ presences: Presence[]; refused: string[] }>("presence.subscribe", {
      userIds: [friend.id, stranger.user.id],
    });
    expect(reply.presences).toEqual([expect.objectContaining({ userId: friend.id, online: true })]);
    expect(reply.refused).toEqual([stranger.user.id]);
    await friend.client.ok("block.add", { userId: watcher.id });
    await expectError(watcher.client, "presence.subscribe", { userIds: [friend.id] }, "forbidden");
    await closeAll(watcher.client, friend.client);
  });

  it("refuses a stranger with forbidden, and sends that stranger's changes to nobody", async () => {
    const watcher = await person(server, "prs");
    const strangerAuth = await registerUser(server.url, "prs");
    await expectError(watcher.client, "presence.subscribe", { userIds: [strangerAuth.user.id] }, "forbidden");
    const stranger = await RawClient.connect(server.wsUrl, strangerAuth.token);
    await stranger.close();
    await settle(watcher.client);
    expect(watcher.client.eventsOf("presence")).toEqual([]);
    await watcher.client.close();
  });
});
