/**
 * @module Invitations: who joins a group at once and who is asked first; list, accept and
 * decline invitations; report a group.
 */
import type { Conversation, ConversationReport, Invitation } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import type { InviteInput, Written } from "../../store/store.js";
import { type ChatContext, newId, publishEvent, publishWritten } from "../context.js";

const HOUR_MS = 3_600_000;

/** Who a group change makes members at once, and the invitations it makes for the rest. */
export interface MembershipPlan {
  members: string[];
  invite(conversationId: string, at: string): InviteInput | undefined;
}

/**
 * Split the people `inviterId` wants in a group. A block either way refuses the whole request
 * with `blocked` (as a direct chat is refused): nobody who blocked you can be put in a group by
 * you, and no partial group is made. Those who added the inviter as a contact join at once;
 * everyone else is asked first (an invitation). The server itself (`byServer`, staff chat by
 * role) adds without asking.
 */
export async function planMembers(
  ctx: ChatContext,
  inviterId: string,
  userIds: readonly string[],
  byServer = false,
): Promise<MembershipPlan> {
  const wanted = [...new Set(userIds)].filter((id) => id !== inviterId);
  if (byServer || wanted.length === 0) return { members: wanted, invite: () => undefined };
  if ((await ctx.store.blockedEitherWayAmong(inviterId, wanted)).length > 0) {
    throw new HaetaeError("blocked", "Someone you asked for does not accept you in groups, or you blocked them.");
  }
  const contacts = new Set(await ctx.store.contactOfAmong(inviterId, wanted));
  const members = wanted.filter((id) => contacts.has(id));
  const asked = wanted.filter((id) => !contacts.has(id));
  return {
    members,
    invite: (conversationId, at) =>
      asked.length === 0
        ? undefined
        : {
            invitations: asked.map((inviteeId) => ({
              id: newId(),
              conversationId,
              inviterId,
              inviteeId,
              status: "pending" as const,
              createdAt: at,
              expiresAt: new Date(Date.parse(at) + ctx.limits.invitationTtlMs).toISOString(),
            })),
            perWindow: ctx.limits.invitationsPerHour,
            windowMs: HOUR_MS,
          },
  };
}

/** Publish each new invitation to its invitee's devices; return what the inviter is told. */
export async function announceInvitations(
  ctx: ChatContext,
  written: readonly Written<Invitation>[],
): Promise<Invitation[]> {
  for (const w of written) if (w.event) await publishEvent(ctx, w.audience, w.event);
  return written.map((w) => w.value);
}

/** My pending invitations, newest first (none from a user either side blocked). */
export async function listInvitations(ctx: ChatContext, userId: string): Promise<Invitation[]> {
  return ctx.store.listInvitations(userId, ctx.now().toISOString(), ctx.limits.conversationPageMax);
}

/** Accept an invitation: I become a member of the group. Accepting twice returns the same. */
export async function acceptInvitation(
  ctx: ChatContext,
  userId: string,
  invitationId: string,
): Promise<{ invitation: Invitation; conversation: Conversation }> {
  const answered = await ctx.store.answerInvitation(
    invitationId,
    userId,
    true,
    ctx.now().toISOString(),
    ctx.limits.maxGroupMembers,
  );
  if (answered.conversation) await publishWritten(ctx, answered.conversation);
  if (answered.invitation.event) await publishEvent(ctx, answered.invitation.audience, answered.invitation.event);
  const conversation =
    answered.conversation?.value ?? (await ctx.store.getConversation(answered.invitation.value.conversationId));
  // Accepted before, and left or removed since: the group is no longer theirs to see (G7).
  if (!conversation?.memberIds.includes(userId)) throw new HaetaeError("invitation_not_found");
  return { invitation: answered.invitation.value, conversation };
}

/** Decline an invitation; the inviter is not told. Declining twice returns the same. */
export async function declineInvitation(ctx: ChatContext, userId: string, invitationId: string): Promise<Invitation> {
  const answered = await ctx.store.answerInvitation(
    invitationId,
    userId,
    false,
    ctx.now().toISOString(),
    ctx.limits.maxGroupMembers,
  );
  if (answered.invitation.event) await publishEvent(ctx, answered.invitation.audience, answered.invitation.event);
  return answered.invitation.value;
}

/**
 * Report a group to staff. Anyone who is or was in it, or was invited to it, may (so one can
 * leave first, or decline, and still report); anyone else is refused as a non-member is (G7).
 */
export async function reportConversation(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; reason?: string | undefined },
): Promise<ConversationReport> {
  if (!(await ctx.store.hasKnownConversation(userId, input.conversationId))) {
    // The same answers as the access check (chat/access.ts): it exists or not, and it is not yours.
    if (!(await ctx.store.getConversation(input.conversationId))) throw new HaetaeError("conversation_not_found");
    throw new HaetaeError("forbidden", "You were never in or invited to this conversation.");
  }
  const report: ConversationReport = {
    id: newId(),
    conversationId: input.conversationId,
    reporterId: userId,
    createdAt: ctx.now().toISOString(),
  };
  const reason = input.reason?.trim();
  if (reason) report.reason = reason;
  return ctx.store.addReport(report);
}
