/** @module Read receipts, typing and sync: how a member tells what they read and catches up. */
import type { FeedEvent } from "../../protocol/index.js";
import { accessConversation, refuseBlockedDirect } from "../access.js";
import { type ChatContext, publishEvent } from "../context.js";

/** Move my read cursor forward; every member (and my other devices) gets a `receipt` event. */
export async function markRead(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; seq: number },
): Promise<number> {
  await accessConversation(ctx, userId, input.conversationId);
  const written = await ctx.store.markRead(input.conversationId, userId, input.seq, ctx.now().toISOString());
  if (written.event?.type === "receipt") {
    // Level 2 and above: the receipt is stored; its live fan-out is coalesced (G5).
    if (ctx.load.level >= 2) ctx.receipts.offer(written.audience, written.event);
    else await publishEvent(ctx, written.audience, written.event);
  }
  return written.value;
}

/** Tell the other members I am typing; never stored, dropped first under load. */
export async function typing(ctx: ChatContext, userId: string, conversationId: string): Promise<void> {
  const { conversation } = await accessConversation(ctx, userId, conversationId);
  if (ctx.load.level >= 1) return; // the first thing shed under load (G5)
  await refuseBlockedDirect(ctx, userId, conversation);
  const audience = conversation.memberIds.filter((id) => id !== userId);
  await publishEvent(ctx, audience, { type: "typing", conversationId, userId }, true);
}

/**
 * Everything the user missed since the cursor (from the beginning without one), in feed order,
 * one page at a time: call again with the returned cursor while `hasMore` (G4). The cursor is
 * the store's, opaque to clients.
 */
export async function sync(
  ctx: ChatContext,
  userId: string,
  input: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ events: FeedEvent[]; cursor: string; hasMore: boolean }> {
  const limit = Math.min(input.limit ?? ctx.limits.syncPageSize, ctx.limits.syncPageSize);
  return ctx.store.feed(userId, input.cursor, limit);
}
