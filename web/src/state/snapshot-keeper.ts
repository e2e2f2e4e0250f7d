/** @module The offline snapshot: the list, the people in it and the newest page of recent chats, saved for the next start. */
import type { ConversationSummary, User } from "../../../src/protocol/index.js";
import type { ChatView } from "./chat-model.js";
import { loadSnapshot, type Snapshot, saveSnapshot } from "./persist.js";

/** How many recently opened conversations keep a page, and how long that page is. */
const KEEP_CHATS = 10;
const KEEP_MESSAGES = 50;
const SAVE_AFTER_MS = 300;

/**
 * What the app showed last, so that a start without network (or before the server answers) shows
 * the user's chats at once instead of an empty screen. The server's answers replace it.
 */
export class SnapshotKeeper {
  private loaded: Snapshot | undefined;
  private readonly recent: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: (() => void) | undefined;

  private readonly onPageHide = () => this.flush();

  constructor(private readonly userId: string) {
    // Leaving or reloading the page: try to save the last changes (the browser may still abort a
    // write that has not committed when the page goes; the snapshot is a convenience, the outbox
    // is saved at once on every change).
    addEventListener("pagehide", this.onPageHide);
  }

  /** Stop without saving (log out: what is pending must not be written after the data is wiped). */
  dispose(): void {
    clearTimeout(this.timer);
    this.pending = undefined;
    removeEventListener("pagehide", this.onPageHide);
  }

  /** Save now what {@link saveSoon} was waiting to save. */
  flush(): void {
    clearTimeout(this.timer);
    const save = this.pending;
    this.pending = undefined;
    save?.();
  }

  async load(): Promise<Snapshot | undefined> {
    this.loaded = await loadSnapshot(this.userId);
    for (const id of Object.keys(this.loaded?.messages ?? {})) this.recent.push(id);
    return this.loaded;
  }

  /** The saved newest page of a conversation. */
  page(conversationId: string): Snapshot["messages"][string] | undefined {
    return this.loaded?.messages[conversationId];
  }

  /** A conversation was opened: it is kept ahead of older ones. */
  touch(conversationId: string): void {
    const at = this.recent.indexOf(conversationId);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.unshift(conversationId);
    this.recent.length = Math.min(this.recent.length, KEEP_CHATS);
  }

  /** Save soon: a burst of changes costs one write. */
  saveSoon(conversations: ConversationSummary[], users: Map<string, User>, views: Map<string, ChatView>): void {
    clearTimeout(this.timer);
    this.pending = () => {
      const messages: Snapshot["messages"] = {};
      for (const id of this.recent) {
        const view = views.get(id);
        // A window away from the end (an old message, the first unread) is not the newest page.
        if (view?.status === "ready" && !view.hasMoreAfter) {
          messages[id] = { messages: view.messages.slice(-KEEP_MESSAGES), readSeqs: view.readSeqs };
        } else if (this.loaded?.messages[id]) {
          messages[id] = this.loaded.messages[id];
        }
      }
      const people = new Set(conversations.flatMap((s) => s.conversation.memberIds));
      const snapshot = { conversations, users: [...users.values()].filter((u) => people.has(u.id)), messages };
      this.loaded = snapshot;
      void saveSnapshot(this.userId, snapshot);
    };
    this.timer = setTimeout(() => this.flush(), SAVE_AFTER_MS);
  }
}
