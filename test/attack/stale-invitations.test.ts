/**
 * Attack: an invitation outlives the reason it was given. A member invites strangers and is then
 * removed by the owner (or leaves): the strangers still join by accepting. And a member removed
 * by the owner comes straight back by accepting an invitation made before the removal.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation, Invitation } from "../../src/protocol/index.js";
import { befriend, closeAll, createGroup, expectError, person } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 100_000, requestBurst: 100_000 });
});
afterAll(() => server.stop());

describe("an invitation whose inviter or invitee was removed", () => {
  it("cannot be accepted once its inviter has been removed from the group or has left it", async () => {
    const owner = await person(server, "stowner");
    const spammer = await person(server, "stspam");
    const quitter = await person(server, "stquit");
    const stranger = await person(server, "ststrange");
    await befriend(owner, spammer, quitter);
    const group = await createGroup(owner.client, [spammer.id, quitter.id], "book club");
    const invitedBySpammer = await spammer.client.ok<{ invitations: Invitation[] }>("conversation.addMembers", {
      conversationId: group.id,
      userIds: [stranger.id],
    });
    const fromSpammer = invitedBySpammer.invitations[0] as Invitation;
    await owner.client.ok("conversation.removeMember", { conversationId: group.id, userId: spammer.id });
    await expectError(stranger.client, "invitation.accept", { invitationId: fromSpammer.id }, "invitation_expired");

    const other = await person(server, "ststrange2");
    const invitedByQuitter = await quitter.client.ok<{ invitations: Invitation[] }>("conversation.addMembers", {
      conversationId: group.id,
      userIds: [other.id],
    });
    await quitter.client.ok("conversation.leave", { conversationId: group.id });
    await expectError(
      other.client,
      "invitation.accept",
      { invitationId: (invitedByQuitter.invitations[0] as Invitation).id },
      "invitation_expired",
    );
    const listed = await other.client.ok<{ invitations: Invitation[] }>("invitation.list", {});
    expect(listed.invitations).toEqual([]);
    const { conversation } = await owner.client.ok<{ conversation: Conversation }>("conversation.get", {
      conversationId: group.id,
    });
    expect(conversation.memberIds).toEqual([owner.id]);
    await closeAll(owner.client, spammer.client, quitter.client, stranger.client, other.client);
  });

  it("cannot bring back a member the owner removed", async () => {
    const owner = await person(server, "stowner2");
    const friend = await person(server, "stfriend");
    const troll = await person(server, "sttroll");
    await befriend(owner, friend);
    const group = await createGroup(owner.client, [friend.id], "quiet room");
    // The friend invites the troll (not a contact of theirs): a pending invitation.
    const invited = await friend.client.ok<{ invitations: Invitation[] }>("conversation.addMembers", {
      conversationId: group.id,
      userIds: [troll.id],
    });
    const invitation = invited.invitations[0] as Invitation;
    // The troll gets in directly instead (it added the owner as a contact), then is removed.
    await befriend(owner, troll);
    await owner.client.ok("conversation.addMembers", { conversationId: group.id, userIds: [troll.id] });
    await owner.client.ok("conversation.removeMember", { conversationId: group.id, userId: troll.id });
    await expectError(troll.client, "invitation.accept", { invitationId: invitation.id }, "invitation_expired");
    const { conversation } = await owner.client.ok<{ conversation: Conversation }>("conversation.get", {
      conversationId: group.id,
    });
    expect(conversation.memberIds).not.toContain(troll.id);
    await closeAll(owner.client, friend.client, troll.client);
  });
});
