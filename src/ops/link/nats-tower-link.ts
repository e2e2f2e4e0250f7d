/**
 * @module The TowerLink over NATS, for a cluster whose nodes take turns leading the tower: calls
 * by request/reply on one subject (only the leader listens), the feed as the last value of a
 * JetStream KV key (a node that joins late, or hears a new leader, starts from it), SLI reports
 * published on a subject. Every payload is JSON compressed with zlib (raw deflate).
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { type KV, Kvm, type KvOptions } from "@nats-io/kv";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { natsConnectOptions, parseNatsUrl } from "../../config/nats-url.js";
import { HaetaeError } from "../../protocol/errors.js";
import type { SliEvent } from "../sli-recorder.js";
import { type FeedMessage, type LinkCall, type LinkReply, type TowerLink, unwrapReply } from "./tower-api.js";
import type { TowerHost } from "./tower-host.js";

/** Subjects and buckets of one cluster's tower, named after the bus prefix (`?prefix=` of the bus URL). */
export interface TowerNames {
  /** Request/reply: a node's calls; only the leader subscribes. */
  call: string;
  /** A node's SLI events; only the leader subscribes. */
  sli: string;
  /** KV bucket of the lease (one key). */
  leaseBucket: string;
  /** KV bucket of the feed: the key `state` holds the last FeedMessage the leader published. */
  feedBucket: string;
  /** KV bucket of every document the leader saved (`<kind>.<id>`), replayed into each node's replica. */
  docsBucket: string;
}

export function towerNames(busUrl: string): TowerNames {
  const { prefix } = parseNatsUrl(busUrl);
  return {
    call: `${prefix}.tower.call`,
    sli: `${prefix}.tower.sli`,
    leaseBucket: `${prefix}_tower_lease`,
    feedBucket: `${prefix}_tower_feed`,
    docsBucket: `${prefix}_tower_docs`,
  };
}

/** A NATS connection for the tower's traffic (apart from the chat bus, so a flood of chat events never delays a lease renewal). */
export async function connectTowerNats(busUrl: string, name: string): Promise<NatsConnection> {
  return connect(natsConnectOptions(busUrl, name));
}

/**
 * JSON, compressed: a status snapshot with a long history is mostly repeated keys and words, and
 * shrinks about tenfold, which keeps it under NATS's max_payload (1 MB by default) up to
 * snapshots of roughly 10 MB of JSON. Payloads are not split: a larger one fails to publish and
 * is logged.
 */
export function pack(value: unknown): Uint8Array {
  return deflateRawSync(Buffer.from(JSON.stringify(value)));
}

export function unpack<T>(data: Uint8Array): T {
  return JSON.parse(inflateRawSync(data).toString("utf8")) as T;
}

/** How long a node waits for the leader to answer one call. */
const CALL_TIMEOUT_MS = 5000;
/** What a node tells its caller to wait when no leader answers (a new one is elected within the lease's TTL). */
const NO_LEADER_RETRY_MS = 2000;

/**
 * Create a bucket, or open it as it is when it exists with other settings (another node, or an
 * older version, created it: its settings stay, and the first creator's TTL is the cluster's).
 */
export async function createOrOpenBucket(nc: NatsConnection, name: string, options: Partial<KvOptions>): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(name, options);
  } catch (error) {
    try {
      return await kvm.open(name);
    } catch {
      throw error; // not there either: the first error says why (JetStream off, no permission)
    }
  }
}

/** Open (or create) the feed bucket: one key, its last value only. */
export async function openFeedBucket(nc: NatsConnection, names: TowerNames): Promise<KV> {
  return createOrOpenBucket(nc, names.feedBucket, { history: 1 });
}

/**
 * A node's side: the TowerLink that reaches whichever node leads, through NATS. The connection
 * belongs to the caller (closing the link does not close it).
 */
