/** @module Messages: send (exactly once), edit, delete for everyone, reactions, history. */
import type { FileInfo, Message } from "../../protocol/index.js";
import { HaetaeError, parseMentions } from "../../protocol/index.js";
import type { HistoryWindow } from "../../store/store.js";
import { accessConversation, refuseBlockedDirect } from "../access.js";
import { type ChatContext, newMessageId, publishEvent } from "../context.js";
import { firstLink } from "../link-preview/first-link.js";
import { filesToAttach } from "./files.js";

/** A character that shows something: not whitespace, a zero-width space or joiner, or the BOM. */
const VISIBLE = /[^\p{White_Space}\u200b-\u200d\u2060\ufeff]/u;

/** Text must hold something visible (unless files come with it) and stay within the limit (counted in code points). */
function checkText(ctx: ChatContext, text: string, mayBeEmpty = false): void {
  if (!VISIBLE.test(text)) {
    if (mayBeEmpty && text.trim() === "") return;
    throw new HaetaeError("invalid_request", "text: must not be empty.");
  }
  // A code point takes one or two UTF-16 units: only a text longer in units can be over the limit.
  if (text.length <= ctx.limits.maxTextLength) return;
  let length = 0;
  for (const _ of text) length++;
  if (length > ctx.limits.maxTextLength) {
    throw new HaetaeError("text_too_long", `text: ${length} characters; the limit is ${ctx.limits.maxTextLength}.`);
  }
}

/** Resolve `@username` mentions to members (the sender, and members who blocked the sender, excluded). */
async function mentionsAmong(
  ctx: ChatContext,
  memberIds: readonly string[],
  senderId: string,
  text: string,
): Promise<{ mentions: string[]; mentionsAll: boolean }> {
  const parsed = parseMentions(text);
  if (parsed.usernames.length === 0) return { mentions: [], mentionsAll: parsed.all };
  const members = await ctx.store.getUsers([...memberIds]);
  const byName = new Map(members.map((u) => [u.username, u.id]));
  const mentions: string[] = [];
  for (const name of parsed.usernames) {
    const id = byName.get(name);
    if (id !== undefined && id !== senderId && !mentions.includes(id)) mentions.push(id);
  }
  // A block stops this way of reaching someone too: whoever blocked the sender is not mentioned
  // (and the store never counts the sender's @all as a mention of them).
  const blockers = mentions.length > 0 ? new Set(await ctx.store.blockersAmong(senderId, mentions)) : new Set();
  return { mentions: mentions.filter((id) => !blockers.has(id)), mentionsAll: parsed.all };
}

/** Mentions of a new message: members are read only when the text names someone. */
async function mentionsOfNew(
  ctx: ChatContext,
  conversationId: string,
  senderId: string,
  text: string,
): Promise<{ mentions: string[]; mentionsAll: boolean }> {
  if (!text.includes("@")) return { mentions: [], mentionsAll: false };
  const parsed = parseMentions(text);
  if (parsed.usernames.length === 0) return { mentions: [], mentionsAll: parsed.all };
  const conversation = await ctx.store.getConversation(conversationId);
  return mentionsAmong(ctx, conversation?.memberIds ?? [], senderId, text);
}

/**
 * Send a message: stored first, acknowledged and published after the commit (G1). A retry with
 * the same `clientMsgId` returns the original message, same id and seq, and stores nothing (G2):
 * the check that decides is the one inside the write, so a retry racing its original (both
 * queued before either committed) is still answered as a duplicate. The write also decides
 * everything that can change while the send waits: the conversation exists, the sender is a
 * member (G7), no block stands in a direct conversation, the replied-to seq exists — so a send
 * reads nothing before its write but the members of a text that mentions someone. `queued` is
 * called as soon as the write is in the store's queue, whose order gives the seqs.
 */
export async function sendMessage(
  ctx: ChatContext,
  senderId: string,
  input: {
    conversationId: string;
    clientMsgId: string;
    text?: string | undefined;
    replyToSeq?: number | undefined;
    fileIds?: readonly string[] | undefined;
    /** A copy made by `message.forward`. */
    forwarded?: boolean | undefined;
  },
  queued: () => void = () => undefined,
): Promise<{ message: Message; duplicate: boolean }> {
  let mentioned: { mentions: string[]; mentionsAll: boolean };
  const text = input.text ?? "";
  let files: FileInfo[] = [];
  try {
    const fileIds = input.fileIds ?? [];
    checkText(ctx, text, fileIds.length > 0);
    mentioned = await mentionsOfNew(ctx, input.conversationId, senderId, text);
    if (fileIds.length > 0) files = await filesToAttach(ctx, senderId, fileIds);
  } catch (error) {
    // A retry of a message stored before a limit changed is still answered with the original,
    // but only to a member: a removed sender must not read the message as it is now (G7).
    const earlier = await ctx.store.findByClientMsgId(senderId, input.clientMsgId);
    if (earlier?.conversationId === input.conversationId) {
      if (!(await ctx.store.getMember(input.conversationId, senderId))) {
        throw new HaetaeError("forbidden", "You are not a member of this conversation.");
      }
      return { message: earlier, duplicate: true };
    }
    throw error;
  }
  const appended = ctx.store.appendMessage({
    id: newMessageId(),
    conversationId: input.conversationId,
    senderId,
    clientMsgId: input.clientMsgId,
    text,
    createdAt: ctx.now().toISOString(),
    mentions: mentioned.mentions,
    mentionsAll: mentioned.mentionsAll,
    ...(files.length > 0 ? { files } : {}),
    ...(input.replyToSeq !== undefined ? { replyToSeq: input.replyToSeq } : {}),
    ...(input.forwarded ? { forwarded: true } : {}),
  });
  queued();
  const written = await appended;
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  // After the commit and never awaited: a link's preview arrives later as `message.preview`.
  if (!written.duplicate) ctx.previews?.offer(written.value);
  if (!written.duplicate) ctx.notifier?.offer(written.value, written.audience);
  return { message: written.value, duplicate: written.duplicate };
}

