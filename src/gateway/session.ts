/** @module One WebSocket session: a device's connection, its bounded send queue and its subscriptions. */
import type { WebSocket } from "ws";
import type { RetrySlot } from "../guard/retry-slots.js";
import type { User } from "../protocol/index.js";
import { CLOSE_CODES } from "../protocol/index.js";

/** What a queued request learns about its place in its connection's order. */
export interface RequestTurn {
  /** Say that this request's write is queued in the store's order: the next send may start. */
  queued(): void;
  /** Settles once every earlier request of the connection has been answered. */
  previous: Promise<void>;
}

/**
 * The socket's own buffer is the send queue; its size is bounded. Past half the bound,
 * ephemeral frames (typing, presence) are dropped; past the bound the session is closed with
 * `slowConsumer` so that the client reconnects and catches up by sync, instead of the server
 * holding an unbounded backlog for a reader that cannot keep up (G5).
 */
/** Send options of every frame: text, whether it comes as a string or a buffer. */
const TEXT_FRAME = { binary: false } as const;

export class Session {
  readonly presenceSubscriptions = new Set<string>();
  /**
   * The users this connection's `presence.subscribe` asked for and was refused (they had not added
   * this user as a contact): one who does later is followed from then on (`PresenceAnnouncer`).
   */
  readonly presenceRefused = new Set<string>();
  /**
   * Whether the client shows the app (`session.visibility`; true until it says otherwise): a
   * visible session attends its device, and an attended device gets no push.
   */
  visible = true;
  /** Set once a sync of this connection reached the end of the feed: later syncs only move its cursor. */
  caughtUp = false;
  /** Until when (performance.now) this connection's sends are refused: the retry time its last refused send was given. */
  sendsRefusedUntil = 0;
  /** The retry slot this connection's refused sends were last booked in (its own place in the book when it comes back). */
  sendsRetrySlot: RetrySlot | undefined;
  /** Settles when every request so far has been answered. */
  private answered: Promise<void> = Promise.resolve();
  /** Settles when the next send may start: the latest request queued its write, or finished. */
  private sendGate: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The TCP socket under ws, while it is corked for the current turn of the event loop. */
  private corked: { uncork(): void } | undefined;

  constructor(
    readonly id: string,
    readonly user: User,
    readonly deviceId: string,
    private readonly socket: WebSocket,
    private readonly sendQueueBytes: number,
    private readonly onShed: (ephemeral: boolean) => void,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Requests queued or running on this connection. */
  get pendingRequests(): number {
    return this.pending;
  }

  /**
   * Queue a frame for the client; returns false when it was shed. A frame going to many clients
   * comes as one UTF-8 buffer, shared: encoded once, not once per recipient. It is still a text frame.
   */
  send(frame: string | Buffer, ephemeral = false): boolean {
    if (!this.isOpen) return false;
    const buffered = this.socket.bufferedAmount;
    if (ephemeral && buffered > this.sendQueueBytes / 2) {
      this.onShed(true);
      return false;
    }
    if (buffered > this.sendQueueBytes) {
      this.onShed(false);
      this.close(CLOSE_CODES.slowConsumer, "send queue full; reconnect and sync");
      return false;
    }
    this.cork();
    this.socket.send(frame, TEXT_FRAME);
    return true;
  }

  /**
   * The frames of one turn of the event loop leave in one write: a group commit settles many
   * sends at once, and each reply and event sent alone cost a `writev` system call of its own
   * (a quarter of the server's time under load). Uncorked once everything queued for this turn
   * (the promise continuations included) has run — a frame waits no longer than that.
   */
  private cork(): void {
    if (this.corked) return;
    const tcp = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!tcp || typeof tcp.cork !== "function") return;
    tcp.cork();
    this.corked = tcp;
    process.nextTick(() => {
      this.corked = undefined;
      tcp.uncork();
    });
  }

  /**
   * Run `task` after every earlier request of this connection has finished; a `pipelined` one
   * (a send) as soon as the request before it has queued its write in the store's order
   * (`turn.queued()`), so a device's sends share group commits instead of waiting out one commit
   * each. Order is still kept: writes are queued in arrival order, and a task answers only after
   * `turn.previous`, so replies leave in the order the requests came.
   */
  enqueue(task: (turn: RequestTurn) => Promise<void>, pipelined = false): void {
    this.pending += 1;
    const previous = this.answered;
    let queued: () => void = () => undefined;
    const writeQueued = new Promise<void>((resolve) => {
      queued = resolve;
    });
    const done = (pipelined ? this.sendGate : previous)
      .then(() => task({ queued, previous }))
      .catch(() => undefined)
      .finally(() => {
        queued();
        this.pending -= 1;
      });
    // `done` implies `previous`: a task answers only after the one before it did.
    this.answered = Promise.all([previous, done]).then(() => undefined);
    this.sendGate = pipelined ? writeQueued : this.answered;
  }

  /** True while the server does not read this connection (see `ReadPauses`). */
  get readingPaused(): boolean {
    return this.socket.isPaused;
  }

  /** Stop reading the connection: its client's frames wait in TCP's buffers, costing this node nothing. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}
