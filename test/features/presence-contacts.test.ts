/**
 * @module Presence is shown to one's contacts only: a user's presence reaches a viewer only while
 * the user has the viewer among their contacts and no block stands between them. A group member
 * who is not a contact learns nothing by `presence.subscribe`, `presence.get` or a `presence`
 * event; a block or a removed contact ends a subscription at once; typing is not presence.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presence } from "../../src/protocol/index.js";
import { RawClient, startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createGroup, expectError, nextEvent, type Person, person, settle } from "./helpers.js";

type PresenceReply = { presences: Presence[]; refused: string[] };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/**
 * `target` closes its socket and connects again, hides and shows its presence; `witness` (one
 * `target` lists as a contact, subscribed) hears each change. The sessions subscribed to `target`
 * get each event in one loop, so once the witness has the last one, anyone else has all theirs.
 */
async function changesOf(target: Person, witness: Person): Promise<RawClient> {
  await target.client.close();
  await nextEvent(witness.client, "presence", (p) => p.userId === target.id && !p.online);
  const back = await RawClient.connect(server.wsUrl, target.auth.token);
  await nextEvent(witness.client, "presence", (p) => p.userId === target.id && p.online);
  await back.ok("account.update", { hidePresence: true });
  await nextEvent(witness.client, "presence", (p) => p.userId === target.id && p.hidden === true);
  await back.ok("account.update", { hidePresence: false });
  await nextEvent(witness.client, "presence", (p) => p.userId === target.id && p.online && !p.hidden);
  return back;
}

