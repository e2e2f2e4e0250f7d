/** @module The scrolling message log, windowed: only the rows on screen (and a margin) are in the page; paging both ways, the unread line, jumps, read marking. */

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation, Message } from "../../../src/protocol/index.js";
import { i18n, t } from "../i18n/i18n.js";
import { type ChatView, findMessage } from "../state/chat-model.js";
import { dayKey, dayLabel } from "./format.js";
import type { MessageActions, Selection } from "./message-actions.js";
import { StillBubble, UnsentBubble } from "./message-bubble.js";
import { useStore } from "./store-context.js";
import { SystemLine } from "./system-line.js";
import { RowHeights, totalOf, windowOf } from "./virtual-rows.js";

/** Messages of one sender closer than this share one name and avatar. */
const RUN_MS = 5 * 60_000;
/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Rows this far (in screens) above and below the visible part are in the page too. */
const MARGIN_SCREENS = 1.25;
/** Draw a new window once the rows beyond the screen are down to this (in screens): fewer, larger changes. */
const REFILL_SCREENS = 0.5;
/** Load the next page when the loaded rows end within this many screens. */
const LOAD_SCREENS = 2;
/** Read marking while scrolling: at most this often (each mark is a request and a new list). */
const READ_EVERY_MS = 500;
/** How long a message jumped to stays highlighted. */
const HIGHLIGHT_MS = 2000;

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

/** One row of the log: a day line, the unread line, or message `index` of the view. */
type Row =
  | { key: string; kind: "day"; label: string }
  | { key: string; kind: "unread" }
  | { key: string; index: number };

function rowsOf(view: ChatView): Row[] {
  const rows: Row[] = [];
  const messages = view.messages;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Message;
    const prev = messages[i - 1];
    if (!prev || dayKey(prev.createdAt) !== dayKey(message.createdAt)) {
      rows.push({ key: `d${message.seq}`, kind: "day", label: dayLabel(message.createdAt) });
    }
    if (message.seq === view.unreadFrom && (i > 0 || view.hasMoreBefore)) rows.push({ key: "unread", kind: "unread" });
    rows.push({ key: `m${message.seq}`, index: i });
  }
  return rows;
}

/** Where the reader is: stuck to the newest message, or a row kept `offset` px below the top of the screen. */
type Anchor = { kind: "bottom" } | { kind: "row"; key: string; offset: number };

