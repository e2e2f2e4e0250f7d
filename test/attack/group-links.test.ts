/**
 * Attacks on group invite links: guessing tokens, using a link after it was revoked or expired,
 * a member who is not an admin (or a stranger) making, listing or revoking links, and revoking
 * another group's link through one's own group.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Conversation, GroupLink } from "../../src/protocol/index.js";
import { befriend, closeAll, createGroup, expectError, person } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

it("answers a guessed token group_link_not_found and nothing else, and a malformed one invalid_request", async () => {
  const owner = await person(server, "lg");
  const group = await createGroup(owner.client, [], "비밀방");
  const real = (await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id })).link;
  const guesser = await person(server, "lg");
  for (let i = 0; i < 50; i++) {
    const guess = randomBytes(18).toString("base64url");
    const reply = await expectError(guesser.client, "groupLink.join", { token: guess }, "group_link_not_found");
    expect(JSON.stringify(reply)).not.toContain(group.id);
  }
  // One character off the real token is as unknown as any guess.
  const near = `${real.token.slice(0, -1)}${real.token.endsWith("A") ? "B" : "A"}`;
  await expectError(guesser.client, "groupLink.preview", { token: near }, "group_link_not_found");
  for (const token of ["", "short", "has spaces in it here!", "x".repeat(65), "../../etc/passwd-passwd"]) {
    await expectError(guesser.client, "groupLink.join", { token }, "invalid_request");
  }
  const members = await owner.client.ok<{ conversation: Conversation }>("conversation.get", {
    conversationId: group.id,
  });
  expect(members.conversation.memberIds).toEqual([owner.id]);
  await closeAll(owner.client, guesser.client);
});

it("refuses a revoked link for good, and an expired one", async () => {
  const owner = await person(server, "lr");
  const group = await createGroup(owner.client, [], "닫힌방");
  const link = (await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id })).link;
  const early = await person(server, "lr");
  await early.client.ok("groupLink.join", { token: link.token });
  await owner.client.ok("groupLink.revoke", { conversationId: group.id, linkId: link.id });
  // Revoking again returns it unchanged; the link stays dead for newcomers and for one who left.
  const again = await owner.client.ok<{ link: GroupLink }>("groupLink.revoke", {
    conversationId: group.id,
    linkId: link.id,
  });
  expect(again.link.revokedAt).not.toBeNull();
  await early.client.ok("conversation.leave", { conversationId: group.id });
  await expectError(early.client, "groupLink.join", { token: link.token }, "group_link_revoked");
  const late = await person(server, "lr");
  await expectError(late.client, "groupLink.join", { token: link.token }, "group_link_revoked");

  const brief = (
    await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id, expiresInMs: 60_000 })
  ).link;
  const ctx = server.app.ctx as { now: () => Date };
  const realNow = ctx.now;
  ctx.now = () => new Date(Date.now() + 61_000);
  try {
    await expectError(late.client, "groupLink.join", { token: brief.token }, "group_link_expired");
    await expectError(late.client, "groupLink.preview", { token: brief.token }, "group_link_expired");
  } finally {
    ctx.now = realNow;
  }
  await late.client.ok("groupLink.join", { token: brief.token });
  await closeAll(owner.client, early.client, late.client);
});

it("lets no plain member or stranger make, list or revoke links, nor revoke another group's link", async () => {
  const owner = await person(server, "ln");
  const member = await person(server, "ln");
  const stranger = await person(server, "ln");
  await befriend(owner, member);
  const group = await createGroup(owner.client, [member.id], "관리자만");
  const link = (await owner.client.ok<{ link: GroupLink }>("groupLink.create", { conversationId: group.id })).link;
  await expectError(member.client, "groupLink.create", { conversationId: group.id }, "forbidden");
  await expectError(member.client, "groupLink.list", { conversationId: group.id }, "forbidden");
  await expectError(member.client, "groupLink.revoke", { conversationId: group.id, linkId: link.id }, "forbidden");
  await expectError(stranger.client, "groupLink.create", { conversationId: group.id }, "forbidden");
  await expectError(stranger.client, "groupLink.list", { conversationId: group.id }, "forbidden");
  await expectError(stranger.client, "groupLink.revoke", { conversationId: group.id, linkId: link.id }, "forbidden");
  // The stranger's own group: they are its owner, but the link is not its link.
  const own = await createGroup(stranger.client, [], "남의방");
  await expectError(
    stranger.client,
    "groupLink.revoke",
    { conversationId: own.id, linkId: link.id },
    "group_link_not_found",
  );
  const { links } = await owner.client.ok<{ links: GroupLink[] }>("groupLink.list", { conversationId: group.id });
  expect(links).toEqual([expect.objectContaining({ id: link.id, revokedAt: null })]);
  // A direct chat takes no links.
  const direct = (
    await owner.client.ok<{ conversation: Conversation }>("conversation.create", {
      kind: "direct",
      memberIds: [member.id],
    })
  ).conversation;
  await expectError(owner.client, "groupLink.create", { conversationId: direct.id }, "invalid_conversation_kind");
  await closeAll(owner.client, member.client, stranger.client);
});
