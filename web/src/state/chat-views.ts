/** @module The conversations opened in this session: their loaded pages, fetched from the server and kept current. */
import type { FeedEvent, Message } from "../../../src/protocol/index.js";
import {
  applyToView,
  type ChatView,
  emptyView,
  findMessage,
  lastLoadedSeq,
  loadNewer,
  loadNewest,
  loadOlder,
  upsertMessage,
} from "./chat-model.js";
import type { Call } from "./directory.js";
import type { SnapshotKeeper } from "./snapshot-keeper.js";

/** Messages per history page (the server's default historyPageSize caps it). */
const PAGE = 100;
/** Messages above the one a window opens at (the first unread, a quoted or searched message). */
const CONTEXT = 20;
/** After a failed load, try again this soon. */
const RETRY_MS = 3000;

/**
 * One {@link ChatView} per opened conversation. Pages are fetched only while connected and
 * caught up (after the reconnect's sync), so a page never lands under older events that the
 * sync would then replay on top of it.
 */
export class ChatViews {
  private readonly views = new Map<string, ChatView>();
  private readonly fetching = new Set<string>();
  /** The newest-page loads on their way, by conversation (a jump waits for them). */
  private readonly loads = new Map<string, Promise<void>>();
  private targets = 0;

  constructor(
    private readonly call: Call,
    private readonly snapshot: SnapshotKeeper,
    private readonly connected: () => boolean,
    private readonly onChange: () => void,
  ) {}

  get(conversationId: string): ChatView | undefined {
    return this.views.get(conversationId);
  }

  /** Every open view (for the snapshot). */
  get all(): Map<string, ChatView> {
    return this.views;
  }

  /**
   * Show a conversation: its saved page at once, the server's newest page when connected. With
   * unread messages (`readSeq` below `lastSeq`) it opens at the first unread: the window around
   * it when the newest page would not reach it.
   */
  open(conversationId: string, unread?: { readSeq: number; lastSeq: number }): ChatView {
    let view = this.views.get(conversationId);
    if (!view) {
      view = emptyView(conversationId);
      this.views.set(conversationId, view);
      this.fillFromSnapshot(view);
      if (unread && unread.readSeq < unread.lastSeq) {
        view.unreadFrom = unread.readSeq + 1;
        this.aim(view, unread.readSeq + 1, false);
      }
    }
    this.snapshot.touch(conversationId);
    if (view.status !== "ready" && this.connected()) void this.fetchNewest(view);
    return view;
  }

  /** The snapshot was read: views opened before it (a reload on /c/…) show their saved page. */
  snapshotLoaded(): void {
    for (const view of this.views.values()) this.fillFromSnapshot(view);
  }

  /** Connected and caught up: load every view that is not current. */
  reload(): void {
    for (const view of this.views.values()) if (view.status !== "ready") void this.fetchNewest(view);
  }

  /**
   * Go to a message (a quoted one, a search result): at once when it is loaded, otherwise the
   * window around it replaces the loaded one. Resolves false when it cannot be loaded.
   */
  async jumpTo(conversationId: string, seq: number): Promise<boolean> {
    const view = this.open(conversationId);
    // Aimed first: the list goes there as soon as the message is in, whichever load brings it.
    this.aim(view, seq, true);
    this.onChange();
    await this.loads.get(conversationId); // a page already on its way (the chat was just opened)
    if (findMessage(view, seq)) return true;
    if (!this.connected()) return false;
    const ok = await this.fetchWindow(view, seq);
    this.onChange();
    return ok && findMessage(view, seq) !== undefined;
  }

  /** Back to the newest messages (the jump-to-bottom button on a window that does not reach the end). */
  async toNewest(conversationId: string): Promise<void> {
    const view = this.views.get(conversationId);
    if (!view?.hasMoreAfter) return;
    Object.assign(view, { status: "cached", target: undefined });
    await this.fetchNewest(view);
  }

  /** Scrolling down a window that does not reach the end: the page after the last loaded message. */
  async loadNewer(conversationId: string): Promise<void> {
    const view = this.views.get(conversationId);
    if (!view || view.loadingNewer || !view.hasMoreAfter || view.status !== "ready") return;
    view.loadingNewer = true;
    this.onChange();
    const reply = await this.call("history", { conversationId, afterSeq: lastLoadedSeq(view), limit: PAGE }, true);
    loadNewer(view, reply ?? { messages: [], hasMore: true });
    this.onChange();
  }