export function MessageList(props: {
  view: ChatView;
  conversation: Conversation;
  selection: Selection | undefined;
  actions: MessageActions;
}) {
  const { view, conversation } = props;
  const store = useStore();
  const scroller = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const heights = useRef(new RowHeights()).current;
  const anchor = useRef<Anchor>({ kind: "bottom" });
  const shown = useRef({ start: 0, end: 0, unsent: 0, target: 0, seen: 0, readTimer: 0 });
  const [, rerender] = useState(0);
  const [menuFor, setMenuFor] = useState<number | undefined>();
  const [lit, setLit] = useState<number | undefined>();
  const [away, setAway] = useState(false);
  const id = conversation.id;
  const messages = view.messages;
  const unsent = view.hasMoreAfter ? [] : store.unsent(id);
  // Rebuilt only when messages come or go (edits and reactions change no row), not on every scroll.
  const first = messages[0]?.seq;
  const last = messages[messages.length - 1]?.seq;
  // The array is changed in place: its length and ends say when it changed.
  const [rows, keys] = useMemo(() => {
    const built = rowsOf(view);
    return [built, built.map((row) => row.key)] as const;
  }, [messages, messages.length, first, last, view.unreadFrom, view.hasMoreBefore, i18n.lang]);

  // A jump asked for (the unread line on opening, a quote, a search result): keep that row in view.
  const target = view.target;
  if (target && target.n !== shown.current.target) {
    const key =
      !target.highlight && target.seq === view.unreadFrom && keys.includes("unread") ? "unread" : `m${target.seq}`;
    if (keys.includes(key)) {
      shown.current.target = target.n;
      const screen = scroller.current?.clientHeight ?? window.innerHeight * 0.6;
      anchor.current = { kind: "row", key, offset: target.highlight ? Math.round(screen / 3) : 8 };
      if (target.highlight) setLit(target.seq);
    }
  }
  if (anchor.current.kind === "row" && !keys.includes(anchor.current.key)) anchor.current = { kind: "bottom" };
  if (unsent.length > shown.current.unsent) anchor.current = { kind: "bottom" }; // I just sent: show it
  shown.current.unsent = unsent.length;

  // The rows the current anchor needs, in list coordinates.
  const screen = scroller.current?.clientHeight || window.innerHeight;
  const margin = screen * MARGIN_SCREENS;
  const a = anchor.current;
  const total = totalOf(keys, heights);
  let top: number;
  if (a.kind === "bottom") top = total - screen;
  else {
    const at = keys.indexOf(a.key);
    top = totalOf(keys.slice(0, at), heights) - a.offset;
  }
  const win = windowOf(keys, heights, top - margin, top + screen + margin);
  shown.current.start = win.start;
  shown.current.end = win.end;

  useEffect(() => {
    if (lit === undefined) return;
    const timer = setTimeout(() => setLit(undefined), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [lit, view.target?.n]);

  /** After each render: put the anchor back where it was, and measure the rows in the page. */
  useLayoutEffect(() => {
    const el = scroller.current;
    const ol = list.current;
    if (!el || !ol) return;
    const a = anchor.current;
    if (a.kind === "bottom") {
      const end = el.scrollHeight - el.clientHeight;
      if (Math.abs(el.scrollTop - end) > 1) el.scrollTop = end;
    } else {
      const row = ol.querySelector<HTMLElement>(`[data-key="${a.key}"]`);
      if (row) {
        const want = row.offsetTop - a.offset;
        if (Math.abs(el.scrollTop - want) > 1) el.scrollTop = want;
      }
    }
    const items = ol.children;
    for (let i = 0; i < items.length - 1; i++) {
      const item = items[i] as HTMLElement;
      const key = item.dataset.key;
      if (key) heights.set(key, (items[i + 1] as HTMLElement).offsetTop - item.offsetTop);
    }
    follow();
  });

  /** Which rows are on screen: the anchor, the last one seen (read marking), and whether more rows or pages are needed. */
  const follow = () => {
    const el = scroller.current;
    const ol = list.current;
    if (!el || !ol) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK && !view.hasMoreAfter;
    let first: HTMLElement | undefined;
    let lastSeen = 0;
    for (const item of ol.children as unknown as Iterable<HTMLElement>) {
      if (!item.dataset.key) continue;
      if (!first && item.offsetTop + item.offsetHeight > el.scrollTop) first = item;
      if (item.offsetTop < el.scrollTop + el.clientHeight && item.dataset.seq) lastSeen = Number(item.dataset.seq);
    }
    if (atEnd) anchor.current = { kind: "bottom" };
    else if (first?.dataset.key)
      anchor.current = { kind: "row", key: first.dataset.key, offset: first.offsetTop - el.scrollTop };
    if (away === atEnd) setAway(!atEnd);
    if (lastSeen > shown.current.seen) shown.current.seen = lastSeen;
    if (document.visibilityState === "visible" && lastSeen > 0 && !shown.current.readTimer) {
      shown.current.readTimer = window.setTimeout(() => {
        shown.current.readTimer = 0;
        if (document.visibilityState === "visible") void store.markRead(id, shown.current.seen);
      }, READ_EVERY_MS);
    }

    // Rows run out soon: render again around the new position.
    const margin = el.clientHeight * REFILL_SCREENS;
    const renderedTop = ol.offsetTop + win.padTop;
    const renderedBottom = ol.offsetTop + ol.offsetHeight - win.padBottom;
    const needTop = win.start > 0 && renderedTop > el.scrollTop - margin;
    const needBottom = win.end < rows.length && renderedBottom < el.scrollTop + el.clientHeight + margin;
    if (needTop || needBottom) rerender((n) => n + 1);
    const load = el.clientHeight * LOAD_SCREENS;
    if (el.scrollTop < load && view.hasMoreBefore) void store.loadOlder(id);
    if (el.scrollHeight - el.scrollTop - el.clientHeight < load && view.hasMoreAfter) void store.loadNewer(id);
  };

  useEffect(() => () => clearTimeout(shown.current.readTimer), []);
  const latest = useRef(follow);
  latest.current = follow;
  useEffect(() => {
    const seen = () => latest.current();
    document.addEventListener("visibilitychange", seen);
    return () => document.removeEventListener("visibilitychange", seen);
  }, []);

  const toBottom = () => {
    anchor.current = { kind: "bottom" };
    if (view.hasMoreAfter) void store.toNewest(id);
    rerender((n) => n + 1);
  };

  const members = new Set<string>();
  for (const userId of conversation.memberIds) {
    const username = store.directory.user(userId)?.username;
    if (username) members.add(username);
  }
  // What bubbles read besides their message: receipts, names, blocks, the language. A page of
  // older messages changes none of it, so the rows already drawn stay as they are.
  const generation = [
    i18n.lang,
    store.directory.users.size,
    store.directory.blockedIds.size,
    ...Object.values(view.readSeqs),
  ].join(",");
  const items: JSX.Element[] = [];
  for (let r = win.start; r < win.end; r++) {
    const row = rows[r] as Row;
    if ("kind" in row) {
      items.push(
        row.kind === "day" ? (
          <li key={row.key} data-key={row.key} class="day">
            <span>{row.label}</span>
          </li>
        ) : (
          <li key={row.key} data-key={row.key} class="unread-line">
            <span>{t("chat.unreadHere")}</span>
          </li>
        ),
      );
      continue;
    }
    const message = messages[row.index] as Message;
    if (message.system) {
      items.push(<SystemLine key={row.key} rowKey={row.key} message={{ ...message, system: message.system }} />);
      continue;
    }
    items.push(
      <StillBubble
        key={row.key}
        generation={generation}
        quoted={message.replyToSeq === undefined ? undefined : findMessage(view, message.replyToSeq)}
        rowKey={row.key}
        message={message}
        view={view}
        conversation={conversation}
        members={members}
        first={!sameRun(messages[row.index - 1], message)}
        showTime={!sameMinute(message, messages[row.index + 1])}
        highlighted={lit === message.seq}
        selected={props.selection?.has(message.seq)}
        menuOpen={menuFor === message.seq}
        onMenu={(open) => setMenuFor(open ? message.seq : undefined)}
        actions={props.actions}
      />,
    );
  }
  const newCount = Math.max(0, (store.summary(id)?.lastSeq ?? 0) - shown.current.seen);

  return (
    <div class="log-wrap">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users focus it to scroll (Safari does not make scrollers focusable) */}
      <div ref={scroller} class="log" role="log" aria-label={t("chat.messages")} tabIndex={0} onScroll={follow}>
        {view.loadingOlder && <p class="log-note">{t("chat.older")}</p>}
        {!view.hasMoreBefore && view.status === "ready" && <p class="log-note">{t("chat.start")}</p>}
        {view.status !== "ready" && messages.length === 0 && <p class="log-note">{t("chat.loading")}</p>}
        <ol ref={list} class="messages">
          <li class="pad" aria-hidden="true" style={{ height: `${win.padTop}px` }} />
          {items}
          <li class="pad" aria-hidden="true" style={{ height: `${win.padBottom}px` }} />
          {unsent.map((u) => (
            <UnsentBubble key={u.clientMsgId} unsent={u} view={view} />
          ))}
        </ol>
        {view.loadingNewer && <p class="log-note">{t("chat.newer")}</p>}
      </div>
      {away && (
        <button type="button" class="new-below" onClick={toBottom} aria-label={t("chat.toBottom")}>
          {newCount > 0 && <span class="badge unread">{t("chat.newCount", { n: newCount })}</span>}
          <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}
