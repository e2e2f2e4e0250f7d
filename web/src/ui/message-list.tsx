/** @module The scrolling message log, windowed: only the rows on screen (and a margin) are in the page; paging both ways, the unread line, jumps, read marking. */

import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation, Message } from "../../../src/protocol/index.js";
import { unreadByCount } from "../../../src/sdk/index.js";
import { i18n, t } from "../i18n/i18n.js";
import { type ChatView, findMessage } from "../state/chat-model.js";
import { dayKey, dayLabel } from "./format.js";
import type { MessageActions, Selection } from "./message-actions.js";
import { StillBubble, UnsentBubble } from "./message-bubble.js";
import { useStore } from "./store-context.js";
import { SystemLine } from "./system-line.js";
import { RowHeights, RowTops } from "./virtual-rows.js";

/** Messages of one sender closer than this share one name and avatar. */
const RUN_MS = 5 * 60_000;
/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Rows this far (in screens) above and below the visible part are in the page too. */
const MARGIN_SCREENS = 1.25;
/** Draw a new window once the rows beyond the screen are down to this (in screens): fewer, larger changes. */
const REFILL_SCREENS = 0.5;
/**
 * Load the next page when the loaded rows end within this many screens: a page is on its way
 * well before the reader gets there, so it lands out of sight and nothing on screen moves.
 */
const LOAD_SCREENS = 6;
/** Read marking while scrolling: at most this often (each mark is a request and a new list). */
const READ_EVERY_MS = 500;
/** How long a message jumped to stays highlighted. */
const HIGHLIGHT_MS = 2000;

/** A message's row, its key and its local calendar day: made once per message (see {@link rowOf}). */
type MessageRow = { key: string; index: number; day: string };

/**
 * A message's row, made once per message and reused (its index set again) every time the rows
 * are built: they are built again whenever a page lands, and a new object, key string and parsed
 * date for each of 10,000 messages each time was most of a landing's time and of the garbage
 * that made later frames collect it.
 */
const messageRows = new WeakMap<Message, MessageRow>();
function rowOf(message: Message, index: number): MessageRow {
  const row = cachedRow(message);
  row.index = index;
  return row;
}

function cachedRow(message: Message): MessageRow {
  let row = messageRows.get(message);
  if (row === undefined) {
    row = { key: `m${message.seq}`, index: 0, day: dayKey(message.createdAt) };
    messageRows.set(message, row);
  }
  return row;
}

function dayOf(message: Message): string {
  return cachedRow(message).day;
}

function sameRun(a: Message | undefined, b: Message): boolean {
  return (
    a !== undefined &&
    !a.system &&
    a.senderId === b.senderId &&
    dayOf(a) === dayOf(b) &&
    Date.parse(b.createdAt) - Date.parse(a.createdAt) < RUN_MS
  );
}

function sameMinute(a: Message, b: Message | undefined): boolean {
  return b !== undefined && a.senderId === b.senderId && a.createdAt.slice(0, 16) === b.createdAt.slice(0, 16);
}

/** One row of the log: a day line, the unread line, or message `index` of the view. */
type Row = { key: string; kind: "day"; label: string } | { key: string; kind: "unread" } | MessageRow;

