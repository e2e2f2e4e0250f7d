/** @module The scrolling message log: date separators, sender runs, scroll-back paging, read marking and unsent messages. */

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Conversation, Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import type { ChatView } from "../state/chat-model.js";
import { dayKey, dayLabel } from "./format.js";
import { MessageBubble, UnsentBubble } from "./message-bubble.js";
import { useStore } from "./store-context.js";
import { SystemLine } from "./system-line.js";

/** Messages of one sender closer than this share one name and avatar. */
const RUN_MS = 5 * 60_000;
/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Start loading older messages this close to the top. */
const TOP_SLACK = 400;

function sameRun(a: Message | undefined, b: Message): boolean {
  return (
    a !== undefined &&
    !a.system &&
    a.senderId === b.senderId &&
    dayKey(a.createdAt) === dayKey(b.createdAt) &&
    Date.parse(b.createdAt) - Date.parse(a.createdAt) < RUN_MS
  );
}

function sameMinute(a: Message, b: Message | undefined): boolean {
  return b !== undefined && a.senderId === b.senderId && a.createdAt.slice(0, 16) === b.createdAt.slice(0, 16);
}

export function MessageList({
  view,
  conversation,
  onReply,
  onEdit,
}: {
  view: ChatView;
  conversation: Conversation;
  onReply(message: Message): void;
  onEdit(message: Message): void;
}) {
  const store = useStore();
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef({ height: 0, firstSeq: 0, lastSeq: 0, unsent: 0 });
  const [menuFor, setMenuFor] = useState<number | undefined>();
  const [newBelow, setNewBelow] = useState(false);
  const id = conversation.id;
  const messages = view.messages;
  const unsent = store.unsent(id);
  const firstSeq = messages[0]?.seq ?? 0;
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;

  const markRead = () => {
    if (atBottom.current && document.visibilityState === "visible") void store.markRead(id);
  };

  // Keep the view where the reader is: stick to the end when they were there, and keep the same
  // message in place when older ones are added above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = before.current;
    if (prev.firstSeq !== 0 && firstSeq < prev.firstSeq) {
      el.scrollTop += el.scrollHeight - prev.height;
    } else if (atBottom.current || unsent.length > prev.unsent) {
      // At the end, or I just sent something: show the newest.
      atBottom.current = true;
      el.scrollTop = el.scrollHeight;
    } else if (lastSeq > prev.lastSeq && prev.lastSeq !== 0) {
      setNewBelow(true);
    }
    before.current = { height: el.scrollHeight, firstSeq, lastSeq, unsent: unsent.length };
  });

  useEffect(markRead);
  useEffect(() => {
    document.addEventListener("visibilitychange", markRead);
    return () => document.removeEventListener("visibilitychange", markRead);
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    if (atBottom.current) {
      setNewBelow(false);
      markRead();
    }
    if (el.scrollTop < TOP_SLACK) void store.loadOlder(id);
    before.current.height = el.scrollHeight;
  };

  const toBottom = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setNewBelow(false);
    markRead();
  };

  const members = new Set<string>();
  for (const userId of conversation.memberIds) {
    const username = store.directory.user(userId)?.username;
    if (username) members.add(username);
  }
  const items: JSX.Element[] = [];
  messages.forEach((message, i) => {
    const prev = messages[i - 1];
    if (!prev || dayKey(prev.createdAt) !== dayKey(message.createdAt)) {
      items.push(
        <li key={`d${message.seq}`} class="day">
          <span>{dayLabel(message.createdAt)}</span>
        </li>,
      );
    }
    if (message.system) {
      items.push(<SystemLine key={message.seq} message={{ ...message, system: message.system }} />);
      return;
    }
    items.push(
      <MessageBubble
        key={message.seq}
        message={message}
        view={view}
        conversation={conversation}
        members={members}
        first={!sameRun(prev, message)}
        showTime={!sameMinute(message, messages[i + 1])}
        menuOpen={menuFor === message.seq}
        onMenu={(open) => setMenuFor(open ? message.seq : undefined)}
        onReply={onReply}
        onEdit={onEdit}
      />,
    );
  });

  return (
    <div class="log-wrap">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users focus it to scroll (Safari does not make scrollers focusable) */}
      <div ref={scroller} class="log" role="log" aria-label={t("chat.messages")} tabIndex={0} onScroll={onScroll}>
        {view.loadingOlder && <p class="log-note">{t("chat.older")}</p>}
        {!view.hasMoreBefore && view.status === "ready" && <p class="log-note">{t("chat.start")}</p>}
        {view.status !== "ready" && messages.length === 0 && <p class="log-note">{t("chat.loading")}</p>}
        <ol class="messages">
          {items}
          {unsent.map((u) => (
            <UnsentBubble key={u.clientMsgId} unsent={u} view={view} />
          ))}
        </ol>
      </div>
      {newBelow && (
        <button type="button" class="new-below" onClick={toBottom}>
          {t("chat.newBelow")} <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}
