/** @module The scale-out bus: core NATS subjects, at-most-once; clients fill what it loses from the store. */
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { natsConnectOptions, parseNatsUrl } from "../config/nats-url.js";
import type { Bus, BusControl, BusMessage, BusStatus } from "./bus.js";
import { AUDIENCE_CHUNK, BatchWriter, readBatch } from "./bus-batch.js";

const PING_TIMEOUT_MS = 2000;

/** What this node published, for its own subscribers, in publish order. */
type Local = { message: BusMessage } | { control: BusControl };

/**
 * Core NATS, not JetStream: every event is already durable in the store before it is
 * published, and every client fills a gap by `sync`, so a second durable log would cost a
 * disk write per event and buy nothing.
 *
 * The messages published in one turn of the event loop (a group commit answers many sends at
 * once) leave as one NATS message on `<prefix>.batches` (bus-batch.ts), whose frames go to
 * sockets as the same strings without parsing. The connection does not hear its own publishes
 * (`noEcho`): this node's subscribers get them in-process at the end of the turn, in publish
 * order, instead of after a round trip through NATS and a second decoding.
 *
 * Rolling upgrades: nodes of the release before batches publish one message per event on
 * `<prefix>.events` (`JSON header \n frame`) and read only that. This node reads those too, and
 * while it has heard from such a node within `legacyWindowMs` (a legacy event, or a control
 * without this release's `"bus":2` mark; every node with users sends one each heartbeat) it also
 * publishes each event there, marked `"v":2` so that the nodes of this release skip the copy.
 */
