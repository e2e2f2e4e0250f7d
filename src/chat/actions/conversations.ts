/** @module Conversations: create direct and group chats, list, read, rename, add/remove members, leave. */
import type { Conversation, ConversationSummary, Invitation, MemberState } from "../../protocol/index.js";
import { HaetaeError, hiddenCharacterProblem } from "../../protocol/index.js";
import { accessConversation } from "../access.js";
import { type ChatContext, newId, publishEvent, publishWritten } from "../context.js";
import { refuseSystemAccounts } from "../system-accounts.js";
import { announceInvitations, planMembers } from "./invitations.js";
import { refuseStaffConversationChange } from "./staff-conversation.js";

/** A title is trimmed, must keep something to show, and hides nothing (`hiddenCharacterProblem`). */
export function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0) throw new HaetaeError("invalid_request", "title: must not be blank.");
  // Nothing invisible or direction-changing: a title is shown beside names and messages.
  const problem = hiddenCharacterProblem(trimmed);
  if (problem) throw new HaetaeError("invalid_request", `title: ${problem}`);
  return trimmed;
}

async function requireUsers(ctx: ChatContext, userIds: readonly string[]): Promise<void> {
  const found = await ctx.store.getUsers(userIds);
  if (found.length !== new Set(userIds).size) {
    const known = new Set(found.map((u) => u.id));
    const missing = userIds.find((id) => !known.has(id));
    throw new HaetaeError("user_not_found", `There is no user ${missing}.`);
  }
}

/**
 * Create a conversation. A direct conversation exists once per pair (a user alone makes a memo
 * to self): asking again returns the same one with `created: false`. A group takes at once those
 * who added the creator as a contact and invites the rest (chat/actions/invitations.ts
 * `planMembers`); `byServer` is the server's own group, whose members follow a role.
 */
export async function createConversation(
  ctx: ChatContext,
  userId: string,
  input: { kind: "direct" | "group"; memberIds: string[]; title?: string | undefined },
  options: { byServer?: boolean } = {},
): Promise<{ conversation: Conversation; created: boolean; invitations: Invitation[] }> {
  const others = [...new Set(input.memberIds)].filter((id) => id !== userId);
  await refuseSystemAccounts(ctx, userId, others, input.kind);
  const now = ctx.now().toISOString();
  if (input.kind === "direct") {
    if (others.length > 1)
      throw new HaetaeError("invalid_request", "memberIds: a direct conversation has one other member.");
    const [other] = others;
    if (other !== undefined) {
      await requireUsers(ctx, [other]);
      if (await ctx.store.isBlockedEitherWay(userId, other)) throw new HaetaeError("blocked");
    }
    const memberIds = other === undefined ? [userId] : [userId, other];
    const written = await ctx.store.getOrCreateDirect({
      id: newId(),
      kind: "direct",
      memberIds,
      createdAt: now,
      createdBy: userId,
    });
    if (written.event) await publishEvent(ctx, written.audience, written.event);
    return { conversation: written.value, created: written.created, invitations: [] };
  }
  // Those invited count too: a group is not offered to more people than it can hold.
  if (1 + others.length > ctx.limits.maxGroupMembers) {
    throw new HaetaeError("member_limit_exceeded", `A group has at most ${ctx.limits.maxGroupMembers} members.`);
  }
  await requireUsers(ctx, others);
  const plan = await planMembers(ctx, userId, others, options.byServer);
  const id = newId();
  const conversation: Conversation = {
    id,
    kind: "group",
    memberIds: [userId, ...plan.members],
    createdAt: now,
    createdBy: userId,
  };
  if (input.title !== undefined) conversation.title = checkTitle(input.title);
  const written = await ctx.store.createGroup(conversation, plan.invite(id, now));
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return {
    conversation: written.value,
    created: true,
    invitations: await announceInvitations(ctx, written.invitations),
  };
}

/**
 * A page of my conversations, most recently active first, with last message and unread counts. The cursor names the last conversation of the
 * page by its place in the order (its activity time and id), not by an offset, so a page never
 * repeats one; a conversation that becomes active while a client pages moves above the cursor
 * and reaches the client as its event instead.
 */
