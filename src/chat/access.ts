/**
 * @module The access checks: for conversations (G7), every request about a conversation passes
 * here, but `message.send`, whose write makes the same check under its lock (store/sql/message-queries.ts `refuseAppend`);
 * and for another user's presence.
 */

import type { Conversation, MemberState } from "../protocol/index.js";
import { HaetaeError } from "../protocol/index.js";
import type { ChatContext } from "./context.js";

/** What a member may act on: the conversation and their own membership. */
export interface ConversationAccess {
  conversation: Conversation;
  member: MemberState;
}

/**
 * The conversation, when `userId` is an active member of it. A conversation that does not
 * exist is `conversation_not_found`; one the user is not (or no longer) in is `forbidden`.
 */
export async function accessConversation(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
): Promise<ConversationAccess> {
  const conversation = await ctx.store.getConversation(conversationId);
  if (!conversation) throw new HaetaeError("conversation_not_found");
  const member = await ctx.store.getMember(conversationId, userId);
  if (!member) throw new HaetaeError("forbidden", "You are not a member of this conversation.");
  return { conversation, member };
}

/**
 * Refuse with `blocked` an act in a direct conversation whose two members stand behind a block
 * (either way), as `message.send` is refused there: an edit, a reaction or a typing signal in
 * the chat from before the block would still reach the one who blocked.
 */
export async function refuseBlockedDirect(ctx: ChatContext, userId: string, conversation: Conversation): Promise<void> {
  if (conversation.kind !== "direct") return;
  const other = conversation.memberIds.find((id) => id !== userId);
  if (other !== undefined && (await ctx.store.isBlockedEitherWay(userId, other))) {
    throw new HaetaeError("blocked", "A block stands between you and the other member of this chat.");
  }
}

/**
 * Of `userIds`, those whose presence `viewerId` may see: only users who have the viewer among
 * their contacts (added them with `contact.add`), with no block either way. The one whose presence
 * it is decides, as Telegram's "My contacts" does: adding someone shows them one's own presence,
 * never theirs, so adding a stranger gains nothing, and sharing a group shows nothing
 * (docs/decisions.md). One's own presence is always visible. Two queries for any number of users.
 */
export async function presenceVisibleAmong(
  ctx: ChatContext,
  viewerId: string,
  userIds: readonly string[],
): Promise<Set<string>> {
  const others = userIds.filter((id) => id !== viewerId);
  const visible = new Set(userIds.length > others.length ? [viewerId] : []);
  if (others.length === 0) return visible;
  const [listedMe, blocked] = await Promise.all([
    ctx.store.contactOfAmong(viewerId, others),
    ctx.store.blockedEitherWayAmong(viewerId, others),
  ]);
  const cut = new Set(blocked);
  for (const id of listedMe) if (!cut.has(id)) visible.add(id);
  return visible;
}