describe("presence for contacts only", () => {
  it("tells a group member who is not a contact nothing, by subscribe, get or events, while typing still reaches them", async () => {
    const owner = await person(server, "pco");
    const target = await person(server, "pct");
    const member = await person(server, "pcm");
    const witness = await person(server, "pcw");
    // All added the owner, so the owner puts them in one group without asking; the target lists the witness only.
    await befriend(owner, target, member, witness);
    await target.client.ok("contact.add", { userId: witness.id });
    // The member lists the target: that shows the member's presence to the target, not the other way.
    await member.client.ok("contact.add", { userId: target.id });
    const group = await createGroup(owner.client, [target.id, member.id, witness.id], "모임");

    await expectError(member.client, "presence.subscribe", { userIds: [target.id] }, "forbidden");
    // With someone they may see (the owner lists them), the target is refused by name and nothing of it answered.
    await owner.client.ok("contact.add", { userId: member.id });
    const mixed = await member.client.ok<PresenceReply>("presence.subscribe", { userIds: [target.id, owner.id] });
    expect(mixed.refused).toEqual([target.id]);
    expect(mixed.presences.map((p) => p.userId)).toEqual([owner.id]);
    const got = await member.client.ok<PresenceReply>("presence.get", { userIds: [target.id, member.id] });
    expect(got.refused).toEqual([target.id]);
    expect(got.presences.map((p) => p.userId)).toEqual([member.id]);
    // The target sees the member, who listed them.
    const seen = await target.client.ok<PresenceReply>("presence.get", { userIds: [member.id] });
    expect(seen.presences).toEqual([expect.objectContaining({ userId: member.id, online: true })]);

    await witness.client.ok("presence.subscribe", { userIds: [target.id] });
    member.client.events.length = 0;
    const back = await changesOf(target, witness);
    await settle(member.client);
    expect(member.client.eventsOf("presence").filter((p) => p.userId === target.id)).toEqual([]);

    // Typing is not presence: a member's typing reaches every member.
    await back.ok("typing", { conversationId: group.id });
    await nextEvent(member.client, "typing", (e) => e.userId === target.id);
    await closeAll(owner.client, back, member.client, witness.client);
  });

  it("shows a contact's presence live; a block, or being removed from their contacts, ends it at once", async () => {
    const target = await person(server, "pcx");
    const friend = await person(server, "pcf");
    const blocked = await person(server, "pcb");
    const witness = await person(server, "pcw");
    for (const viewer of [friend, blocked, witness]) await target.client.ok("contact.add", { userId: viewer.id });
    for (const viewer of [friend, blocked, witness]) {
      const reply = await viewer.client.ok<PresenceReply>("presence.subscribe", { userIds: [target.id] });
      expect(reply.presences).toEqual([expect.objectContaining({ userId: target.id, online: true })]);
    }
    // The friend removing the target from their own contacts changes nothing: it is the target's list that counts.
    await friend.client.ok("contact.add", { userId: target.id });
    await friend.client.ok("contact.remove", { userId: target.id });
    await target.client.close();
    for (const viewer of [friend, blocked, witness]) {
      await nextEvent(viewer.client, "presence", (p) => p.userId === target.id && !p.online);
    }
    target.client = await RawClient.connect(server.wsUrl, target.auth.token);
    await nextEvent(witness.client, "presence", (p) => p.userId === target.id && p.online);

    // The target blocks one viewer and drops the friend from their contacts; the witness keeps hearing.
    await target.client.ok("block.add", { userId: blocked.id });
    await target.client.ok("contact.remove", { userId: friend.id });
    // Each subscription ends with the masked presence, so no "online" from before stays on screen.
    for (const viewer of [friend, blocked]) {
      const presences = () => viewer.client.eventsOf("presence").filter((p) => p.userId === target.id);
      await nextEvent(viewer.client, "presence", (p) => p.userId === target.id && p.hidden === true);
      expect(presences().at(-1)).toEqual({
        type: "presence",
        userId: target.id,
        online: false,
        lastSeenAt: null,
        hidden: true,
      });
    }
    await settle(friend.client, blocked.client);
    for (const viewer of [friend, blocked]) viewer.client.events.length = 0;
    const back = await changesOf(target, witness);
    await settle(friend.client, blocked.client);
    for (const viewer of [friend, blocked]) {
      expect(viewer.client.eventsOf("presence").filter((p) => p.userId === target.id)).toEqual([]);
      await expectError(viewer.client, "presence.subscribe", { userIds: [target.id] }, "forbidden");
      const got = await viewer.client.ok<PresenceReply>("presence.get", { userIds: [target.id] });
      expect(got).toEqual({ type: "ok", id: expect.any(Number), presences: [], refused: [target.id] });
    }
    await closeAll(back, friend.client, blocked.client, witness.client);
  });

  it("follows a user from the moment they add the viewer, on a subscription refused before, and again after a removal and re-adding", async () => {
    const target = await person(server, "pca");
    const viewer = await person(server, "pcv");
    const witness = await person(server, "pcw");
    await target.client.ok("contact.add", { userId: witness.id });
    await witness.client.ok("presence.subscribe", { userIds: [target.id] });
    // Refused for every user asked (forbidden), yet remembered for this connection.
    await expectError(viewer.client, "presence.subscribe", { userIds: [target.id] }, "forbidden");
    await target.client.ok("contact.add", { userId: viewer.id });
    const first = await nextEvent(viewer.client, "presence", (p) => p.userId === target.id);
    expect(first).toMatchObject({ userId: target.id, online: true });
    await target.client.close();
    await nextEvent(viewer.client, "presence", (p) => p.userId === target.id && !p.online);
    target.client = await RawClient.connect(server.wsUrl, target.auth.token);
    await nextEvent(viewer.client, "presence", (p) => p.userId === target.id && p.online);

    // Removed: the masked presence, then no more news. Added again: followed again, with how they are now.
    await target.client.ok("contact.remove", { userId: viewer.id });
    const ended = await nextEvent(viewer.client, "presence", (p) => p.userId === target.id && p.hidden === true);
    expect(ended).toMatchObject({ online: false, lastSeenAt: null });
    viewer.client.events.length = 0;
    const back = await changesOf(target, witness);
    await settle(viewer.client);
    expect(viewer.client.eventsOf("presence").filter((p) => p.userId === target.id)).toEqual([]);
    await back.ok("contact.add", { userId: viewer.id });
    const again = await nextEvent(viewer.client, "presence", (p) => p.userId === target.id);
    expect(again).toMatchObject({ userId: target.id, online: true });
    // A block cuts it for good: added again afterwards, nothing comes.
    await back.ok("block.add", { userId: viewer.id });
    await back.ok("contact.remove", { userId: viewer.id });
    await back.ok("contact.add", { userId: viewer.id });
    viewer.client.events.length = 0;
    const last = await changesOf({ ...target, client: back }, witness);
    await settle(viewer.client);
    expect(viewer.client.eventsOf("presence").filter((p) => p.userId === target.id)).toEqual([]);
    await closeAll(last, viewer.client, witness.client);
  });
});
