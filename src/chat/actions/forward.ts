/** @module Forwarding: a copy of a message, its text and its files, sent into other chats as the forwarder's own. */
import { randomUUID } from "node:crypto";
import type { Message } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import { accessConversation, refuseBlockedDirect } from "../access.js";
import type { ChatContext } from "../context.js";
import { sendMessage } from "./messages.js";

/**
 * Forward message `seq` of `fromConversationId` into each of `toConversationIds`, in order.
 * Every target is checked first (member, no block), so a forward refused for one target sends
 * none; each copy is then an ordinary send, marked `forwarded` (G1, G2: with `clientMsgId`, the copy's own is
 * `<clientMsgId>:<target>`, so a retried forward returns the same copies).
 */
export async function forwardMessage(
  ctx: ChatContext,
  userId: string,
  input: {
    fromConversationId: string;
    seq: number;
    toConversationIds: readonly string[];
    clientMsgId?: string | undefined;
  },
): Promise<{ messages: Message[] }> {
  if (new Set(input.toConversationIds).size !== input.toConversationIds.length) {
    throw new HaetaeError("invalid_request", "toConversationIds: a conversation is named twice.");
  }
  await accessConversation(ctx, userId, input.fromConversationId);
  const original = await ctx.store.getMessage(input.fromConversationId, input.seq);
  if (!original) throw new HaetaeError("message_not_found");
  if (original.deleted) throw new HaetaeError("message_deleted");
  for (const target of input.toConversationIds) {
    const { conversation } = await accessConversation(ctx, userId, target);
    await refuseBlockedDirect(ctx, userId, conversation);
  }
  const fileIds = original.files?.map((f) => f.id) ?? [];
  const batch = input.clientMsgId ?? randomUUID();
  const messages: Message[] = [];
  for (const target of input.toConversationIds) {
    const sent = await sendMessage(ctx, userId, {
      conversationId: target,
      clientMsgId: `${batch}:${target}`,
      text: original.text,
      forwarded: true,
      ...(fileIds.length > 0 ? { fileIds } : {}),
    });
    messages.push(sent.message);
  }
  return { messages };
}
