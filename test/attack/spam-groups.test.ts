/**
 * Attack: a stranger puts anyone into any number of groups (1,449 groups in 25 s), and
 * `conversation.list` then returns them all in one 526 KB reply. Here a stranger tries again
 * over the real protocol: the target gets invitations, not memberships, capped per hour and
 * expiring; every device of the target sees them; the target accepts, declines, reports and
 * leaves; and a list of over 1,000 conversations comes in pages no larger than the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  Conversation,
  ConversationReport,
  ConversationSummary,
  FeedEvent,
  Invitation,
} from "../../src/protocol/index.js";
import { closeAll, createGroup, expectError, nextEvent, person, settle, syncAll } from "../features/helpers.js";
import { loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";

const PER_HOUR = 25;
let server: TestServer;
/** How far the server's clock is moved ahead (expiry and the hourly window are read from it). */
let clockAheadMs = 0;
beforeAll(async () => {
  server = await startTestServer({
    requestsPerSecond: 100_000,
    requestBurst: 100_000,
    invitationsPerHour: PER_HOUR,
    invitationTtlMs: 2 * 3_600_000,
  });
  server.app.ctx.now = () => new Date(Date.now() + clockAheadMs);
});
afterAll(() => server.stop());

describe("a stranger putting me into groups", () => {
  it("makes invitations, not memberships: 1,449 attempts give at most the hourly cap, and none makes me a member", async () => {
    const me = await person(server, "spamme");
    const spammer = await person(server, "spammer");
    const phone = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, me.username)).token);

    const first = await spammer.client.ok<{ conversation: Conversation; invitations: Invitation[] }>(
      "conversation.create",
      { kind: "group", title: "free coins", memberIds: [me.id] },
    );
    expect(first.conversation.memberIds).toEqual([spammer.id]);
    expect(first.invitations).toMatchObject([
      { inviteeId: me.id, inviterId: spammer.id, status: "pending", title: "free coins" },
    ]);
    // Both of my devices hear the invitation live, and a device that was offline finds it in sync.
    for (const device of [me.client, phone]) {
      const event = await nextEvent(device, "invitation.new");
      expect(event.invitation.id).toBe(first.invitations[0]?.id);
    }
    const later = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, me.username)).token);
    const synced = (await syncAll(later)).events;
    expect(synced.map((e) => e.type)).toEqual(["invitation.new"]);
    await later.close();

    // The flood: 1,448 more attempts, creating groups and adding me to an existing one.
    const existing = await createGroup(spammer.client, [], "back door");
    const invitedIds = new Set(first.invitations.map((i) => i.id));
    const refusals: { code: string; retryAfterMs?: number }[] = [];
    for (let batch = 0; batch < 1448; batch += 50) {
      const replies = await Promise.all(
        Array.from({ length: Math.min(50, 1448 - batch) }, (_, i) =>
          (batch + i) % 10 === 0
            ? spammer.client.request("conversation.addMembers", { conversationId: existing.id, userIds: [me.id] })
            : spammer.client.request("conversation.create", {
                kind: "group",
                title: `spam ${batch + i}`,
                memberIds: [me.id],
              }),
        ),
      );
      for (const reply of replies) {
        if (reply.type === "ok") for (const i of reply.invitations as Invitation[]) invitedIds.add(i.id);
        else refusals.push(reply as unknown as { code: string; retryAfterMs?: number });
      }
    }
    expect(refusals.length).toBeGreaterThan(1000);
    for (const r of refusals) {
      expect(r.code).toBe("rate_limited");
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    }

    // I am in nothing; my pending invitations are at most the cap (a repeat to one group is one invitation).
    const mine = await me.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
    expect(mine.conversations).toEqual([]);
    const pending = (await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations;
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.length).toBeLessThanOrEqual(PER_HOUR);
    // Every invitation any reply named is one of them (a repeat to the back door names the same one).
    expect([...invitedIds].sort()).toEqual(pending.map((i) => i.id).sort());
    // A refused create makes no group either: the spammer has at most the cap's groups, plus the back door.
    const theirs = await spammer.client.ok<{ conversations: unknown[] }>("conversation.list", { limit: 10_000 });
    expect(theirs.conversations.length).toBeLessThanOrEqual(PER_HOUR + 1);
    await settle(me.client);
    expect(me.client.events.filter((e) => e.type === "invitation.new").length).toBe(pending.length);

    // After the hour the spammer may invite again, and invitations past their time expire.
    clockAheadMs = 3 * 3_600_000;
    try {
      expect((await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations).toEqual([]);
      await expectError(me.client, "invitation.accept", { invitationId: pending[0]?.id }, "invitation_expired");
      const fresh = await spammer.client.ok<{ invitations: Invitation[] }>("conversation.create", {
        kind: "group",
        memberIds: [me.id],
      });
      expect(fresh.invitations).toHaveLength(1);
    } finally {
      clockAheadMs = 0;
    }
    await closeAll(me.client, spammer.client, phone);
  }, 120_000);

  it("lets me accept (I join), decline (I do not), and nobody else answer my invitation", async () => {
    const me = await person(server, "invme");
    const stranger = await person(server, "invstr");
    const other = await person(server, "invoth");
    const ask = async (title: string) =>
      (
        await stranger.client.ok<{ invitations: Invitation[] }>("conversation.create", {
          kind: "group",
          title,
          memberIds: [me.id],
        })
      ).invitations[0] as Invitation;
    const yes = await ask("yes");
    const no = await ask("no");
    await expectError(other.client, "invitation.accept", { invitationId: yes.id }, "invitation_not_found");

    const accepted = await me.client.ok<{ invitation: Invitation; conversation: Conversation }>("invitation.accept", {
      invitationId: yes.id,
    });
    expect(accepted.invitation.status).toBe("accepted");
    expect(accepted.conversation.memberIds).toContain(me.id);
    const joined = await nextEvent(stranger.client, "conversation.updated", (e) => e.added.includes(me.id));
    expect(joined.conversationId).toBe(yes.conversationId);
    // Answering again the same way is harmless; the other way is refused.
    await me.client.ok("invitation.accept", { invitationId: yes.id });
    await expectError(me.client, "invitation.decline", { invitationId: yes.id }, "invitation_not_found");

    const declined = await me.client.ok<{ invitation: Invitation }>("invitation.decline", { invitationId: no.id });
    expect(declined.invitation.status).toBe("declined");
    await expectError(me.client, "invitation.accept", { invitationId: no.id }, "invitation_not_found");
    await expectError(me.client, "conversation.get", { conversationId: no.conversationId }, "forbidden");

    const list = await me.client.ok<{ conversations: ConversationSummary[] }>("conversation.list");
    expect(list.conversations.map((c) => c.conversation.id)).toEqual([yes.conversationId]);
    expect((await me.client.ok<{ invitations: Invitation[] }>("invitation.list")).invitations).toEqual([]);
    // Every answer reached my feed, so my other devices drop the invitations too.
    const feed = (await syncAll(me.client)).events.filter((e): e is Extract<FeedEvent, { invitation: Invitation }> =>
      e.type.startsWith("invitation."),
    );
    expect(feed.map((e) => [e.type, e.invitation.status])).toEqual([
      ["invitation.new", "pending"],
      ["invitation.new", "pending"],
      ["invitation.updated", "accepted"],
      ["invitation.updated", "declined"],
    ]);
    await closeAll(me.client, stranger.client, other.client);
  });

  it("adds a contact (who added the inviter) at once, and invites only the others", async () => {
    const owner = await person(server, "mixown");
    const friend = await person(server, "mixfr");
    const stranger = await person(server, "mixst");
    await friend.client.ok("contact.add", { userId: owner.id });
    const reply = await owner.client.ok<{ conversation: Conversation; invitations: Invitation[] }>(
      "conversation.create",
      { kind: "group", memberIds: [friend.id, stranger.id] },
    );
    expect([...reply.conversation.memberIds].sort()).toEqual([owner.id, friend.id].sort());
    expect(reply.invitations.map((i) => i.inviteeId)).toEqual([stranger.id]);
    await closeAll(owner.client, friend.client, stranger.client);
  });
});

