/**
 * Contacts and blocks: finding users, the contact list, the block list, and a block that stops
 * direct chats in both directions until it is lifted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";
import { closeAll, createDirect, expectError, type Person, person, send } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("user.find", () => {
  it("finds a user by username, case-insensitively", async () => {
    const alice = await person(server, "find");
    const bob = await person(server, "find");
    const exact = await alice.client.ok<{ user: User }>("user.find", { username: bob.username });
    expect(exact.user).toMatchObject({ id: bob.id, username: bob.username });
    const shouted = await alice.client.ok<{ user: User }>("user.find", { username: bob.username.toUpperCase() });
    expect(shouted.user.id).toBe(bob.id);
    expect(JSON.stringify(shouted)).not.toMatch(/password|scrypt/i);
    await closeAll(alice.client, bob.client);
  });

  it("answers an unknown username with user_not_found", async () => {
    const alice = await person(server, "find");
    await expectError(alice.client, "user.find", { username: "no_such_person" }, "user_not_found");
    await alice.client.close();
  });
});

describe("contacts", () => {
  it("adds, lists and removes contacts", async () => {
    const me = await person(server, "con");
    const bob = await person(server, "con");
    const carol = await person(server, "con");
    const ids = (users: User[]) => users.map((u) => u.id).sort();

    const afterBob = await me.client.ok<{ contacts: User[] }>("contact.add", { userId: bob.id });
    expect(ids(afterBob.contacts)).toEqual([bob.id]);
    const afterCarol = await me.client.ok<{ contacts: User[] }>("contact.add", { userId: carol.id });
    expect(ids(afterCarol.contacts)).toEqual([bob.id, carol.id].sort());
    // Adding twice changes nothing.
    const twice = await me.client.ok<{ contacts: User[] }>("contact.add", { userId: carol.id });
    expect(ids(twice.contacts)).toEqual([bob.id, carol.id].sort());
    expect(ids((await me.client.ok<{ contacts: User[] }>("contact.list")).contacts)).toEqual([bob.id, carol.id].sort());
    // Contacts are one-way: bob's list is still empty.
    expect((await bob.client.ok<{ contacts: User[] }>("contact.list")).contacts).toEqual([]);

    const removed = await me.client.ok<{ contacts: User[] }>("contact.remove", { userId: bob.id });
    expect(ids(removed.contacts)).toEqual([carol.id]);
    expect(ids((await me.client.ok<{ contacts: User[] }>("contact.list")).contacts)).toEqual([carol.id]);
    await closeAll(me.client, bob.client, carol.client);
  });

  it("refuses an unknown user (user_not_found) and oneself (invalid_request)", async () => {
    const me = await person(server, "con");
    await expectError(me.client, "contact.add", { userId: "00000000-0000-0000-0000-000000000000" }, "user_not_found");
    await expectError(me.client, "contact.add", { userId: me.id }, "invalid_request");
    expect((await me.client.ok<{ contacts: User[] }>("contact.list")).contacts).toEqual([]);
    await me.client.close();
  });
});

describe("blocks", () => {
  it("adds, lists and removes blocks", async () => {
    const me = await person(server, "blk");
    const bob = await person(server, "blk");
    const added = await me.client.ok<{ blocked: User[] }>("block.add", { userId: bob.id });
    expect(added.blocked.map((u) => u.id)).toEqual([bob.id]);
    expect((await me.client.ok<{ blocked: User[] }>("block.list")).blocked.map((u) => u.id)).toEqual([bob.id]);
    expect((await bob.client.ok<{ blocked: User[] }>("block.list")).blocked).toEqual([]);
    const removed = await me.client.ok<{ blocked: User[] }>("block.remove", { userId: bob.id });
    expect(removed.blocked).toEqual([]);
    expect((await me.client.ok<{ blocked: User[] }>("block.list")).blocked).toEqual([]);
    await expectError(me.client, "block.add", { userId: me.id }, "invalid_request");
    await expectError(me.client, "block.add", { userId: "00000000-0000-0000-0000-000000000000" }, "user_not_found");
    await closeAll(me.client, bob.client);
  });

  /** blocker blocks blocked; each direction of each direct-chat action is refused, then allowed after unblock. */
  async function blockedPair(): Promise<{ blocker: Person; blocked: Person }> {
    return { blocker: await person(server, "blk"), blocked: await person(server, "blk") };
  }

  it("stops opening a direct chat in both directions, until unblocked", async () => {
    const { blocker, blocked } = await blockedPair();
    await blocker.client.ok("block.add", { userId: blocked.id });
    await expectError(blocked.client, "conversation.create", { kind: "direct", memberIds: [blocker.id] }, "blocked");
    await expectError(blocker.client, "conversation.create", { kind: "direct", memberIds: [blocked.id] }, "blocked");
    expect((await blocked.client.ok<{ conversations: unknown[] }>("conversation.list")).conversations).toEqual([]);

    await blocker.client.ok("block.remove", { userId: blocked.id });
    const opened = await createDirect(blocked.client, blocker.id);
    expect(opened.memberIds.sort()).toEqual([blocker.id, blocked.id].sort());
    await closeAll(blocker.client, blocked.client);
  });

  it("stops sending into an existing direct chat in both directions, until unblocked", async () => {
    const { blocker, blocked } = await blockedPair();
    const direct = await createDirect(blocker.client, blocked.id);
    await send(blocked.client, direct.id, "before the block");
    await blocker.client.ok("block.add", { userId: blocked.id });

    const params = (text: string) => ({ conversationId: direct.id, clientMsgId: `blk-${text}-${Math.random()}`, text });
    await expectError(blocked.client, "message.send", params("from the blocked"), "blocked");
    await expectError(blocker.client, "message.send", params("from the blocker"), "blocked");
    const history = await blocker.client.ok<{ messages: { text: string }[] }>("history", { conversationId: direct.id });
    expect(history.messages.map((m) => m.text)).toEqual(["before the block"]);

    await blocker.client.ok("block.remove", { userId: blocked.id });
    expect((await send(blocked.client, direct.id, "after, from the blocked")).seq).toBe(2);
    expect((await send(blocker.client, direct.id, "after, from the blocker")).seq).toBe(3);
    await closeAll(blocker.client, blocked.client);
  });

  it("leaves shared groups alone", async () => {
    const { blocker, blocked } = await blockedPair();
    // A contact of the blocker, so the group takes them at once (not an invitation).
    await blocked.client.ok("contact.add", { userId: blocker.id });
    const group = (
      await blocker.client.ok<{ conversation: { id: string } }>("conversation.create", {
        kind: "group",
        memberIds: [blocked.id],
      })
    ).conversation;
    await blocker.client.ok("block.add", { userId: blocked.id });
    expect((await send(blocked.client, group.id, "still here")).seq).toBe(1);
    await closeAll(blocker.client, blocked.client);
  });
});