  /** Infinite scroll: the page before the first loaded message. */
  async loadOlder(conversationId: string): Promise<void> {
    const view = this.views.get(conversationId);
    const first = view?.messages[0]?.seq;
    if (!view || first === undefined || view.loadingOlder || !view.hasMoreBefore || view.status !== "ready") return;
    view.loadingOlder = true;
    this.onChange();
    const reply = await this.call("history", { conversationId, beforeSeq: first, limit: PAGE }, true);
    if (reply) loadOlder(view, reply);
    else view.loadingOlder = false;
    this.onChange();
  }

  apply(event: FeedEvent): void {
    const view = this.views.get(event.conversationId);
    if (view) applyToView(view, event);
  }

  /** A message from a reply (my send's ack, an edit, a reaction): put it in place. */
  put(message: Message): void {
    const view = this.views.get(message.conversationId);
    if (view) upsertMessage(view, message);
  }

  delete(conversationId: string): void {
    this.views.delete(conversationId);
  }

  /** Ask the list to go to `seq` (highlighted: a jump the user asked for; not: the unread line). */
  private aim(view: ChatView, seq: number, highlight: boolean): void {
    view.target = { seq, n: ++this.targets, highlight };
  }

  /**
   * The window a chat opens at: a few messages before the first unread, a page from it on (the
   * newest page when that reaches it). A jump uses `aroundSeq` instead, centred on its message.
   */
  private async around(
    conversationId: string,
    seq: number,
  ): Promise<
    { messages: Message[]; hasMore: boolean; readSeqs: Record<string, number>; hasMoreAfter: boolean } | undefined
  > {
    const [before, after] = await Promise.all([
      this.call("history", { conversationId, beforeSeq: seq, limit: CONTEXT }, true),
      this.call("history", { conversationId, afterSeq: seq - 1, limit: PAGE }, true),
    ]);
    if (!before || !after) return undefined;
    return {
      messages: [...before.messages, ...after.messages],
      hasMore: before.hasMore,
      hasMoreAfter: after.hasMore,
      readSeqs: after.readSeqs,
    };
  }

  /** Replace the loaded window with the one around `seq`. */
  private async fetchWindow(view: ChatView, seq: number): Promise<boolean> {
    const conversationId = view.conversationId;
    if (this.fetching.has(conversationId)) return false;
    this.fetching.add(conversationId);
    view.status = "loading";
    const page = await this.call("history", { conversationId, aroundSeq: seq, limit: PAGE }, true);
    this.fetching.delete(conversationId);
    const reply = page && {
      ...page,
      hasMore: page.hasMoreBefore ?? page.hasMore,
      hasMoreAfter: page.hasMoreAfter ?? false,
    };
    if (reply) loadNewest(view, reply);
    else {
      const buffered = view.buffered;
      Object.assign(view, { status: "ready", buffered: [] });
      for (const event of buffered) applyToView(view, event);
    }
    return reply !== undefined;
  }

  private fillFromSnapshot(view: ChatView): void {
    const cached = this.snapshot.page(view.conversationId);
    if (!cached || view.messages.length > 0 || view.status === "ready") return;
    Object.assign(view, { messages: [...cached.messages], readSeqs: { ...cached.readSeqs } });
    if (!this.fetching.has(view.conversationId)) view.status = "cached";
  }

  private fetchNewest(view: ChatView): Promise<void> {
    const conversationId = view.conversationId;
    const running = this.loads.get(conversationId);
    if (running) return running;
    const load = this.loadNewest(view).finally(() => this.loads.delete(conversationId));
    this.loads.set(conversationId, load);
    return load;
  }

  private async loadNewest(view: ChatView): Promise<void> {
    const conversationId = view.conversationId;
    if (this.fetching.has(conversationId)) return;
    this.fetching.add(conversationId);
    // From here events wait in `buffered` and apply on top of the page (what was shown stays).
    view.status = "loading";
    const from = view.unreadFrom;
    const reply =
      from !== undefined && view.target?.seq === from && !view.target.highlight
        ? await this.around(conversationId, from)
        : await this.call("history", { conversationId, limit: PAGE }, true);
    this.fetching.delete(conversationId);
    if (reply) {
      loadNewest(view, reply);
    } else {
      // Show what is known and try again soon; the next reconnect retries too.
      const buffered = view.buffered;
      Object.assign(view, { status: "cached", buffered: [] });
      for (const event of buffered) applyToView(view, event);
      setTimeout(() => {
        if (this.views.get(conversationId) === view && view.status === "cached") this.open(conversationId);
      }, RETRY_MS);
    }
    this.onChange();
  }
}
