/** @module The conversations opened in this session: their loaded pages, fetched from the server and kept current. */
import type { FeedEvent, Message } from "../../../src/protocol/index.js";
import { applyToView, type ChatView, emptyView, loadNewest, loadOlder, upsertMessage } from "./chat-model.js";
import type { Call } from "./directory.js";
import type { SnapshotKeeper } from "./snapshot-keeper.js";

/** Messages per history page. */
const PAGE = 50;
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

  /** Show a conversation: its saved page at once, the server's newest page when connected. */
  open(conversationId: string): ChatView {
    let view = this.views.get(conversationId);
    if (!view) {
      view = emptyView(conversationId);
      this.views.set(conversationId, view);
      this.fillFromSnapshot(view);
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

  private fillFromSnapshot(view: ChatView): void {
    const cached = this.snapshot.page(view.conversationId);
    if (!cached || view.messages.length > 0 || view.status === "ready") return;
    Object.assign(view, { messages: [...cached.messages], readSeqs: { ...cached.readSeqs } });
    if (!this.fetching.has(view.conversationId)) view.status = "cached";
  }

  private async fetchNewest(view: ChatView): Promise<void> {
    const conversationId = view.conversationId;
    if (this.fetching.has(conversationId)) return;
    this.fetching.add(conversationId);
    // From here events wait in `buffered` and apply on top of the page (what was shown stays).
    view.status = "loading";
    const reply = await this.call("history", { conversationId, limit: PAGE }, true);
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