async function ownMessage(ctx: ChatContext, userId: string, conversationId: string, seq: number) {
  const { conversation } = await accessConversation(ctx, userId, conversationId);
  const message = await ctx.store.getMessage(conversationId, seq);
  if (!message) throw new HaetaeError("message_not_found");
  // A system line records a group change: nobody's to edit or delete, its actor's included.
  if (message.senderId !== userId || message.system) throw new HaetaeError("not_message_owner");
  return { conversation, message };
}

/** Edit my own message; mentions are parsed again from the new text. */
export async function editMessage(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; seq: number; text: string },
): Promise<Message> {
  const { conversation, message } = await ownMessage(ctx, userId, input.conversationId, input.seq);
  if (message.deleted) throw new HaetaeError("message_deleted");
  await refuseBlockedDirect(ctx, userId, conversation);
  checkText(ctx, input.text);
  if (input.text === message.text) return message;
  const { mentions, mentionsAll } = await mentionsAmong(ctx, conversation.memberIds, userId, input.text);
  // A preview belongs to its link: an edit that changes the first link drops it (in the edit's
  // own write) and the new link is fetched; an edit that keeps the link keeps the preview.
  const linkChanged = firstLink(message.text) !== firstLink(input.text);
  const written = await ctx.store.editMessage(
    input.conversationId,
    input.seq,
    input.text,
    mentions,
    mentionsAll,
    ctx.now().toISOString(),
    userId,
    linkChanged,
  );
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  if (!written.value.preview) ctx.previews?.offer(written.value);
  return written.value;
}

/** Delete my message for everyone within the window; a tombstone keeps its seq. Deleting twice is harmless. */
export async function deleteMessage(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; seq: number },
): Promise<Message> {
  const { message } = await ownMessage(ctx, userId, input.conversationId, input.seq);
  if (message.deleted) return message;
  const age = ctx.now().getTime() - Date.parse(message.createdAt);
  if (age > ctx.limits.deleteWindowMs) {
    throw new HaetaeError(
      "delete_window_expired",
      `Messages can be deleted for everyone within ${ctx.limits.deleteWindowMs} ms.`,
    );
  }
  const written = await ctx.store.deleteMessage(input.conversationId, input.seq, ctx.now().toISOString(), userId);
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** Made at the first reaction, not at start: the segmenter loads ICU data a node idling never needs. */
let graphemes: Intl.Segmenter | undefined;
const KEYCAP = /^[0-9#*]\ufe0f?\u20e3$/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const PICTOGRAPH =
  /^(?=.*\p{Extended_Pictographic})(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Emoji_Component}|\u200d|\ufe0f)+$/u;

/** Exactly one emoji: one grapheme that is a pictograph (with modifiers and ZWJ joins), a flag or a keycap. */
export function isSingleEmoji(value: string): boolean {
  let count = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  for (const _ of graphemes.segment(value)) if (++count > 1) return false;
  return count === 1 && (KEYCAP.test(value) || FLAG.test(value) || PICTOGRAPH.test(value));
}

/** Add or remove my reaction; adding the same emoji twice counts once. */
export async function react(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; seq: number; emoji: string },
  add: boolean,
): Promise<Message> {
  const { conversation } = await accessConversation(ctx, userId, input.conversationId);
  await refuseBlockedDirect(ctx, userId, conversation);
  if (!isSingleEmoji(input.emoji)) throw new HaetaeError("invalid_request", "emoji: must be a single emoji.");
  const message = await ctx.store.getMessage(input.conversationId, input.seq);
  if (!message) throw new HaetaeError("message_not_found");
  if (message.deleted) throw new HaetaeError("message_deleted");
  if (message.system) throw new HaetaeError("invalid_request", "seq: a system line takes no reactions.");
  const written = await ctx.store.setReaction(
    input.conversationId,
    input.seq,
    userId,
    input.emoji,
    add,
    ctx.now().toISOString(),
  );
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** A page of history, with every member's read cursor so the client can count who has not read each message. */
export async function history(
  ctx: ChatContext,
  userId: string,
  input: {
    conversationId: string;
    beforeSeq?: number | undefined;
    afterSeq?: number | undefined;
    aroundSeq?: number | undefined;
    limit?: number | undefined;
  },
): Promise<HistoryWindow & { readSeqs: Record<string, number> }> {
  await accessConversation(ctx, userId, input.conversationId);
  if (ctx.load.level >= 3) {
    throw new HaetaeError("overloaded", "History reads are deferred while the server sheds load.", 2000);
  }
  const anchors = [input.beforeSeq, input.afterSeq, input.aroundSeq].filter((v) => v !== undefined);
  if (anchors.length > 1) {
    throw new HaetaeError("invalid_request", "beforeSeq, afterSeq, aroundSeq: give one of them at most.");
  }
  const limit = Math.min(input.limit ?? ctx.limits.historyPageSize, ctx.limits.historyPageSize);
  const page = await ctx.store.history(input.conversationId, {
    limit,
    ...(input.beforeSeq !== undefined ? { beforeSeq: input.beforeSeq } : {}),
    ...(input.afterSeq !== undefined ? { afterSeq: input.afterSeq } : {}),
    ...(input.aroundSeq !== undefined ? { aroundSeq: input.aroundSeq } : {}),
  });
  const members = await ctx.store.getMembers(input.conversationId);
  return { ...page, readSeqs: Object.fromEntries(members.map((m) => [m.userId, m.readSeq])) };
}
