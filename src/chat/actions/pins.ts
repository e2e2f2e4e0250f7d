/** @module A group's pinned notice: the owner pins a message at the top of the chat, or takes it down. */
import type { Conversation } from "../../protocol/index.js";
import { accessConversation } from "../access.js";
import { type ChatContext, publishEvent } from "../context.js";

/**
 * Pin `seq` as the group's notice (`seq` given) or take the notice down (`null`). The store
 * decides inside the write who may (the owner), where (groups) and what (a message not deleted).
 */
export async function setPinned(
  ctx: ChatContext,
  userId: string,
  conversationId: string,
  seq: number | null,
): Promise<{ conversation: Conversation }> {
  await accessConversation(ctx, userId, conversationId);
  const at = ctx.now().toISOString();
  const written = await ctx.store.setPinned(conversationId, seq === null ? null : { seq, at }, userId, at);
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return { conversation: written.value };
}
