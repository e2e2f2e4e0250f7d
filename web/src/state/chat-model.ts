/** @module One conversation's loaded window of messages and members' read cursors, and how feed events change them. */
import type { FeedEvent, Message } from "../../../src/protocol/index.js";

/** The messages of one conversation the app has loaded, oldest first, one per seq. */
export interface ChatView {
  conversationId: string;
  messages: Message[];
  /** Every member's read cursor: what the "1" beside a message is computed from. */
  readSeqs: Record<string, number>;
  /** True while older messages may exist before the first loaded one. */
  hasMoreBefore: boolean;
  /**
   * True when the window ends before the newest message (opened at the first unread, or jumped
   * to an old message): new messages are not added until the reader reaches the end.
   */
  hasMoreAfter: boolean;
  loadingNewer: boolean;
  /** The first message I had not read when the chat was opened: the "unread messages" line goes above it. */
  unreadFrom?: number | undefined;
  /** Where the list should go next (the unread line, a quoted or searched message); `n` tells repeats apart. */
  target?: { seq: number; n: number; highlight: boolean } | undefined;
  /** "cached": shown from the offline snapshot until the server answers. */
  status: "loading" | "cached" | "ready";
  loadingOlder: boolean;
  /** Events that came while the first page was loading; applied on top of it. */
  buffered: FeedEvent[];
}

/** A view with nothing loaded yet. */
export function emptyView(conversationId: string): ChatView {
  return {
    conversationId,
    messages: [],
    readSeqs: {},
    hasMoreBefore: false,
    hasMoreAfter: false,
    loadingNewer: false,
    status: "loading",
    loadingOlder: false,
    buffered: [],
  };
}

/** The index of `seq` in the sorted list, or where it would be inserted. */
function indexOfSeq(messages: readonly Message[], seq: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((messages[mid] as Message).seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Put `message` in place by seq, replacing the copy already there (an edit, a reaction, a tombstone). */
export function upsertMessage(view: ChatView, message: Message): void {
  const at = indexOfSeq(view.messages, message.seq);
  if (view.messages[at]?.seq === message.seq) view.messages[at] = message;
  else view.messages.splice(at, 0, message);
}

/** Whether `seq` falls inside the loaded window (a change to a message outside it is not shown). */
export function inWindow(view: ChatView, seq: number): boolean {
  const first = view.messages[0]?.seq ?? 0;
  if (!view.hasMoreBefore && seq < first) return true;
  if (!view.hasMoreAfter) return seq >= first || view.messages.length === 0;
  return seq >= first && seq <= lastLoadedSeq(view);
}

/** The highest loaded seq, or 0. */
export function lastLoadedSeq(view: ChatView): number {
  return view.messages[view.messages.length - 1]?.seq ?? 0;
}

/** The loaded message with this seq. */
export function findMessage(view: ChatView, seq: number): Message | undefined {
  const message = view.messages[indexOfSeq(view.messages, seq)];
  return message?.seq === seq ? message : undefined;
}

/**
 * Apply a feed event of this conversation. Events carry the whole message after the change, so
 * applying one twice, or after a page that already had it, changes nothing.
 */
export function applyToView(view: ChatView, event: FeedEvent): void {
  // While a page is on its way, events wait and apply on top of it (so none falls between the two).
  if (view.status === "loading" || view.loadingNewer) {
    view.buffered.push(event);
    return;
  }
  switch (event.type) {
    case "message.new":
    case "message.edited":
    case "message.deleted":
    case "message.reaction":
    case "message.preview":
      if (inWindow(view, event.message.seq)) upsertMessage(view, event.message);
      // A system line moves nobody's read cursor (the server's rule).
      if (event.type === "message.new" && !event.message.system)
        raise(view.readSeqs, event.message.senderId, event.seq);
      break;
    case "receipt":
      raise(view.readSeqs, event.userId, event.readSeq);
      break;
    case "conversation.updated":
      // A new member starts caught up (the server sets their cursor to the last seq).
      for (const userId of event.added)
        view.readSeqs[userId] = Math.max(view.readSeqs[userId] ?? 0, lastLoadedSeq(view));
      for (const userId of event.removed) delete view.readSeqs[userId];
      break;
    case "conversation.created":
      break;
  }
}

/** A sender has read their own message: the server moves their cursor with the send. */
function raise(readSeqs: Record<string, number>, userId: string, seq: number): void {
  readSeqs[userId] = Math.max(readSeqs[userId] ?? 0, seq);
}

/**
 * A window arrived (the newest page, or the pages around one message): it replaces whatever was
 * shown, then the events that came meanwhile apply.
 */
export function loadNewest(
  view: ChatView,
  page: { messages: Message[]; hasMore: boolean; readSeqs: Record<string, number>; hasMoreAfter?: boolean },
): void {
  const buffered = view.buffered;
  view.messages = [...page.messages];
  view.readSeqs = { ...page.readSeqs };
  view.hasMoreBefore = page.hasMore;
  view.hasMoreAfter = page.hasMoreAfter ?? false;
  view.status = "ready";
  view.buffered = [];
  for (const event of buffered) applyToView(view, event);
}

/** An older page arrived (infinite scroll back). */
export function loadOlder(view: ChatView, page: { messages: Message[]; hasMore: boolean }): void {
  const first = view.messages[0]?.seq ?? Number.POSITIVE_INFINITY;
  const older = page.messages.filter((message) => message.seq < first);
  // The usual page: all before the first loaded one, in order. One move of the loaded array,
  // not a search and a splice per message (a hundred moves of a 10,000-message array).
  if (older.every((message, i) => i === 0 || (older[i - 1] as Message).seq < message.seq))
    view.messages.unshift(...older);
  else for (const message of older) upsertMessage(view, message);
  for (const message of page.messages)
    if (message.seq >= first && !findMessage(view, message.seq)) upsertMessage(view, message);
  view.hasMoreBefore = page.hasMore;
  view.loadingOlder = false;
}

/** A newer page arrived (scrolling down a window that does not reach the end yet). */
export function loadNewer(view: ChatView, page: { messages: Message[]; hasMore: boolean }): void {
  for (const message of page.messages) upsertMessage(view, message);
  view.hasMoreAfter = page.hasMore;
  view.loadingNewer = false;
  const buffered = view.buffered;
  view.buffered = [];
  for (const event of buffered) applyToView(view, event);
}