describe("getting out of a group", () => {
  it("lets a member report a group and leave it, the owner included, and still report it after leaving", async () => {
    const owner = await person(server, "rptown");
    const member = await person(server, "rptmem");
    const outsider = await person(server, "rptout");
    await member.client.ok("contact.add", { userId: owner.id });
    const group = await createGroup(owner.client, [member.id], "spam room");

    const reported = await member.client.ok<{ report: ConversationReport }>("conversation.report", {
      conversationId: group.id,
      reason: "  spam links  ",
    });
    expect(reported.report).toMatchObject({ conversationId: group.id, reporterId: member.id, reason: "spam links" });
    // A second report of the same group by the same user is the first one, not another row.
    const again = await member.client.ok<{ report: ConversationReport }>("conversation.report", {
      conversationId: group.id,
    });
    expect(again.report.id).toBe(reported.report.id);
    await expectError(outsider.client, "conversation.report", { conversationId: group.id }, "forbidden");
    await expectError(
      outsider.client,
      "conversation.report",
      { conversationId: "no-such-group" },
      "conversation_not_found",
    );

    // The owner leaves: the group goes on, owned by the member.
    await owner.client.ok("conversation.leave", { conversationId: group.id });
    const got = await member.client.ok<{ members: { userId: string; role: string }[] }>("conversation.get", {
      conversationId: group.id,
    });
    expect(got.members).toEqual([expect.objectContaining({ userId: member.id, role: "owner" })]);
    // The last member leaves too, and may still report what they left.
    await member.client.ok("conversation.leave", { conversationId: group.id });
    expect((await member.client.ok<{ conversations: unknown[] }>("conversation.list")).conversations).toEqual([]);
    await owner.client.ok("conversation.report", { conversationId: group.id, reason: "left, then reported" });

    // Staff see the reports through the ops API.
    const staff = await person(server, "rptstaff");
    await server.app.ctx.store.setRole(staff.username, "staff");
    const res = await fetch(`${server.url}/api/v1/ops/reports`, {
      headers: { authorization: `Bearer ${staff.auth.token}` },
    });
    expect(res.status).toBe(200);
    const { reports } = (await res.json()) as { reports: ConversationReport[] };
    expect(
      reports
        .filter((r) => r.conversationId === group.id)
        .map((r) => r.reporterId)
        .sort(),
    ).toEqual([owner.id, member.id].sort());
    const denied = await fetch(`${server.url}/api/v1/ops/reports`, {
      headers: { authorization: `Bearer ${member.auth.token}` },
    });
    expect(denied.status).toBe(403);
    await closeAll(owner.client, member.client, outsider.client, staff.client);
  });

  it("lets an invitee report the group it was invited to without joining", async () => {
    const me = await person(server, "rptinv");
    const stranger = await person(server, "rptinv");
    const { invitations } = await stranger.client.ok<{ invitations: Invitation[] }>("conversation.create", {
      kind: "group",
      memberIds: [me.id],
    });
    const invitation = invitations[0] as Invitation;
    await me.client.ok("invitation.decline", { invitationId: invitation.id });
    const { report } = await me.client.ok<{ report: ConversationReport }>("conversation.report", {
      conversationId: invitation.conversationId,
    });
    expect(report.reporterId).toBe(me.id);
    await closeAll(me.client, stranger.client);
  });
});

