/** @module HaetaeClient: one device's connection — requests, typed events, reconnect, catch-up and the outbox. */
import {
  CLOSE_CODES,
  type ConversationSummary,
  FEED_EVENT_TYPES,
  type FeedEvent,
  type Message,
  type OkFrame,
  type PresenceEvent,
  type RequestParams,
  type RequestType,
  shouldReconnect,
  type TypingEvent,
} from "../protocol/index.js";
import { Backoff } from "./backoff.js";
import type {
  ClientEvents,
  ConnectionState,
  HaetaeClientOptions,
  IncidentEvent,
  StateChange,
} from "./client-options.js";
import { Emitter } from "./emitter.js";
import { FeedSequencer } from "./feed-sequencer.js";
import { wsTicket } from "./http.js";
import { newClientMsgId, Outbox, type PendingMessage } from "./outbox.js";
import { HaetaeRequestError } from "./request-error.js";
import { type ReplyFrame, RequestTracker } from "./request-tracker.js";
import { defaultWebSocket, SOCKET_OPEN, type SocketLike, type WebSocketConstructor, webSocketUrl } from "./socket.js";
import { SyncRunner } from "./sync-runner.js";

type TimerName = "reconnect" | "stable" | "idleSync" | "ping";

/**
 * A client for one device. Call {@link connect} once; it then keeps a connection open: on every
 * (re)connect it syncs from its cursor until caught up, then flushes the outbox. Feed events are
 * delivered exactly once and `message.new` in seq order per conversation (see FeedSequencer).
 * It never reconnects after a 4500–4999 close (a revoked or unknown token); `close()` stops it.
 */
export class HaetaeClient {
  private readonly urls: string[];
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly events = new Emitter<ClientEvents>();
  private readonly backoff: Backoff;
  private readonly requests: RequestTracker;
  private readonly sequencer: FeedSequencer;
  private readonly outbox: Outbox;
  private socket: SocketLike | undefined;
  private urlIndex = 0;
  /** Counts connection attempts, so that the answer to a ticket request an attempt made after it superseded is dropped. */
  private attempts = 0;
  private current: ConnectionState | "idle" = "idle";
  private synced = false;
  private readonly syncer: SyncRunner;
  private lastHeardAt = 0;
  /** Set by a session refused for now (close 4002): the server's `retryAfterMs`, added to the next reconnect's delay. */
  private refusedForMs: number | undefined;
  private firstUnsyncedAt: number | undefined;
  private readonly timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  private ready: { promise: Promise<void>; resolve(): void; reject(error: Error): void } | undefined;

  constructor(private readonly options: HaetaeClientOptions) {
    this.urls = Array.isArray(options.url) ? [...options.url] : [options.url];
    if (this.urls.length === 0) throw new TypeError("HaetaeClient: `url` needs at least one URL");
    const impl = options.WebSocket ?? defaultWebSocket();
    if (!impl) throw new TypeError("HaetaeClient: no global WebSocket; pass one as the `WebSocket` option");
    this.WebSocketImpl = impl;
    this.backoff = new Backoff({ baseMs: options.baseMs ?? 250, maxMs: options.maxMs ?? 10_000 });
    this.requests = new RequestTracker(options.requestTimeoutMs ?? 10_000);
    this.sequencer = new FeedSequencer(
      (event) => {
        this.events.emit(event.type, event as never);
        this.events.emit("feed", event);
      },
      () => this.syncOrRetry(),
    );
    this.outbox = new Outbox(
      (message) => this.sendNow(message),
      { baseMs: options.baseMs ?? 250, maxMs: options.maxMs ?? 10_000 },
      () => this.events.emit("outbox", this.outbox.pending),
    );
    this.syncer = new SyncRunner(
      (params) => this.internal("sync", params),
      this.sequencer,
      (cursor) => this.events.emit("cursor", cursor),
      options.cursor,
      options.syncPageSize,
    );
  }

  /** The connection state; "idle" until {@link connect} is called. */
  get state(): ConnectionState | "idle" {
    return this.current;
  }