export async function listConversationPage(
  ctx: ChatContext,
  userId: string,
  input: { limit?: number | undefined; cursor?: string | undefined },
): Promise<{ conversations: ConversationSummary[]; cursor: string | null; hasMore: boolean }> {
  const limit = Math.min(input.limit ?? ctx.limits.conversationPageSize, ctx.limits.conversationPageMax);
  const after = input.cursor === undefined ? undefined : decodeListCursor(input.cursor);
  const page = await ctx.store.listConversationPage(userId, { limit, ...(after ? { after } : {}) });
  const cursor = page.hasMore && page.last ? encodeListCursor(page.last) : null;
  return { conversations: page.conversations, cursor, hasMore: page.hasMore };
}

function encodeListCursor(last: { activityAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([last.activityAt, last.id])).toString("base64url");
}

function decodeListCursor(cursor: string): { activityAt: string; id: string } {
  try {
    const [activityAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof activityAt === "string" && typeof id === "string") return { activityAt, id };
  } catch {
    // Falls through to the error below.
  }
  throw new HaetaeError("invalid_cursor", "cursor: not one conversation.list issued.");
}

/** One conversation with every member's read cursor (from which the "1" beside a message is counted). */
export async function getConversation(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
): Promise<{ conversation: Conversation; members: MemberState[]; lastSeq: number }> {
  const { conversation } = await accessConversation(ctx, userId, conversationId);
  const [members, lastSeq] = await Promise.all([
    ctx.store.getMembers(conversationId),
    ctx.store.lastSeq(conversationId),
  ]);
  return { conversation, members, lastSeq };
}

export async function accessGroup(ctx: ChatContext, userId: string, conversationId: string) {
  const access = await accessConversation(ctx, userId, conversationId);
  if (access.conversation.kind !== "group") {
    throw new HaetaeError("invalid_conversation_kind", "Only a group has a title and a member list to change.");
  }
  await refuseStaffConversationChange(ctx, conversationId);
  return access;
}

/**
 * Any member may add people; the group may not grow past the member limit. Those who added the
 * adder as a contact join at once; the rest are invited (as in `createConversation`).
 */
export async function addMembers(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  userIds: string[],
  options: { byServer?: boolean } = {},
): Promise<{ conversation: Conversation; invitations: Invitation[] }> {
  const { conversation } = await accessGroup(ctx, userId, conversationId);
  const newcomers = [...new Set(userIds)].filter((id) => !conversation.memberIds.includes(id));
  if (conversation.memberIds.length + newcomers.length > ctx.limits.maxGroupMembers) {
    throw new HaetaeError("member_limit_exceeded", `A group has at most ${ctx.limits.maxGroupMembers} members.`);
  }
  await refuseSystemAccounts(ctx, userId, newcomers, "group");
  await requireUsers(ctx, newcomers);
  const plan = await planMembers(ctx, userId, newcomers, options.byServer);
  const now = ctx.now().toISOString();
  const written = await ctx.store.addMembers(
    conversationId,
    plan.members,
    userId,
    now,
    ctx.limits.maxGroupMembers,
    plan.invite(conversationId, now),
  );
  await publishWritten(ctx, written);
  return { conversation: written.value, invitations: await announceInvitations(ctx, written.invitations) };
}

/**
 * The owner removes anyone, an admin removes members (not the owner, not another admin);
 * anyone may remove themselves (that is leaving).
 */
export async function removeMember(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  targetId: string,
): Promise<Conversation> {
  const { conversation, member } = await accessGroup(ctx, userId, conversationId);
  if (!conversation.memberIds.includes(targetId)) throw new HaetaeError("user_not_found", "That user is not a member.");
  if (targetId !== userId) {
    const target = await ctx.store.getMember(conversationId, targetId);
    const mayRemove =
      member.role === "owner" || (member.role === "admin" && target !== null && target.role === "member");
    if (!mayRemove) throw new HaetaeError("forbidden", "Only the owner, or an admin for members, may remove someone.");
  }
  const written = await ctx.store.removeMember(conversationId, targetId, userId, ctx.now().toISOString());
  // The removed user hears it too, so every device of theirs drops the conversation.
  await publishWritten(ctx, written);
  return written.value;
}

export async function leaveConversation(ctx: ChatContext, userId: string, conversationId: string): Promise<void> {
  await removeMember(ctx, userId, conversationId, userId);
}
