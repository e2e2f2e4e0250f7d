/**
 * Group invite links: an owner or admin makes one (with an optional expiry and use limit),
 * anyone signed in previews it and joins by it (a `joined` line, the member limit and blocks
 * respected), admins list and revoke links, and a dead link says why with a stable code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, GroupLink, GroupLinkPreview, Message } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";
import { befriend, closeAll, createGroup, expectError, nextEvent, person } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxGroupMembers: 4, groupLinksPerGroup: 3 });
});
afterAll(() => server.stop());

describe("group invite links", () => {
  it("lets anyone with the link join with a joined line, counts uses, and stops working once revoked", async () => {
    const owner = await person(server, "gl");
    const member = await person(server, "gl");
    const joiner = await person(server, "gl");
    await befriend(owner, member);
    const group = await createGroup(owner.client, [member.id], "링크방");

    const { link } = await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id });
    expect(link).toMatchObject({ conversationId: group.id, createdBy: owner.id, expiresAt: null, maxUses: null });
    expect(link.uses).toBe(0);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const { preview } = await joiner.client.ok<{ preview: GroupLinkPreview }>("groupLink.preview", {
      token: link.token,
    });
    expect(preview).toEqual({ conversationId: group.id, title: "링크방", memberCount: 2, member: false });

    const joined = await joiner.client.ok<{ conversation: Conversation }>("groupLink.join", { token: link.token });
    expect(joined.conversation.memberIds).toContain(joiner.id);
    const line = await nextEvent(member.client, "message.new", (e) => e.message.system?.action === "joined");
    expect((line.message as Message).senderId).toBe(joiner.id);
    // Joining again as a member changes nothing and uses nothing.
    await joiner.client.ok("groupLink.join", { token: link.token });
    const { links } = await owner.client.ok<{ links: GroupLink[] }>("groupLink.list", { conversationId: group.id });
    expect(links).toEqual([expect.objectContaining({ id: link.id, uses: 1, revokedAt: null })]);

    const revoked = await owner.client.ok<{ link: GroupLink }>("groupLink.revoke", {
      conversationId: group.id,
      linkId: link.id,
    });
    expect(revoked.link.revokedAt).not.toBeNull();
    const late = await person(server, "gl");
    await expectError(late.client, "groupLink.preview", { token: link.token }, "group_link_revoked");
    await expectError(late.client, "groupLink.join", { token: link.token }, "group_link_revoked");
    await closeAll(owner.client, member.client, joiner.client, late.client);
  });

  it("honours the use limit, the expiry, the member limit and blocks", async () => {
    const owner = await person(server, "gm");
    const group = await createGroup(owner.client, [], "작은방");
    const once = (
      await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id, maxUses: 1 })
    ).link;
    const first = await person(server, "gm");
    const second = await person(server, "gm");
    await first.client.ok("groupLink.join", { token: once.token });
    await expectError(second.client, "groupLink.join", { token: once.token }, "group_link_used_up");

    const brief = (
      await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id, expiresInMs: 60_000 })
    ).link;
    expect(Date.parse(brief.expiresAt ?? "") - Date.parse(brief.createdAt)).toBe(60_000);

    // A block either way between the joiner and the link's maker refuses the join.
    const blocker = await person(server, "gm");
    await blocker.client.ok("block.add", { userId: owner.id });
    await expectError(blocker.client, "groupLink.join", { token: brief.token }, "blocked");

    // The member limit (4): owner, first, then two more fill it; the next is refused.
    const open = (await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id })).link;
    await second.client.ok("groupLink.join", { token: open.token });
    const third = await person(server, "gm");
    await third.client.ok("groupLink.join", { token: open.token });
    const fourth = await person(server, "gm");
    await expectError(fourth.client, "groupLink.join", { token: open.token }, "member_limit_exceeded");
    // groupLinksPerGroup (3) live links at most.
    await expectError(owner.client, "groupLink.create", { conversationId: group.id }, "group_link_limit_exceeded");
    await closeAll(owner.client, first.client, second.client, blocker.client, third.client, fourth.client);
  });

  it("stops a link when its maker no longer manages the group, and lets an admin make links", async () => {
    const owner = await person(server, "gr");
    const admin = await person(server, "gr");
    await befriend(owner, admin);
    const group = await createGroup(owner.client, [admin.id], "관리");
    await owner.client.ok("conversation.setRole", { conversationId: group.id, userId: admin.id, role: "admin" });
    const link = (await admin.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id })).link;
    await owner.client.ok("conversation.setRole", { conversationId: group.id, userId: admin.id, role: "member" });
    const joiner = await person(server, "gr");
    await expectError(joiner.client, "groupLink.join", { token: link.token }, "group_link_revoked");
    await closeAll(owner.client, admin.client, joiner.client);
  });
});
