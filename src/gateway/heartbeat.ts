/** @module The heartbeat: every period, a round that pings each client and re-checks each session, spread over slices. */

/** Slices each round's work is spread over (see `Heartbeat.slice`). */
export const HEARTBEAT_SLICES = 10;

/** A client as the heartbeat sees it: a WebSocket that can be pinged, cut, and answers with pongs. */
export interface Pingable {
  readonly readyState: number;
  readonly OPEN: number;
  ping(): void;
  terminate(): void;
  on(event: "pong", listener: () => void): unknown;
}

/** What a round works on, and what it does besides pinging. */
export interface HeartbeatWork<C extends Pingable, S> {
  /** The clients to ping this round: every socket, refusals on their way out included. */
  clients(): Iterable<C>;
  /** The sessions to re-check this round. */
  sessions(): Iterable<S>;
  /** At the start of each round (presence is re-announced then). */
  roundStarted(): void;
  /** At every slice (stale presence claims are dropped then, so a dead node's users turn offline within a slice of expiring). */
  sliceStarted?(): void;
  /** Re-check these sessions (their devices may have been revoked). */
  check(sessions: S[]): void;
}

/**
 * Every `periodMs` a round starts: every client connected then is pinged (or cut, if it did
 * not answer the round before) and its session re-checked once during the round — a share in
 * each of its `HEARTBEAT_SLICES` slices. Done all at once, a round stopped the event loop for
 * tens of milliseconds every 30 s with a few thousand sessions (a ping is a socket write each,
 * the re-check a read of every device), the worst seconds of an otherwise quiet node.
 */
export class Heartbeat<C extends Pingable, S> {
  private tick = 0;
  /** The clients still to ping, and the sessions still to re-check, in this round. */
  private pingRound: C[] = [];
  private checkRound: S[] = [];
  /** Per watched client: whether it answered since the last ask (asking resets it). */
  private readonly liveness = new WeakMap<C, () => boolean>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    periodMs: number,
    private readonly work: HeartbeatWork<C, S>,
  ) {
    this.timer = setInterval(() => this.slice(), periodMs / HEARTBEAT_SLICES);
    this.timer.unref();
  }

  /**
   * Cut `client` when a round finds it has not answered the previous round's ping. A client
   * whose reading is paused is never cut: its pong waits, unread, with its other frames.
   */
  watch(client: C, readingPaused: () => boolean): void {
    let alive = true;
    client.on("pong", () => {
      alive = true;
    });
    this.liveness.set(client, () => {
      if (readingPaused()) return true;
      const was = alive;
      alive = false;
      return was;
    });
  }

  /** One slice of the current round (a round starts every `HEARTBEAT_SLICES` slices). */
  slice(): void {
    const slice = this.tick % HEARTBEAT_SLICES;
    this.tick += 1;
    this.work.sliceStarted?.();
    if (slice === 0) {
      this.pingRound = [...this.work.clients()];
      this.checkRound = [...this.work.sessions()];
      this.work.roundStarted();
    }
    const slicesLeft = HEARTBEAT_SLICES - slice;
    for (const client of this.pingRound.splice(0, Math.ceil(this.pingRound.length / slicesLeft))) {
      if (client.readyState !== client.OPEN) continue;
      const answered = this.liveness.get(client);
      if (answered && !answered()) {
        client.terminate();
        continue;
      }
      client.ping();
    }
    const checks = this.checkRound.splice(0, Math.ceil(this.checkRound.length / slicesLeft));
    if (checks.length > 0) this.work.check(checks);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
