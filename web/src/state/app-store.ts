/** @module AppStore: the signed-in app's state — connection, conversations, messages, people — over one HaetaeClient. */
import type {
  Conversation,
  ConversationKind,
  ConversationSummary,
  FeedEvent,
  Message,
  Replies,
  RequestParams,
  RequestType,
  User,
} from "../../../src/protocol/index.js";
import {
  type ConnectionState,
  HaetaeClient,
  type HaetaeRequestError,
  type IncidentNotice,
  logout,
} from "../../../src/sdk/index.js";
import { Attention } from "./attention.js";
import { type ChatView, lastLoadedSeq } from "./chat-model.js";
import { ChatViews } from "./chat-views.js";
import { type Call, Directory } from "./directory.js";
import { Incidents } from "./incidents.js";
import { Invitations } from "./invitations.js";
import { applyNewMessage, applyToList, sortSummaries } from "./list-model.js";
import { MessageTools } from "./message-tools.js";
import { type Notice, notice } from "./notices.js";
import { NotifyPrefs } from "./notify-prefs.js";
import { Observable } from "./observable.js";
import { OutageWatch, pageSettings } from "./outage-watch.js";
import { OutboxKeeper, type UnsentMessage } from "./outbox-keeper.js";
import { clearUserData, type PendingFile } from "./persist.js";
import { loadCursor, type Session, saveCursor, saveSession } from "./session.js";
import { SnapshotKeeper } from "./snapshot-keeper.js";
import { Typing } from "./typing.js";

/**
 * Everything the signed-in UI shows, kept current from the client's events. Components read its
 * fields and call its methods; it notifies once per turn after changes (see Observable).
 */
