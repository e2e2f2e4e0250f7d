/**
 * @module `presence.get`: the presence of several users at once (a group's member list) without
 * subscribing, by the same rules as `presence.subscribe` — nothing of a stranger, of a member
 * who is not a contact, or across a block; masked for one who hides it; shed under load.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presence } from "../../src/protocol/index.js";
import { registerUser, startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createGroup, expectError, nextEvent, person } from "./helpers.js";

type PresenceReply = { presences: Presence[]; refused: string[] };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ presenceSubscriptionLimit: 5 });
});
afterAll(() => server.stop());

describe("presence.get", () => {
  it("answers for a group's members at once: online, last seen, hidden; refuses a stranger and a blocker, and reveals nothing of them", async () => {
    const viewer = await person(server, "pgv");
    const online = await person(server, "pgo");
    const away = await person(server, "pga");
    const hiding = await person(server, "pgh");
    const blocker = await person(server, "pgb");
    const stranger = await registerUser(server.url, "pgs");
    await befriend(viewer, online, away, hiding, blocker);
    const group = await createGroup(viewer.client, [online.id, away.id, hiding.id, blocker.id], "모임");
    expect(group.memberIds).toHaveLength(5);
    await hiding.client.ok("account.update", { hidePresence: true });
    await blocker.client.ok("block.add", { userId: viewer.id });
    const closedAt = Date.now();
    await away.client.close();

    const ids = [online.id, away.id, hiding.id, blocker.id, stranger.user.id];
    const reply = await viewer.client.ok<PresenceReply>("presence.get", { userIds: ids });
    const by = new Map(reply.presences.map((p) => [p.userId, p]));
    expect(by.get(online.id)).toMatchObject({ online: true });
    expect(by.get(away.id)).toMatchObject({ online: false });
    expect(Date.parse(by.get(away.id)?.lastSeenAt ?? "")).toBeGreaterThanOrEqual(closedAt - 1000);
    expect(by.get(hiding.id)).toEqual({ userId: hiding.id, online: false, lastSeenAt: null, hidden: true });
    // Neither the stranger nor the member who blocked the viewer is answered for, online as they are.
    expect(reply.refused.sort()).toEqual([blocker.id, stranger.user.id].sort());
    expect(by.has(blocker.id)).toBe(false);
    expect(by.has(stranger.user.id)).toBe(false);

    // Refusing every one is an answer, not an error (unlike a subscription).
    const none = await viewer.client.ok<PresenceReply>("presence.get", { userIds: [stranger.user.id] });
    expect(none).toMatchObject({ presences: [], refused: [stranger.user.id] });
    await expectError(viewer.client, "presence.get", { userIds: [...ids, viewer.id] }, "invalid_request");
    await closeAll(viewer.client, online.client, hiding.client, blocker.client);
  });

  it("reveals nothing of a member once they removed the viewer from their contacts, though they share the group", async () => {
    const viewer = await person(server, "pgl");
    const member = await person(server, "pgl");
    await befriend(viewer, member);
    await createGroup(viewer.client, [member.id], "잠깐");
    const before = await viewer.client.ok<PresenceReply>("presence.get", { userIds: [member.id] });
    expect(before.presences).toEqual([expect.objectContaining({ userId: member.id, online: true })]);
    await member.client.ok("contact.remove", { userId: viewer.id });
    const after = await viewer.client.ok<PresenceReply>("presence.get", { userIds: [member.id] });
    expect(after).toMatchObject({ presences: [], refused: [member.id] });
    await closeAll(viewer.client, member.client);
  });

  it("leaves the connection's subscriptions as they were", async () => {
    const viewer = await person(server, "pgk");
    const followed = await person(server, "pgk");
    const other = await person(server, "pgk");
    await befriend(viewer, followed, other);
    await createGroup(viewer.client, [followed.id, other.id]);
    await viewer.client.ok("presence.subscribe", { userIds: [followed.id] });
    await viewer.client.ok<PresenceReply>("presence.get", { userIds: [other.id] });
    await followed.client.close();
    await nextEvent(viewer.client, "presence", (p) => p.userId === followed.id && !p.online);
    await closeAll(viewer.client, other.client);
  });

  it("is shed under load, with typing and presence (G5)", async () => {
    const viewer = await person(server, "pgd");
    const friend = await person(server, "pgd");
    await befriend(viewer, friend);
    await friend.client.ok("contact.add", { userId: viewer.id });
    await viewer.client.ok("contact.add", { userId: friend.id });
    server.app.load.pin(1);
    try {
      const refused = await expectError(viewer.client, "presence.get", { userIds: [friend.id] }, "overloaded");
      expect(refused.retryAfterMs).toBeGreaterThan(0);
    } finally {
      server.app.load.pin(0);
    }
    expect((await viewer.client.ok<PresenceReply>("presence.get", { userIds: [friend.id] })).presences).toHaveLength(1);
    await closeAll(viewer.client, friend.client);
  });
});
