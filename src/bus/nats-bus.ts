/** @module The scale-out bus: core NATS subjects, at-most-once; clients fill what it loses from the store. */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsConnectOptions, parseNatsUrl } from "../config/nats-url.js";
import type { Bus, BusControl, BusMessage, BusStatus } from "./bus.js";

const PING_TIMEOUT_MS = 2000;
/** User ids per bus message: 2,000 ids of 36 characters is ~80 KB, plus a frame of at most a few hundred KB. */
const AUDIENCE_CHUNK = 2000;

/**
 * Core NATS, not JetStream: every event is already durable in the store before it is
 * published, and every client fills a gap by `sync`, so a second durable log would cost a
 * disk write per event and buy nothing. A message is `JSON header \n frame`, so the frame
 * goes to sockets as the same string without parsing it again.
 */
export class NatsBus implements Bus {
  private readonly statusHandlers = new Set<(status: BusStatus) => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly eventsSubject: string,
    private readonly controlSubject: string,
  ) {
    void this.watchStatus();
  }

  /**
   * Connect to `url` (`nats://host:port`, or a NATS cluster's servers `nats://h1:4222,h2:4222`;
   * optional `?prefix=name` to keep several clusters apart on one NATS, as tests do). Reconnects
   * for ever after the first connection, to any server of the list or that the cluster announces.
   */
  static async connect(url: string, name = "haetae"): Promise<NatsBus> {
    const { prefix } = parseNatsUrl(url);
    const nc = await connect(natsConnectOptions(url, name));
    return new NatsBus(nc, `${prefix}.events`, `${prefix}.control`);
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
    if (message.everyone) {
      this.nc.publish(
        this.eventsSubject,
        `${JSON.stringify({ a: [], e: message.ephemeral ? 1 : 0, all: 1 })}\n${message.frame}`,
      );
      return;
    }
    // A large group's audience is split so that no message nears NATS's 1 MiB payload limit.
    for (let i = 0; i < Math.max(1, message.audience.length); i += AUDIENCE_CHUNK) {
      const header = JSON.stringify({ a: message.audience.slice(i, i + AUDIENCE_CHUNK), e: message.ephemeral ? 1 : 0 });
      this.nc.publish(this.eventsSubject, `${header}\n${message.frame}`);
    }
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    const subscription = this.nc.subscribe(this.eventsSubject, {
      callback: (error, msg) => {
        if (error) return;
        const text = msg.string();
        const newline = text.indexOf("\n");
        try {
          const header = JSON.parse(text.slice(0, newline)) as { a: string[]; e: number; all?: number };
          const message: BusMessage = { audience: header.a, ephemeral: header.e === 1, frame: text.slice(newline + 1) };
          if (header.all === 1) message.everyone = true;
          handler(message);
        } catch (failure) {
          console.error("bus: dropped a malformed message:", (failure as Error).message);
        }
      },
    });
    return () => subscription.unsubscribe();
  }

  async publishControl(control: BusControl): Promise<void> {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.controlSubject, JSON.stringify(control));
  }

  subscribeControl(handler: (control: BusControl) => void): () => void {
    const subscription = this.nc.subscribe(this.controlSubject, {
      callback: (error, msg) => {
        if (error) return;
        try {
          handler(msg.json<BusControl>());
        } catch (failure) {
          console.error("bus: dropped a malformed control message:", (failure as Error).message);
        }
      },
    });
    return () => subscription.unsubscribe();
  }

  onStatus(handler: (status: BusStatus) => void): () => void {
    this.statusHandlers.add(handler);
    return () => this.statusHandlers.delete(handler);
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error("bus closed");
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
    await this.nc.drain().catch(() => this.nc.close());
  }
}