export class AppStore extends Observable {
  readonly client: HaetaeClient;
  readonly directory: Directory;
  readonly outbox: OutboxKeeper;
  /** Group invitations waiting for my answer. */
  readonly invitations: Invitations;
  /** What the status page says while the server cannot be reached. */
  readonly outage: OutageWatch;
  /** My chat mutes, quiet hours and hidden-text setting, the same on every device. */
  readonly notify: NotifyPrefs;
  /** Notifications in the tab, the sound, the title's unread count and badge, this browser's push subscription. */
  readonly attention: Attention;
  /** Set by the UI: tell the user about a message that arrived while the tab is hidden. */
  onAlert: ((message: Message) => void) | undefined;
  /** Pinned notices and forwarding. */
  readonly tools: MessageTools;
  connection: ConnectionState | "idle" = "idle";
  online = navigator.onLine;
  /** False until the saved outbox is back in the queue: a new send must not overtake it. */
  ready = false;
  /** True once the server's list arrived (before that it may come from the offline snapshot). */
  listLoaded = false;
  notice: Notice | undefined;
  private readonly incidents = new Incidents();
  private readonly list = new Map<string, ConversationSummary>();
  private sorted: ConversationSummary[] | undefined;
  private readonly views: ChatViews;
  private readonly typist: Typing;
  private readonly readAsked = new Map<string, number>();
  /** My own reactions, as far as this client has seen them: a chip I reacted with toggles off. */
  private readonly mine = new Set<string>();
  private readonly snapshot: SnapshotKeeper;
  private listTimer: ReturnType<typeof setTimeout> | undefined;
  private contactsAsked = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly session: Session,
    /** The server ended this session (revoked, expired) with this close code: back to the login screen. */
    private readonly onEnded: (closeCode: number | undefined) => void,
  ) {
    super();
    const me = session.user.id;
    this.client = new HaetaeClient({
      url: location.origin,
      token: session.token,
      cursor: loadCursor(session.deviceId),
      maxMs: 8000,
    });
    const changed = () => this.changed();
    const call = this.call.bind(this) as Call;
    this.directory = new Directory(call, changed);
    this.invitations = new Invitations(call, changed);
    this.notify = new NotifyPrefs(call, changed);
    this.attention = new Attention(call, changed);
    this.directory.remember([session.user]);
    this.outbox = new OutboxKeeper(this.client, me, session.token, (message) => this.onSent(message), changed);
    this.snapshot = new SnapshotKeeper(me);
    this.outage = new OutageWatch(pageSettings(), () => {
      // The banner and the connection notice tell one story: the page's newer word wins in both.
      const report = this.outage.report;
      if (report && report.kind !== "unreachable") this.incidents.learn(report);
      this.changed();
    });
    this.typist = new Typing((conversationId) => {
      if (this.connection === "open") void this.call("typing", { conversationId }, true);
    }, changed);
    this.views = new ChatViews(
      call,
      this.snapshot,
      () => this.connection === "open",
      () => this.afterChange(),
    );
    this.tools = new MessageTools(call, this.views, (conversation) => this.setConversation(conversation), changed);
    const c = this.client;
    this.cleanups.push(
      c.on("feed", (event) => this.onFeed(event)),
      c.on("state", ({ state, closeCode }) => this.onState(state, closeCode)),
      c.on("state", ({ state }) => this.outage.follow(state)),
      c.on("cursor", (cursor) => saveCursor(session.deviceId, cursor)),
      c.on("presence", (event) => this.directory.setPresence(event)),
      c.on("typing", (event) => {
        if (event.userId !== me) this.typist.received(event.conversationId, event.userId);
      }),
      c.on("incident", (event) => {
        this.incidents.announce(event.incident);
        this.changed();
      }),
      listen(window, "online", () => this.onNetwork()),
      listen(document, "visibilitychange", () => {
        if (this.connection === "open") void this.attention.tellVisibility();
        else if (document.hidden) this.attention.hidden(); // no server to tell, but what is owed is owed
      }),
      listen(window, "offline", () => this.onNetwork()),
    );
  }

  /** The signed-in user's id. */
  get me(): string {
    return this.session.user.id;
  }

  /** Restore what the last run left (outbox, snapshot), then connect. */
  async start(): Promise<void> {
    const [snapshot] = await Promise.all([this.snapshot.load(), this.outbox.restore()]);
    if (snapshot && !this.listLoaded) {
      for (const summary of snapshot.conversations) this.list.set(summary.conversation.id, summary);
      this.directory.remember(snapshot.users);
      this.sorted = undefined;
    }
    this.views.snapshotLoaded();
    this.ready = true;
    this.changed();
    void this.client.connect();
  }

  /** Stop for good (log out, or the app is torn down). */
  dispose(): void {
    this.outbox.stop();
    this.outage.stop();
    this.snapshot.dispose();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    clearTimeout(this.listTimer);
    this.client.close();
  }

  /** Log this device out: the server revokes the token; this browser forgets the user's data. */
  async logout(): Promise<void> {
    this.outbox.stop();
    await logout(location.origin, this.session.token).catch(() => undefined);
    this.dispose();
    await clearUserData(this.me);
  }

  // ---- reading state ----

  /** My conversations, most recently active first. */
  get conversations(): ConversationSummary[] {
    this.sorted ??= sortSummaries(this.list.values());
    return this.sorted;
  }

  summary(conversationId: string): ConversationSummary | undefined {
    return this.list.get(conversationId);
  }

  view(conversationId: string): ChatView | undefined {
    return this.views.get(conversationId);
  }

  /** My messages of this conversation that are not in it yet: sending, or refused. */
  unsent(conversationId: string): UnsentMessage[] {
    const mine = this.outbox.unsent.filter((u) => u.conversationId === conversationId);
    if (mine.length === 0) return mine; // the common case: no walk over a long history
    const present = new Set(this.views.get(conversationId)?.messages.map((m) => m.clientMsgId));
    return mine.filter((u) => !present.has(u.clientMsgId));
  }

  /** Who is typing in a conversation now (not me). */
  typing(conversationId: string): string[] {
    return this.typist.who(conversationId);
  }

  /** Did I add this reaction (as far as this client knows)? */
  reacted(conversationId: string, seq: number, emoji: string): boolean {
    return this.mine.has(`${conversationId}:${seq}:${emoji}`);
  }

  /** The incident to show, unless it is resolved or the user closed this update of it. */
  get incident(): IncidentNotice | undefined {
    return this.incidents.current;
  }

  dismissIncident(): void {
    this.incidents.dismiss();
    this.changed();
  }

  say(kind: Notice["kind"], code: string, detail?: string): void {
    this.notice = notice(kind, code, detail);
    this.changed();
  }

  clearNotice(id: number): void {
    if (this.notice?.id !== id) return;
    this.notice = undefined;
    this.changed();
  }

  // ---- conversations ----

  /** Show a conversation: its newest page (from the snapshot at once, from the server when connected). */
  open(conversationId: string): ChatView {
    if (this.connection === "open" && this.list.get(conversationId)?.conversation.kind === "group") {
      void this.directory.loadMembers(conversationId);
    }
    const summary = this.list.get(conversationId);
    return this.views.open(conversationId, summary && { readSeq: summary.readSeq, lastSeq: summary.lastSeq });
  }

  /** Infinite scroll: the page before the first loaded message. */
  loadOlder(conversationId: string): Promise<void> {
    return this.views.loadOlder(conversationId);
  }

  /** Scrolling down a window that does not reach the newest message yet. */
  loadNewer(conversationId: string): Promise<void> {
    return this.views.loadNewer(conversationId);
  }

  /** Show a message in its conversation (loading the messages around it); false when it cannot be loaded. */
  jumpTo(conversationId: string, seq: number): Promise<boolean> {
    return this.views.jumpTo(conversationId, seq);
  }

  /** Back to the newest messages of a conversation. */
  toNewest(conversationId: string): Promise<void> {
    return this.views.toNewest(conversationId);
  }

  /** Create a direct chat (or get the existing one) or a group; resolves with its id. */
  async create(kind: ConversationKind, memberIds: string[], title?: string): Promise<string | undefined> {
    const reply = await this.call("conversation.create", { kind, memberIds, ...(title ? { title } : {}) });
    if (!reply) return undefined;
    const { conversation } = reply;
    if (reply.invitations.length > 0) this.say("info", "invite.sent");
    if (!this.list.has(conversation.id)) {
      const empty = { lastSeq: 0, lastMessage: null, readSeq: 0, unreadCount: 0, unreadMentionCount: 0 };
      this.list.set(conversation.id, { conversation, ...empty });
      this.sorted = undefined;
      this.changed();
    }
    return conversation.id;
  }

  // ---- group settings (each change comes back as events, a system line among them) ----

  /** Rename a group, or set (a File id) or remove (`null`) its photo. */
  async updateGroup(conversationId: string, change: { title?: string; photoFileId?: string | null }): Promise<boolean> {
    const reply = await this.call("conversation.update", { conversationId, ...change });
    if (reply) this.putConversation(reply.conversation);
    return reply !== undefined;
  }

  /** Add people to a group: contacts who added me join, the others are invited. */
  async addMembers(conversationId: string, userIds: string[]): Promise<boolean> {
    const reply = await this.call("conversation.addMembers", { conversationId, userIds });
    if (!reply) return false;
    if (reply.invitations.length > 0) this.say("info", "invite.sent");
    this.putConversation(reply.conversation);
    return true;
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    const reply = await this.call("conversation.removeMember", { conversationId, userId });
    if (reply) this.putConversation(reply.conversation);
  }

  async setRole(conversationId: string, userId: string, role: "admin" | "member"): Promise<void> {
    const reply = await this.call("conversation.setRole", { conversationId, userId, role });
    if (reply) this.putConversation(reply.conversation);
  }

  async transferOwnership(conversationId: string, userId: string): Promise<void> {
    const reply = await this.call("conversation.transferOwnership", { conversationId, userId });
    if (reply) this.putConversation(reply.conversation);
  }

  /** Change my profile; the reply (and my other devices' `account.updated`) carries the new one. */
  async updateAccount(change: RequestParams<"account.update">): Promise<boolean> {
    const reply = await this.call("account.update", change);
    if (reply) this.setMe(reply.user);
    return reply !== undefined;
  }

  private putConversation(conversation: Conversation): void {
    const summary = this.list.get(conversation.id);
    if (summary) summary.conversation = conversation;
    this.directory.forgetMembers(conversation.id);
    this.afterChange();
  }

  private setMe(user: User): void {
    // The whole own user, not a merge: a field cleared (no status line, no photo, presence shown
    // again) is absent from it, and a merge would keep the old value.
    this.session.user = { ...user };
    saveSession(this.session);
    this.directory.remember([user]);
    this.changed();
  }

  /** Leave a group. */
  async leave(conversationId: string): Promise<boolean> {
    if (!(await this.call("conversation.leave", { conversationId }))) return false;
    this.list.delete(conversationId);
    this.views.delete(conversationId);
    this.sorted = undefined;
    this.changed();
    return true;
  }

  // ---- messages ----

  /** Send through the outbox: shown as "sending" until acknowledged, kept across reloads (files still to upload too). */
  send(
    conversationId: string,
    text: string,
    replyToSeq?: number,
    fileIds?: readonly string[],
    pending?: readonly PendingFile[],
  ): void {
    this.outbox.compose(conversationId, text, replyToSeq, fileIds, pending);
    this.typist.sent(conversationId);
  }

  async edit(conversationId: string, seq: number, text: string): Promise<void> {
    const reply = await this.call("message.edit", { conversationId, seq, text });
    if (reply) this.putMessage(reply.message);
  }

  async remove(conversationId: string, seq: number): Promise<void> {
    const reply = await this.call("message.delete", { conversationId, seq });
    if (reply) this.putMessage(reply.message);
  }

  /** Add my reaction, or take it back when I already gave this one. */
  async react(conversationId: string, seq: number, emoji: string): Promise<void> {
    const key = `${conversationId}:${seq}:${emoji}`;
    const adding = !this.mine.has(key);
    const reply = await this.call(adding ? "reaction.add" : "reaction.remove", { conversationId, seq, emoji });
    if (!reply) return;
    if (adding) this.mine.add(key);
    else this.mine.delete(key);
    this.putMessage(reply.message);
  }

  /** Mark an open, visible conversation read up to `upTo` (the last message seen; default all loaded). */
  async markRead(conversationId: string, upTo?: number): Promise<void> {
    const view = this.views.get(conversationId);
    const summary = this.list.get(conversationId);
    if (view?.status !== "ready" || this.connection !== "open") return;
    const last = Math.min(upTo ?? Number.MAX_SAFE_INTEGER, lastLoadedSeq(view));
    const mine = Math.max(view.readSeqs[this.me] ?? 0, summary?.readSeq ?? 0, this.readAsked.get(conversationId) ?? 0);
    if (last <= mine) return;
    this.readAsked.set(conversationId, last);
    const reply = await this.call("read", { conversationId, seq: last }, true);
    if (!reply) {
      this.readAsked.delete(conversationId);
      return;
    }
    view.readSeqs[this.me] = Math.max(view.readSeqs[this.me] ?? 0, reply.readSeq);
    if (summary && reply.readSeq > summary.readSeq) {
      summary.readSeq = reply.readSeq;
      if (reply.readSeq >= summary.lastSeq) Object.assign(summary, { unreadCount: 0, unreadMentionCount: 0 });
      else this.refreshListSoon();
    }
    this.changed();
  }

  /** Tell the others I am typing (at most every few seconds). */
  typed(conversationId: string): void {
    this.typist.typed(conversationId);
  }

  // ---- plumbing ----

  /** A request; on failure tells the user (unless quiet) and resolves undefined. */
  async call<T extends RequestType>(type: T, params: RequestParams<T>, quiet = false): Promise<Replies[T] | undefined> {
    try {
      return await this.client.request(type, params);
    } catch (error) {
      const { code, message } = error as HaetaeRequestError;
      if (!quiet) this.say("error", code, message);
      return undefined;
    }
  }

  private onState(state: ConnectionState, closeCode: number | undefined): void {
    this.connection = state;
    if (state === "open") {
      if (!this.contactsAsked) void this.directory.loadContacts().then(() => this.followPresence(false));
      this.contactsAsked = true;
      void this.refreshList();
      void this.invitations.load();
      void this.notify.load();
      void this.attention.refreshPush();
      void this.attention.tellVisibility();
      this.directory.retryUnknown();
      this.views.reload();
      this.followPresence(true);
    } else if (state === "terminal") {
      this.outbox.stop();
      this.onEnded(closeCode);
    }
    this.changed();
  }

  /**
   * The browser's network changed. Going offline, a browser keeps the dead socket open for
   * minutes, so drop it now (sends wait in the outbox); coming back, reconnect without waiting
   * out the backoff.
   */
  private onNetwork(): void {
    this.online = navigator.onLine;
    this.client.reconnect();
    this.changed();
  }

  private onFeed(event: FeedEvent): void {
    if (event.type === "account.updated") {
      this.setMe(event.user);
      return;
    }
    if (this.invitations.apply(event) || this.notify.apply(event)) {
      this.changed();
      return;
    }
    if (applyToList(this.list, event, this.me, this.directory.blockedIds)) this.refreshListSoon();
    this.views.apply(event);
    if (event.type === "message.reaction" && event.userId === this.me) {
      const key = `${event.conversationId}:${event.seq}:${event.emoji}`;
      if (event.added) this.mine.add(key);
      else this.mine.delete(key);
    } else if (event.type === "message.new") {
      this.typist.stopped(event.conversationId, event.message.senderId);
      if (this.worthAlert(event.message)) this.onAlert?.(event.message);
    } else if (event.type === "conversation.updated" && event.removed.includes(this.me)) {
      this.views.delete(event.conversationId);
    }
    if (event.type === "conversation.updated") {
      this.directory.forgetMembers(event.conversationId);
      // Whoever left may have deleted their account: their name is now "deleted account".
      if (event.removed.length > 0) this.directory.refresh(event.removed);
    }
    if (event.type === "conversation.created" || event.type === "conversation.updated") this.followPresence(false);
    this.afterChange();
  }

  /**
   * Whether a message that just arrived should get the user's attention: from someone else (not
   * blocked), new rather than history caught up after a long time away, and notifying by my mutes
   * and quiet hours (the rule the server's pushes follow).
   */
  private worthAlert(message: Message): boolean {
    const { senderId } = message;
    if (!this.listLoaded || senderId === this.me || message.deleted || this.directory.blockedIds.has(senderId))
      return false;
    return Date.now() - Date.parse(message.createdAt) < ALERT_WITHIN_MS && this.notify.notifies(message, this.me);
  }

  /** My send was acknowledged: the stored message replaces the "sending" one at once. */
  private onSent(message: Message): void {
    const summary = this.list.get(message.conversationId);
    if (summary) applyNewMessage(summary, message, this.me);
    this.putMessage(message);
  }

  /** A reply carried the conversation after a change (pin, unpin): the list shows it at once. */
  private setConversation(conversation: Conversation): void {
    const summary = this.list.get(conversation.id);
    if (summary) summary.conversation = conversation;
    this.afterChange();
  }

  private putMessage(message: Message): void {
    this.views.put(message);
    const summary = this.list.get(message.conversationId);
    if (summary?.lastMessage?.seq === message.seq) summary.lastMessage = message;
    this.afterChange();
  }

  private afterChange(): void {
    this.sorted = undefined;
    this.changed();
    this.snapshot.saveSoon(this.conversations, this.directory.users, this.views.all);
  }

  /** Fetch the list again soon: several events in a row cost one request. */
  private refreshListSoon(): void {
    clearTimeout(this.listTimer);
    this.listTimer = setTimeout(() => void this.refreshList(), 300);
  }

  /** Every page of the list (the server sends at most its page limit at once); the first shows at once. */
  private async refreshList(): Promise<void> {
    clearTimeout(this.listTimer);
    const fresh = new Map<string, ConversationSummary>();
    try {
      await this.client.listConversations({
        onPage: (page) => {
          for (const summary of page) fresh.set(summary.conversation.id, summary);
          if (!this.listLoaded) this.showList(fresh);
        },
      });
    } catch {
      return; // quiet: the next connection asks again
    }
    this.showList(fresh);
    this.listLoaded = true;
    this.followPresence(false);
    this.afterChange();
  }

  private showList(fresh: Map<string, ConversationSummary>): void {
    this.list.clear();
    for (const [id, summary] of fresh) this.list.set(id, summary);
    this.afterChange();
  }

  /**
   * Presence of everyone I share a conversation with, and my contacts, as far as the server shows
   * it: only those who added me (I cannot know who did, so I ask for all and it refuses the rest).
   */
  private followPresence(force: boolean): void {
    const ids = new Set<string>(this.directory.contacts.map((u) => u.id));
    for (const summary of this.list.values()) for (const id of summary.conversation.memberIds) ids.add(id);
    ids.delete(this.me);
    if (this.connection === "open") void this.directory.followPresence(ids, force);
  }
}

/** A message older than this when it arrives (caught up after a long time away) is not announced. */
const ALERT_WITHIN_MS = 5 * 60_000;

function listen(target: EventTarget, type: string, handler: () => void): () => void {
  target.addEventListener(type, handler);
  return () => target.removeEventListener(type, handler);
}