export class NatsBus implements Bus {
  private readonly statusHandlers = new Set<(status: BusStatus) => void>();
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly controlHandlers = new Set<(control: BusControl) => void>();
  private readonly writer: BatchWriter;
  private local: Local[] = [];
  private scheduled = false;
  private eventSubscriptions: Subscription[] = [];
  private controlSubscription: Subscription | undefined;
  /** Until when (epoch ms) events are also published in the legacy format. */
  private legacyUntil = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly legacyWindowMs: number,
  ) {
    this.writer = new BatchWriter((payload) => this.nc.publish(`${prefix}.batches`, payload));
    void this.watchStatus();
  }

  /**
   * Connect to `url` (`nats://host:port`, or a NATS cluster's servers `nats://h1:4222,h2:4222`;
   * optional `?prefix=name` to keep several clusters apart on one NATS, as tests do). Reconnects
   * for ever after the first connection, to any server of the list or that the cluster announces.
   * `legacyWindowMs`: how long one sign of a node of the release before batches keeps this node
   * publishing for it too (a few of its heartbeats).
   */
  static async connect(url: string, name = "haetae", legacyWindowMs = 60_000): Promise<NatsBus> {
    const { prefix } = parseNatsUrl(url);
    const nc = await connect({ ...natsConnectOptions(url, name), noEcho: true });
    return new NatsBus(nc, prefix, legacyWindowMs);
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      const mapped: BusStatus | undefined =
        status.type === "disconnect" ? "down" : status.type === "reconnect" ? "up" : undefined;
      if (mapped) for (const handler of this.statusHandlers) handler(mapped);
    }
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.nc.isClosed()) return;
    this.writer.add(message);
    if (this.legacyUntil > 0 && Date.now() < this.legacyUntil) this.publishLegacy(message);
    this.local.push({ message });
    this.schedule();
  }

  /** The format of the release before batches, one NATS message per event (and audience chunk). */
  private publishLegacy(message: BusMessage): void {
    const e = message.ephemeral ? 1 : 0;
    if (message.everyone) {
      this.nc.publish(`${this.prefix}.events`, `${JSON.stringify({ a: [], e, all: 1, v: 2 })}\n${message.frame}`);
      return;
    }
    for (let i = 0; i < Math.max(1, message.audience.length); i += AUDIENCE_CHUNK) {
      const header = JSON.stringify({ a: message.audience.slice(i, i + AUDIENCE_CHUNK), e, v: 2 });
      this.nc.publish(`${this.prefix}.events`, `${header}\n${message.frame}`);
    }
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    if (this.eventSubscriptions.length === 0) {
      const onText = (read: (text: string) => BusMessage[]) => (error: Error | null, msg: { string(): string }) => {
        if (error) return;
        let messages: BusMessage[];
        try {
          messages = read(msg.string());
        } catch (failure) {
          console.error("bus: dropped a malformed message:", (failure as Error).message);
          return;
        }
        for (const message of messages) this.hand(message);
      };
      this.eventSubscriptions = [
        this.nc.subscribe(`${this.prefix}.batches`, { callback: onText(readBatch) }),
        this.nc.subscribe(`${this.prefix}.events`, {
          callback: onText((text) => {
            const { message, current } = readLegacy(text);
            // A copy from a node of this release: its batch brought the event already.
            if (current) return [];
            this.legacySeen();
            return [message];
          }),
        }),
      ];
    }
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size > 0) return;
      for (const subscription of this.eventSubscriptions) subscription.unsubscribe();
      this.eventSubscriptions = [];
    };
  }

  async publishControl(control: BusControl): Promise<void> {
    if (this.nc.isClosed()) return;
    // The events published before it leave before it, as they did when every publish was a message.
    this.writer.flush();
    this.nc.publish(`${this.prefix}.control`, `${JSON.stringify(control).slice(0, -1)},"bus":2}`);
    this.local.push({ control });
    this.schedule();
  }

  subscribeControl(handler: (control: BusControl) => void): () => void {
    this.controlHandlers.add(handler);
    this.controlSubscription ??= this.nc.subscribe(`${this.prefix}.control`, {
      callback: (error, msg) => {
        if (error) return;
        let control: BusControl & { bus?: number };
        try {
          control = msg.json<BusControl & { bus?: number }>();
        } catch (failure) {
          console.error("bus: dropped a malformed control message:", (failure as Error).message);
          return;
        }
        if (control.bus === 2) delete control.bus;
        else this.legacySeen();
        for (const each of this.controlHandlers) guarded(each, control);
      },
    });
    return () => {
      this.controlHandlers.delete(handler);
      if (this.controlHandlers.size > 0) return;
      this.controlSubscription?.unsubscribe();
      this.controlSubscription = undefined;
    };
  }

  onStatus(handler: (status: BusStatus) => void): () => void {
    this.statusHandlers.add(handler);
    return () => this.statusHandlers.delete(handler);
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error("bus closed");
    this.writer.flush();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("NATS did not answer in time")), PING_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    this.writer.flush();
    this.handlers.clear();
    this.controlHandlers.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }

  /**
   * At the end of this turn (after the I/O callbacks that published, before timers): one NATS
   * message for the turn's events, then this node's own subscribers, never inside `publish`.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.nc.isClosed()) this.writer.flush();
      const local = this.local;
      this.local = [];
      for (const item of local) {
        if ("message" in item) this.hand(item.message);
        else for (const handler of this.controlHandlers) guarded(handler, item.control);
      }
    });
  }

  private legacySeen(): void {
    this.legacyUntil = Date.now() + this.legacyWindowMs;
  }

  private hand(message: BusMessage): void {
    for (const handler of this.handlers) guarded(handler, message);
  }
}

/**
 * A message in the format of the release before batches, `{"a": audience, "e": 0|1, "all"?: 1}
 * \n frame`; `current` when a node of this release published it (`"v": 2`) beside its batch.
 */
function readLegacy(text: string): { message: BusMessage; current: boolean } {
  const newline = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, newline)) as { a: string[]; e: number; all?: number; v?: number };
  const message: BusMessage = { audience: header.a, ephemeral: header.e === 1, frame: text.slice(newline + 1) };
  if (header.all === 1) message.everyone = true;
  return { message, current: header.v === 2 };
}

/** A subscriber that throws must not stop delivery to the others. */
function guarded<T>(handler: (value: T) => void, value: T): void {
  try {
    handler(value);
  } catch (error) {
    console.error("bus subscriber failed:", error);
  }
}
