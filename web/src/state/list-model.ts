/** @module The conversation list: summaries, their order, and how feed events change them. */
import type { ConversationSummary, FeedEvent, Message } from "../../../src/protocol/index.js";

/** Does this message count as an unread mention for `userId`? Not when its sender is one I blocked (as on the server). */
export function mentionsUser(message: Message, userId: string, blocked?: ReadonlySet<string>): boolean {
  if (blocked?.has(message.senderId)) return false;
  return message.senderId !== userId && !message.deleted && (message.mentionsAll || message.mentions.includes(userId));
}

/** Most recently active first: by the last message, or by creation for an empty conversation. */
export function sortSummaries(summaries: Iterable<ConversationSummary>): ConversationSummary[] {
  const activity = (s: ConversationSummary) => s.lastMessage?.createdAt ?? s.conversation.createdAt;
  return [...summaries].sort((a, b) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0));
}

/**
 * Apply a feed event to the list. What can be known from the event alone is applied here; when
 * it cannot (a deletion changes an unread count this client cannot recount), it returns true and
 * the caller fetches the list again.
 */
export function applyToList(
  list: Map<string, ConversationSummary>,
  event: FeedEvent,
  myId: string,
  blocked?: ReadonlySet<string>,
): boolean {
  const summary = list.get(event.conversationId);
  switch (event.type) {
    case "conversation.created":
      if (!summary) {
        list.set(event.conversationId, {
          conversation: event.conversation,
          lastSeq: 0,
          lastMessage: null,
          readSeq: 0,
          unreadCount: 0,
          unreadMentionCount: 0,
        });
      }
      return false;
    case "conversation.updated":
      if (event.removed.includes(myId)) {
        list.delete(event.conversationId);
        return false;
      }
      if (!summary) return true;
      summary.conversation = event.conversation;
      return false;
    case "invitation.new":
    case "invitation.updated":
      // About a group I am not in (yet): the invitations panel shows it (state/invitations.ts).
      return false;
    case "notify.mute":
    case "notify.settings":
      // My notification choices, not the list's (state/notify-prefs.ts).
      return false;
    case "account.updated":
      // About me, not a conversation (state/app-store.ts).
      return false;
    default:
      break;
  }
  if (!summary) return true;
  switch (event.type) {
    case "message.new":
      applyNewMessage(summary, event.message, myId, blocked);
      return false;
    case "message.edited":
    case "message.deleted":
    case "message.reaction":
    case "message.preview":
      if (summary.lastMessage?.seq === event.seq) summary.lastMessage = event.message;
      // An unread message deleted or edited (mentions are parsed again) changes counts only the server knows.
      return (event.type === "message.edited" || event.type === "message.deleted") && event.seq > summary.readSeq;
    case "receipt":
      if (event.userId !== myId || event.readSeq <= summary.readSeq) return false;
      summary.readSeq = event.readSeq;
      if (event.readSeq >= summary.lastSeq) {
        summary.unreadCount = 0;
        summary.unreadMentionCount = 0;
        return false;
      }
      return true;
  }
}

/** A new message (from the feed, or the ack of my own send): the preview, the last seq and my unread counts. */
export function applyNewMessage(
  summary: ConversationSummary,
  message: Message,
  myId: string,
  blocked?: ReadonlySet<string>,
): void {
  if (message.seq <= summary.lastSeq) return;
  summary.lastSeq = message.seq;
  summary.lastMessage = message;
  if (message.senderId === myId) {
    // Sending moves my own read cursor to the message (the server does the same).
    summary.readSeq = message.seq;
    summary.unreadCount = 0;
    summary.unreadMentionCount = 0;
  } else if (message.seq > summary.readSeq) {
    summary.unreadCount += 1;
    if (mentionsUser(message, myId, blocked)) summary.unreadMentionCount += 1;
  }
}