export class NatsTowerLink implements TowerLink {
  private readonly listeners = new Set<(message: FeedMessage) => void>();
  private last: FeedMessage | undefined;
  private stopWatch: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly names: TowerNames,
    private readonly feed: KV,
  ) {}

  static async open(nc: NatsConnection, names: TowerNames): Promise<NatsTowerLink> {
    const link = new NatsTowerLink(nc, names, await openFeedBucket(nc, names));
    await link.watchFeed();
    return link;
  }

  async call(call: LinkCall): Promise<unknown> {
    let data: Uint8Array;
    try {
      data = (await this.nc.request(this.names.call, pack(call), { timeout: CALL_TIMEOUT_MS })).data;
    } catch (error) {
      throw new HaetaeError(
        "unavailable",
        `No control tower answered (${(error as Error).message}); a node takes the lead within seconds.`,
        NO_LEADER_RETRY_MS,
      );
    }
    return unwrapReply(unpack<LinkReply>(data));
  }

  onFeed(listener: (message: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    const last = this.last;
    if (last) queueMicrotask(() => this.listeners.has(listener) && listener({ snapshot: last.snapshot }));
    return () => this.listeners.delete(listener);
  }

  reportSli(events: SliEvent[]): void {
    if (this.closed || this.nc.isClosed() || events.length === 0) return;
    try {
      this.nc.publish(this.names.sli, pack(events));
    } catch (error) {
      console.warn(`haetae: SLI report not sent: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatch?.();
    this.listeners.clear();
  }

  /** Follow the feed key: its current value first (as a state), then every value the leader puts. */
  private async watchFeed(): Promise<void> {
    const iterator = await this.feed.watch({ key: "state" });
    this.stopWatch = () => iterator.stop();
    void (async () => {
      let first = true;
      for await (const entry of iterator) {
        if (entry.operation !== "PUT") continue;
        let message: FeedMessage;
        try {
          message = unpack<FeedMessage>(entry.value);
        } catch (error) {
          console.error("haetae: unreadable tower feed entry:", (error as Error).message);
          continue;
        }
        // The first value a node hears is where it starts from, whatever change made it.
        if (first) message = { snapshot: message.snapshot };
        first = false;
        this.last = message;
        for (const listener of this.listeners) listener(message);
      }
    })().catch((error: Error) => {
      if (!this.closed) console.error("haetae: the tower feed stopped:", error.message);
    });
  }
}

/** What the leader serves, and how it knows it still leads. */
export interface TowerServing {
  host: TowerHost;
  /** Whether this node still holds the lease: nothing is answered or published once it does not. */
  leads: () => boolean;
  /** Awaited before each reply: the documents the call saved have reached the other nodes. */
  beforeReply?: () => Promise<void>;
}

/**
 * The leader's side: answer calls, take SLI reports, and keep the feed key at the tower's last
 * state (put once at start, without a change, then after every change, in order). Returns the
 * way to stop serving.
 */
export async function serveTowerHost(
  nc: NatsConnection,
  names: TowerNames,
  serving: TowerServing,
): Promise<() => Promise<void>> {
  const { host, leads } = serving;
  const feed = await openFeedBucket(nc, names);
  let chain: Promise<unknown> = Promise.resolve();
  const publish = (message: FeedMessage) => {
    chain = chain
      .then(async () => {
        if (leads()) await feed.put("state", pack(message));
      })
      .catch((error: Error) => console.error("haetae: tower feed not published:", error.message));
  };
  publish(host.state());
  const offChange = host.onChange(publish);
  // No queue group: a stalled old leader may still be subscribed (its connection looks alive
  // until NATS's pings time out), and a queue group would hand it some calls, never answered.
  // Every subscriber hears each call; only the one that leads answers it.
  const calls: Subscription = nc.subscribe(names.call, {
    callback: (error, msg) => {
      if (error || !leads()) return; // no answer: the caller times out and retries the new leader
      void (async () => {
        let reply: LinkReply;
        try {
          reply = await host.answer(unpack<LinkCall>(msg.data));
          await serving.beforeReply?.();
        } catch (failure) {
          reply = { ok: false, code: "internal", message: (failure as Error).message };
        }
        if (!leads()) return;
        try {
          msg.respond(pack(reply));
        } catch (failure) {
          console.error("haetae: tower reply not sent:", (failure as Error).message);
        }
      })();
    },
  });
  const sli: Subscription = nc.subscribe(names.sli, {
    callback: (error, msg) => {
      if (error || !leads()) return;
      try {
        host.takeSli(unpack<unknown>(msg.data));
      } catch {
        // a malformed report is dropped, as takeSli drops malformed events
      }
    },
  });
  return async () => {
    offChange();
    calls.unsubscribe();
    sli.unsubscribe();
    await chain;
  };
}
