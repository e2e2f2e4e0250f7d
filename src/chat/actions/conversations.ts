/** @module Conversations: create direct and group chats, list, read, rename, add/remove members, leave. */
import type { Conversation, ConversationSummary, MemberState } from "../../protocol/index.js";
import { HaetaeError, hiddenCharacterProblem } from "../../protocol/index.js";
import { accessConversation } from "../access.js";
import { type ChatContext, newId, publishEvent } from "../context.js";
import { refuseSystemAccounts } from "../system-accounts.js";
import { refuseStaffConversationChange } from "./staff-conversation.js";

/** A title is trimmed, must keep something to show, and hides nothing (`hiddenCharacterProblem`). */
function checkTitle(title: string): string {
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
 * to self): asking again returns the same one with `created: false`.
 */
export async function createConversation(
  ctx: ChatContext,
  userId: string,
  input: { kind: "direct" | "group"; memberIds: string[]; title?: string | undefined },
): Promise<{ conversation: Conversation; created: boolean }> {
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
    return { conversation: written.value, created: written.created };
  }
  const memberIds = [userId, ...others];
  if (memberIds.length > ctx.limits.maxGroupMembers) {
    throw new HaetaeError("member_limit_exceeded", `A group has at most ${ctx.limits.maxGroupMembers} members.`);
  }
  await requireUsers(ctx, others);
  const conversation: Conversation = { id: newId(), kind: "group", memberIds, createdAt: now, createdBy: userId };
  if (input.title !== undefined) conversation.title = checkTitle(input.title);
  const written = await ctx.store.createGroup(conversation);
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return { conversation: written.value, created: true };
}

/** My conversations, most recently active first, with last message and unread counts. */
export async function listConversations(ctx: ChatContext, userId: string): Promise<ConversationSummary[]> {
  return ctx.store.listConversations(userId);
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

async function accessGroup(ctx: ChatContext, userId: string, conversationId: string) {
  const access = await accessConversation(ctx, userId, conversationId);
  if (access.conversation.kind !== "group") {
    throw new HaetaeError("invalid_conversation_kind", "Only a group has a title and a member list to change.");
  }
  await refuseStaffConversationChange(ctx, conversationId);
  return access;
}

export async function renameGroup(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  title: string,
): Promise<Conversation> {
  await accessGroup(ctx, userId, conversationId);
  const written = await ctx.store.updateTitle(conversationId, checkTitle(title), userId);
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** Any member may invite; the group may not grow past the member limit. */
export async function addMembers(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  userIds: string[],
): Promise<Conversation> {
  const { conversation } = await accessGroup(ctx, userId, conversationId);
  const newcomers = [...new Set(userIds)].filter((id) => !conversation.memberIds.includes(id));
  if (conversation.memberIds.length + newcomers.length > ctx.limits.maxGroupMembers) {
    throw new HaetaeError("member_limit_exceeded", `A group has at most ${ctx.limits.maxGroupMembers} members.`);
  }
  await refuseSystemAccounts(ctx, userId, newcomers, "group");
  await requireUsers(ctx, newcomers);
  const written = await ctx.store.addMembers(
    conversationId,
    newcomers,
    userId,
    ctx.now().toISOString(),
    ctx.limits.maxGroupMembers,
  );
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** Only the group's owner removes others; anyone may remove themselves (that is leaving). */
export async function removeMember(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  targetId: string,
): Promise<Conversation> {
  const { conversation, member } = await accessGroup(ctx, userId, conversationId);
  if (targetId !== userId && member.role !== "owner") {
    throw new HaetaeError("forbidden", "Only the group's owner may remove members.");
  }
  if (!conversation.memberIds.includes(targetId)) throw new HaetaeError("user_not_found", "That user is not a member.");
  const written = await ctx.store.removeMember(conversationId, targetId, userId);
  // The removed user hears it too, so every device of theirs drops the conversation.
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

export async function leaveConversation(ctx: ChatContext, userId: string, conversationId: string): Promise<void> {
  await removeMember(ctx, userId, conversationId, userId);
}
