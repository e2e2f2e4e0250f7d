/** @module Group invite links: an owner or admin makes, lists and revokes them; anyone signed in previews and joins with one. */
import { randomBytes } from "node:crypto";
import type { Conversation, GroupLink, GroupLinkPreview } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import { type ChatContext, newId, publishWritten } from "../context.js";
import { accessGroup } from "./conversations.js";
import { refuseStaffConversationChange } from "./staff-conversation.js";

/**
 * Bytes of randomness in a token: 144 bits (24 base64url characters). Guessing one live token
 * among a million at a thousand tries a second would take ~10^26 years.
 */
const TOKEN_BYTES = 18;

/** A fresh link token: unguessable, and safe in a URL's path or fragment. */
export function newGroupLinkToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * `groupLink.create`: a new link for a group, as its owner or an admin. The staff conversation
 * follows the staff role and takes no links (`forbidden`).
 */
export async function createGroupLink(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; expiresInMs?: number | undefined; maxUses?: number | undefined },
): Promise<GroupLink> {
  await accessGroup(ctx, userId, input.conversationId);
  await refuseStaffConversationChange(ctx, input.conversationId);
  const now = ctx.now();
  const link: GroupLink = {
    id: newId(),
    token: newGroupLinkToken(),
    conversationId: input.conversationId,
    createdBy: userId,
    createdAt: now.toISOString(),
    expiresAt: input.expiresInMs === undefined ? null : new Date(now.getTime() + input.expiresInMs).toISOString(),
    maxUses: input.maxUses ?? null,
    uses: 0,
    revokedAt: null,
  };
  return ctx.store.createGroupLink(link, ctx.limits.groupLinksPerGroup, link.createdAt);
}

/** `groupLink.list`: the group's links, newest first, revoked and expired ones included; owner and admins only. */
export async function listGroupLinks(ctx: ChatContext, userId: string, conversationId: string): Promise<GroupLink[]> {
  await accessGroup(ctx, userId, conversationId);
  return ctx.store.listGroupLinks(conversationId, userId, ctx.limits.conversationPageMax);
}

/** `groupLink.revoke`: the link stops working at once, for everyone; owner and admins only. */
export async function revokeGroupLink(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; linkId: string },
): Promise<GroupLink> {
  await accessGroup(ctx, userId, input.conversationId);
  return ctx.store.revokeGroupLink(input.conversationId, input.linkId, userId, ctx.now().toISOString());
}

/**
 * `groupLink.preview`: what a usable link leads to (the group's title and size), so one
 * decides before joining. Refused as joining would be, so a preview never promises a join the
 * link cannot give.
 */
export async function previewGroupLink(ctx: ChatContext, userId: string, token: string): Promise<GroupLinkPreview> {
  const link = await ctx.store.usableGroupLink(token, ctx.now().toISOString());
  const group = await ctx.store.getConversation(link.conversationId);
  if (!group) throw new HaetaeError("group_link_not_found");
  if (await ctx.store.isBlockedEitherWay(userId, link.createdBy)) {
    throw new HaetaeError("blocked", "A block stands between you and the admin who made this link.");
  }
  return {
    conversationId: group.id,
    ...(group.title !== undefined ? { title: group.title } : {}),
    memberCount: group.memberIds.length,
    member: group.memberIds.includes(userId),
  };
}

/**
 * `groupLink.join`: I become a member by my own act (a `joined` system line, as accepting an
 * invitation). Using a link is the consent an invitation asks for, so no invitation is made.
 */
export async function joinByGroupLink(ctx: ChatContext, userId: string, token: string): Promise<Conversation> {
  const joined = await ctx.store.joinByGroupLink(token, userId, ctx.now().toISOString(), ctx.limits.maxGroupMembers);
  await publishWritten(ctx, joined.conversation);
  return joined.conversation.value;
}