describe("conversation.list with over 1,000 conversations", () => {
  it("comes in pages no larger than the limit, each conversation once, newest first", async () => {
    const small = await startTestServer({
      conversationPageSize: 50,
      conversationPageMax: 200,
      requestsPerSecond: 100_000,
      requestBurst: 100_000,
    });
    try {
      const me = await person(small, "many");
      const total = 1010;
      for (let i = 0; i < total; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, total - i) }, (_, k) =>
            me.client.ok("conversation.create", { kind: "group", title: `g${i + k}`, memberIds: [] }),
          ),
        );
      }
      // No limit: the default page; a huge limit: the maximum page, never all of them at once.
      const first = await me.client.ok<{ conversations: ConversationSummary[]; cursor: string; hasMore: boolean }>(
        "conversation.list",
      );
      expect(first.conversations).toHaveLength(50);
      expect(first.hasMore).toBe(true);
      const big = await me.client.ok<{ conversations: unknown[] }>("conversation.list", { limit: 10_000 });
      expect(big.conversations).toHaveLength(200);

      const ids: string[] = [];
      const times: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { conversations: ConversationSummary[]; cursor: string | null; hasMore: boolean } =
          await me.client.ok("conversation.list", { limit: 150, ...(cursor ? { cursor } : {}) });
        expect(page.conversations.length).toBeLessThanOrEqual(150);
        for (const s of page.conversations) {
          ids.push(s.conversation.id);
          times.push(s.lastMessage?.createdAt ?? s.conversation.createdAt);
        }
        cursor = page.cursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(Math.ceil(total / 150));
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expect(times).toEqual([...times].sort().reverse());
      await expectError(me.client, "conversation.list", { cursor: "not-a-cursor" }, "invalid_cursor");
      await me.client.close();
    } finally {
      await small.stop();
    }
  }, 120_000);
});