  /** The cursor after the last complete sync: save it and pass it back as the `cursor` option. */
  get cursor(): string | undefined {
    return this.syncer.cursor;
  }

  /** Sends not yet acknowledged, oldest first: what a UI shows as "sending…". */
  get pending(): readonly PendingMessage[] {
    return this.outbox.pending;
  }

  /** The highest message seq delivered to the app in a conversation. */
  lastSeq(conversationId: string): number | undefined {
    return this.sequencer.lastDeliveredSeq(conversationId);
  }

  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(type: K, handler: (payload: ClientEvents[K]) => void): () => void {
    return this.events.on(type, handler);
  }

  /**
   * Start connecting (once; later calls return the same promise). Resolves when the first
   * connection is open and caught up; rejects if the client is closed or the session ends first.
   */
  connect(): Promise<void> {
    if (this.current === "closed" || this.current === "terminal") return Promise.reject(this.finalError());
    if (!this.ready) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Nobody may await connect(); an unhandled rejection must not crash the app for that.
      promise.catch(() => undefined);
      this.ready = { promise, resolve, reject };
      if (this.current === "idle") {
        this.setState({ state: "connecting" });
        this.openSocket();
      }
    }
    return this.ready.promise;
  }

  /**
   * Send a request and resolve with its `ok` reply. Rejects with {@link HaetaeRequestError}: the
   * server's code, "timeout" when no reply came in time, "not_connected" when no connection
   * opened in time (requests made while disconnected wait for one), "connection_lost" when the
   * connection closed before the reply (the request may have run).
   */
  request<T extends RequestType>(
    type: T,
    params: RequestParams<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<OkFrame<T>> {
    if (this.current === "closed" || this.current === "terminal") return Promise.reject(this.finalError());
    const promise = this.requests.add<OkFrame<T>>({ type, ...params }, options.timeoutMs);
    this.flushRequests();
    return promise;
  }

  /**
   * Every conversation of mine, most recently active first, read page by page with
   * `conversation.list`'s cursor (the server never sends more than its page limit at once).
   * `onPage` sees each page as it arrives, so a list can show the first page at once.
   */
  async listConversations(
    options: { pageSize?: number; onPage?: (page: ConversationSummary[]) => void } = {},
  ): Promise<ConversationSummary[]> {
    const all: ConversationSummary[] = [];
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: OkFrame<"conversation.list"> = await this.request("conversation.list", {
        ...(options.pageSize !== undefined ? { limit: options.pageSize } : {}),
        ...(cursor !== null ? { cursor } : {}),
      });
      // A keyset cursor never repeats one; the check only guards against a server that would.
      const fresh = page.conversations.filter((c) => !seen.has(c.conversation.id));
      for (const c of fresh) seen.add(c.conversation.id);
      all.push(...fresh);
      options.onPage?.(fresh);
      cursor = page.hasMore ? page.cursor : null;
    } while (cursor !== null);
    return all;
  }

  /** One page of `search` (newest first unless `order: "relevance"`); pass the reply's `cursor` for the next. */
  search(params: RequestParams<"search">): Promise<OkFrame<"search">> {
    return this.request("search", params);
  }

  /** A window of messages around `seq`, ascending, to open any message in context (`history {aroundSeq}`). */
  historyAround(conversationId: string, seq: number, limit?: number): Promise<OkFrame<"history">> {
    return this.request("history", { conversationId, aroundSeq: seq, ...(limit !== undefined ? { limit } : {}) });
  }

  /** Pin a message as the group's notice (the owner only); `unpin` removes it. */
  pin(conversationId: string, seq: number): Promise<OkFrame<"pin">> {
    return this.request("pin", { conversationId, seq });
  }

  unpin(conversationId: string): Promise<OkFrame<"unpin">> {
    return this.request("unpin", { conversationId });
  }

  /** Forward a message, with its files, to other chats; once only per `clientMsgId` (one is made when none is given). */
  forward(
    fromConversationId: string,
    seq: number,
    toConversationIds: readonly string[],
    clientMsgId: string = newClientMsgId(),
  ): Promise<OkFrame<"message.forward">> {
    return this.request("message.forward", {
      fromConversationId,
      seq,
      toConversationIds: [...toConversationIds],
      clientMsgId,
    });
  }

  /**
   * Send a message through the outbox: resolves with the stored message when the server
   * acknowledges it, surviving disconnects (re-sent with the same clientMsgId, so once only).
   */
  send(
    conversationId: string,
    text: string,
    options: { replyToSeq?: number; clientMsgId?: string; fileIds?: readonly string[] } = {},
  ): Promise<Message> {
    if (this.current === "closed" || this.current === "terminal") return Promise.reject(this.finalError());
    return this.outbox.add({
      clientMsgId: options.clientMsgId ?? newClientMsgId(),
      conversationId,
      text,
      ...(options.replyToSeq !== undefined ? { replyToSeq: options.replyToSeq } : {}),
      ...(options.fileIds && options.fileIds.length > 0 ? { fileIds: [...options.fileIds] } : {}),
      createdAt: new Date().toISOString(),
    });
  }

  /**
   * Read the feed from the cursor until caught up and deliver what is new. Runs by itself on
   * every connect and after live events; concurrent calls share one run (plus one more after it,
   * so a caller always gets a sync that started after its call).
   */
  sync(): Promise<void> {
    this.firstUnsyncedAt = undefined;
    this.clearTimer("idleSync");
    return this.syncer.run();
  }

  /**
   * Drop the current connection, if any, and connect again at once with a fresh backoff. For a
   * browser's network events: on "offline", because a browser keeps a dead socket open for
   * minutes and sends into it would wait for a reply that never comes — dropping it puts them back
   * in the outbox; on "online", so the user does not wait out a backoff of up to `maxMs`.
   * Does nothing before {@link connect} or after the client ended.
   */
  reconnect(): void {
    if (this.current === "idle" || this.current === "closed" || this.current === "terminal") return;
    const socket = this.socket;
    if (socket) {
      this.socket = undefined;
      socket.close(4000, "reconnect");
      this.onClose(4000);
    }
    this.clearTimer("reconnect");
    this.backoff.reset();
    this.openSocket();
  }

  /** Close for good: no reconnect; pending requests and sends reject with "client_closed". */
  close(): void {
    if (this.current === "closed" || this.current === "terminal") return;
    this.setState({ state: "closed" });
    this.shutdown(new HaetaeRequestError("client_closed"));
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, "client closed");
  }

  // ---- the connection ----

  /**
   * Ask the next server for a one-time ticket, then open the socket with it (the token never goes
   * in the URL). A refused ticket counts as a failed connection: `unauthorized` ends the client
   * as a 4500 close would; anything else (the network, a server shedding load with
   * `retryAfterMs`, a proxy's error page) is retried with the backoff, after `retryAfterMs`.
   */
  private openSocket(): void {
    const base = this.urls[this.urlIndex % this.urls.length] as string;
    this.urlIndex += 1;
    const attempt = ++this.attempts;
    wsTicket(base, this.options.token, this.options.requestTimeoutMs).then(
      ({ ticket }) => {
        if (attempt === this.attempts && this.live()) this.dial(base, ticket);
      },
      (error: unknown) => {
        if (attempt !== this.attempts || !this.live()) return;
        const { code, retryAfterMs } = error as HaetaeRequestError;
        if (code === "unauthorized") return this.onClose(CLOSE_CODES.unauthorized);
        if (retryAfterMs !== undefined) this.refusedForMs = retryAfterMs;
        this.scheduleReconnect(retryAfterMs !== undefined ? CLOSE_CODES.tryAgainLater : 1006);
      },
    );
  }

  /** Still meant to connect: not closed, not ended, not superseded by an open socket. */
  private live(): boolean {
    return this.current !== "closed" && this.current !== "terminal" && this.socket === undefined;
  }

  private dial(base: string, ticket: string): void {
    let socket: SocketLike;
    try {
      socket = new this.WebSocketImpl(webSocketUrl(base, ticket));
    } catch (error) {
      console.error(`haetae: cannot open a WebSocket to ${base}:`, error);
      this.scheduleReconnect(1006);
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (this.socket === socket) void this.onOpen(socket);
    });
    socket.addEventListener("message", (event) => {
      if (this.socket === socket) this.onFrame(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      // A 4500 on a socket opened with a ticket says the ticket was unknown, used or expired (a
      // handshake slower than the ticket's life, in a reconnect storm): the token was good a
      // moment ago. Ask for a new ticket; the ticket request's 401 ends the client if the token
      // is dead by now (a revoked device closes its sessions with 4501, which ends it at once).
      if (event.code === CLOSE_CODES.unauthorized) this.onClose(event.code, true);
      else this.onClose(event.code);
    });
    socket.addEventListener("error", () => {
      // Always followed by "close", which decides what happens next.
    });
  }

  private async onOpen(socket: SocketLike): Promise<void> {
    this.lastHeardAt = Date.now();
    this.setTimer("stable", this.options.stableAfterMs ?? 5_000, () => this.backoff.reset());
    this.schedulePing();
    this.flushRequests();
    try {
      await this.sync();
    } catch (error) {
      // A failed catch-up (timeout, rate limit, a busy store) is retried by the idle sync, again
      // and again while this connection lasts; the app can still work meanwhile.
      const retryAfterMs = (error as HaetaeRequestError).retryAfterMs;
      if (this.socket === socket) this.scheduleIdleSync(Math.max(retryAfterMs ?? 0, this.backoff.next()));
    }
    if (this.socket !== socket) return;
    this.synced = true;
    this.setState({ state: "open" });
    this.ready?.resolve();
    this.outbox.resume();
  }

  private onFrame(data: unknown): void {
    this.lastHeardAt = Date.now();
    let frame: { type?: unknown; id?: unknown };
    try {
      frame = JSON.parse(String(data)) as typeof frame;
    } catch {
      return; // The server only sends JSON; a proxy's garbage must not break the client.
    }
    if (frame.type === "error" && frame.id === null) {
      // The session itself was refused (overloaded, rate-limited, unauthorized); the close follows.
      const retryAfterMs = (frame as { retryAfterMs?: unknown }).retryAfterMs;
      if (typeof retryAfterMs === "number" && retryAfterMs >= 0) this.refusedForMs = retryAfterMs;
    } else if (frame.type === "ok" || frame.type === "error") {
      this.requests.settle(frame as ReplyFrame);
    } else if ((FEED_EVENT_TYPES as readonly unknown[]).includes(frame.type)) {
      this.sequencer.live(frame as FeedEvent);
      this.scheduleIdleSync();
    } else if (frame.type === "typing") {
      this.events.emit("typing", frame as TypingEvent);
    } else if (frame.type === "presence") {
      this.events.emit("presence", frame as PresenceEvent);
    } else if (frame.type === "incident") {
      this.events.emit("incident", frame as IncidentEvent);
    } else if (frame.type === "resync") {
      // The node lost live events (its bus connection came back): fill from the feed now,
      // rather than wait for the next message to reveal the gap.
      this.syncOrRetry();
    }
  }

  private onClose(code: number, reconnect = shouldReconnect(code)): void {
    this.socket = undefined;
    this.synced = false;
    this.outbox.pause();
    for (const name of ["stable", "idleSync", "ping"] as const) this.clearTimer(name);
    this.requests.failSent(new HaetaeRequestError("connection_lost"));
    if (!reconnect) {
      this.setState({ state: "terminal", closeCode: code });
      this.shutdown(new HaetaeRequestError("session_ended", `The server ended the session (close code ${code}).`));
      return;
    }
    this.scheduleReconnect(code);
  }

  /**
   * The next try after the server's `retryAfterMs` when it refused the session (its own slot for
   * this client), plus full jitter, so that clients refused together do not return together.
   */
  private scheduleReconnect(code: number): void {
    this.setState({ state: "reconnecting", closeCode: code });
    const delay = (this.refusedForMs ?? 0) + this.backoff.next();
    this.refusedForMs = undefined;
    this.setTimer("reconnect", delay, () => this.openSocket());
  }

  /** Drop a connection that stopped answering; the next one is opened as after any close. */
  private dropSocket(socket: SocketLike): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.close(4000, "no reply to ping");
    this.onClose(1006);
  }

  private shutdown(error: HaetaeRequestError): void {
    for (const name of [...this.timers.keys()]) this.clearTimer(name);
    this.requests.failAll(error);
    this.outbox.failAll(error);
    this.ready?.reject(error);
  }

  private finalError(): HaetaeRequestError {
    return this.current === "closed"
      ? new HaetaeRequestError("client_closed")
      : new HaetaeRequestError("session_ended");
  }

  private setState(change: StateChange): void {
    if (this.current === change.state && change.state !== "reconnecting") return;
    this.current = change.state;
    this.events.emit("state", change);
  }

  // ---- requests, sync and the outbox ----

  private flushRequests(): void {
    const socket = this.socket;
    if (socket?.readyState !== SOCKET_OPEN) return;
    this.requests.flush((frame) => socket.send(frame));
  }

  /** A request for the SDK itself: on the open connection only, never queued for the next one. */
  private internal<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<OkFrame<T>> {
    if (this.socket?.readyState !== SOCKET_OPEN) return Promise.reject(new HaetaeRequestError("not_connected"));
    const promise = this.requests.add<OkFrame<T>>({ type, ...params }, timeoutMs);
    this.flushRequests();
    return promise;
  }

  private async sendNow(message: PendingMessage): Promise<Message> {
    const { clientMsgId, conversationId, text, replyToSeq, fileIds } = message;
    const params = {
      clientMsgId,
      conversationId,
      text,
      ...(replyToSeq !== undefined ? { replyToSeq } : {}),
      ...(fileIds && fileIds.length > 0 ? { fileIds: [...fileIds] } : {}),
    };
    return (await this.internal("message.send", params)).message;
  }

  /**
   * Debounce a sync after live events, so the cursor follows them and a reconnect does not
   * replay a long tail; `syncMaxWaitMs` bounds the wait while events keep coming. The sync also
   * finds a live event lost on the way that no later seq revealed (a reaction, the last message
   * of a chat). It costs the server a feed read per device, so it waits for a lull: at 1.5 s,
   * every message a device received cost a read, four per message in a reconnect storm.
   */
  private scheduleIdleSync(delayMs?: number): void {
    const now = Date.now();
    this.firstUnsyncedAt ??= now;
    const idle = delayMs ?? this.options.syncIdleMs ?? 10_000;
    const deadline = this.firstUnsyncedAt + (this.options.syncMaxWaitMs ?? 60_000);
    this.setTimer("idleSync", Math.max(0, Math.min(idle, deadline - now)), () => {
      if (this.synced) this.syncOrRetry();
    });
  }

  /**
   * Sync now; if it fails while this connection stays up, try again after the backoff (or the
   * server's `retryAfterMs`). Without the retry, a catch-up refused by a busy server (after an
   * outage, every client asks at once) left a quiet client open but behind until its next live event.
   */
  private syncOrRetry(): void {
    const socket = this.socket;
    this.sync().catch((error: unknown) => {
      if (!socket || this.socket !== socket) return; // a new connection syncs on its own
      const retryAfterMs = (error as HaetaeRequestError).retryAfterMs;
      this.scheduleIdleSync(Math.max(retryAfterMs ?? 0, this.backoff.next()));
    });
  }

  private schedulePing(): void {
    const every = this.options.pingIntervalMs ?? 25_000;
    if (every <= 0) return;
    this.setTimer("ping", every, () => {
      const socket = this.socket;
      if (!socket) return;
      this.schedulePing();
      if (Date.now() - this.lastHeardAt < every) return;
      this.internal("ping", {}).catch((error: HaetaeRequestError) => {
        if (error.code === "timeout") this.dropSocket(socket);
      });
    });
  }

  private setTimer(name: TimerName, ms: number, run: () => void): void {
    this.clearTimer(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        run();
      }, ms),
    );
  }

  private clearTimer(name: TimerName): void {
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }
}