function rowsOf(view: ChatView): Row[] {
  const rows: Row[] = [];
  const messages = view.messages;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Message;
    const prev = messages[i - 1];
    const row = rowOf(message, i);
    if (!prev || dayOf(prev) !== row.day) {
      rows.push({ key: `d${message.seq}`, kind: "day", label: dayLabel(message.createdAt) });
    }
    if (message.seq === view.unreadFrom && (i > 0 || view.hasMoreBefore)) rows.push({ key: "unread", kind: "unread" });
    rows.push(row);
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
  const tops = useRef(new RowTops(heights)).current;
  const anchor = useRef<Anchor>({ kind: "bottom" });
  /**
   * `scrolled`: the anchor `follow` last set, and the scroll position it read then. A render that
   * comes before the scroll event of the reader's last move (a page landing in between) must
   * keep that move, not put the screen back where the anchor was.
   */
  const shown = useRef({
    start: 0,
    end: 0,
    unsent: 0,
    target: 0,
    seen: 0,
    /** Whether this opening of the chat has sent its first read mark. */
    marked: false,
    readTimer: 0,
    scrolled: undefined as { anchor: Anchor; top: number } | undefined,
  });
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

  tops.use(keys);
  // A jump asked for (the unread line on opening, a quote, a search result): keep that row in view.
  const target = view.target;
  if (target && target.n !== shown.current.target) {
    const key =
      !target.highlight && target.seq === view.unreadFrom && tops.indexOf("unread") >= 0 ? "unread" : `m${target.seq}`;
    if (tops.indexOf(key) >= 0) {
      shown.current.target = target.n;
      const screen = scroller.current?.clientHeight ?? window.innerHeight * 0.6;
      anchor.current = { kind: "row", key, offset: target.highlight ? Math.round(screen / 3) : 8 };
      if (target.highlight) setLit(target.seq);
    }
  }
  if (anchor.current.kind === "row" && tops.indexOf(anchor.current.key) < 0) anchor.current = { kind: "bottom" };
  if (unsent.length > shown.current.unsent) anchor.current = { kind: "bottom" }; // I just sent: show it
  shown.current.unsent = unsent.length;

  // The rows the current anchor needs, in list coordinates.
  const screen = scroller.current?.clientHeight || window.innerHeight;
  const margin = screen * MARGIN_SCREENS;
  const a = anchor.current;
  const top = a.kind === "bottom" ? tops.total - screen : tops.topOf(tops.indexOf(a.key)) - a.offset;
  const win = tops.window(top - margin, top + screen + margin);
  shown.current.start = win.start;
  shown.current.end = win.end;

  useEffect(() => {
    if (lit === undefined) return;
    const timer = setTimeout(() => setLit(undefined), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [lit, view.target?.n]);

  /**
   * After each render: put the anchor back where it was, and measure the rows in the page. All
   * reads first (one layout for the pass), then at most one write (the scroll position, which
   * lays nothing out again), so a render costs one layout however many rows it measures.
   */
  useLayoutEffect(() => {
    const el = scroller.current;
    const ol = list.current;
    if (!el || !ol) return;
    const a = anchor.current;
    const scrolled = shown.current.scrolled;
    let want: number | undefined;
    // The reader moved since `follow` set this anchor: the anchor moves with them.
    if (a.kind === "row" && scrolled?.anchor === a) a.offset -= el.scrollTop - scrolled.top;
    if (a.kind === "bottom") want = el.scrollHeight - el.clientHeight;
    else {
      const row = ol.querySelector<HTMLElement>(`[data-key="${a.key}"]`);
      // Rows are placed in the list (their offset parent), the list in the scroller.
      if (row) want = ol.offsetTop + row.offsetTop - a.offset;
    }
    const items = ol.children;
    let next = (items[0] as HTMLElement | undefined)?.offsetTop ?? 0;
    for (let i = 0; i < items.length - 1; i++) {
      const item = items[i] as HTMLElement;
      const top = next;
      next = (items[i + 1] as HTMLElement).offsetTop;
      const key = item.dataset.key;
      if (key) heights.set(key, next - top);
    }
    if (want !== undefined && Math.abs(el.scrollTop - want) > 1) el.scrollTop = want;
    shown.current.scrolled = undefined;
    follow();
  });

  /** Which rows are on screen: the anchor, the last one seen (read marking), and whether more rows or pages are needed. */
  const follow = () => {
    const el = scroller.current;
    const ol = list.current;
    if (!el || !ol) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK && !view.hasMoreAfter;
    let first: HTMLElement | undefined;
    let firstTop = 0;
    let lastSeen = 0;
    const scrollTop = el.scrollTop;
    const screenEnd = scrollTop + el.clientHeight;
    const listTop = ol.offsetTop;
    for (const item of ol.children as unknown as Iterable<HTMLElement>) {
      const key = item.dataset.key;
      if (!key) continue;
      const itemTop = listTop + item.offsetTop;
      // The first row reaching below the screen's top, even below its end (the screen is on the
      // space standing in for rows not drawn yet: the anchor says which rows to draw).
      if (!first && itemTop + item.offsetHeight > scrollTop) {
        first = item;
        firstTop = itemTop;
      }
      if (itemTop >= screenEnd) break;
      if (item.dataset.seq) lastSeen = Number(item.dataset.seq);
    }
    if (atEnd) anchor.current = { kind: "bottom" };
    else if (first?.dataset.key) anchor.current = { kind: "row", key: first.dataset.key, offset: firstTop - scrollTop };
    shown.current.scrolled = { anchor: anchor.current, top: scrollTop };
    if (away === atEnd) setAway(!atEnd);
    if (lastSeen > shown.current.seen) shown.current.seen = lastSeen;
    // The first mark goes at once (opening a chat reads it, and the sender's "1" goes now); later
    // ones, as the reader scrolls, at most every READ_EVERY_MS.
    if (document.visibilityState === "visible" && lastSeen > 0 && !shown.current.marked) {
      shown.current.marked = true;
      void store.markRead(id, shown.current.seen);
    } else if (document.visibilityState === "visible" && lastSeen > 0 && !shown.current.readTimer) {
      shown.current.readTimer = window.setTimeout(() => {
        shown.current.readTimer = 0;
        if (document.visibilityState === "visible") void store.markRead(id, shown.current.seen);
      }, READ_EVERY_MS);
    }

    // Rows run out soon: render again around the new position.
    const margin = el.clientHeight * REFILL_SCREENS;
    const renderedTop = listTop + win.padTop;
    const renderedBottom = listTop + ol.offsetHeight - win.padBottom;
    const needTop = win.start > 0 && renderedTop > scrollTop - margin;
    const needBottom = win.end < rows.length && renderedBottom < screenEnd + margin;
    if (needTop || needBottom) rerender((n) => n + 1);
    const load = el.clientHeight * LOAD_SCREENS;
    if (scrollTop < load && view.hasMoreBefore) void store.loadOlder(id);
    if (el.scrollHeight - screenEnd < load && view.hasMoreAfter) void store.loadNewer(id);
  };

  // Leaving the chat before the timer fired: what was on screen was seen, and is marked read now.
  useEffect(
    () => () => {
      if (!shown.current.readTimer) return;
      clearTimeout(shown.current.readTimer);
      shown.current.readTimer = 0;
      if (document.visibilityState === "visible" && shown.current.seen > 0) void store.markRead(id, shown.current.seen);
    },
    [],
  );
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
  // What bubbles read besides their message: names, blocks, the language. A page of older
  // messages changes none of it, so the rows already drawn stay as they are. Receipts are not in
  // it: each bubble gets its own unread count, so my read cursor moving while I scroll (a read
  // every half second) draws again only the bubbles whose "1" goes away.
  const generation = `${i18n.lang},${store.directory.users.size},${store.directory.blockedIds.size}`;
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
        unread={message.deleted ? 0 : unreadByCount(view.readSeqs, message)}
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
