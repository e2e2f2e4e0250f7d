/**
 * @module The tower's documents copied to every node of a cluster: the leader puts each document
 * it saves (alerts, incidents with their updates, maintenances, component statuses) into a
 * JetStream KV bucket keyed `<kind>.<id>`, and each change to the subscriber file; every node
 * applies the bucket to its own `<data>/ops.sqlite` and `<data>/subscribers.sqlite`, so
 * whichever node takes the lease next starts a tower that loads them all (incident numbers
 * included: INC-n is never reused) and notifies every subscriber.
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type SubscriberRecord, SubscriberStore } from "../propagation/subscriber-store.js";
import { type OpsRecord, OpsStore } from "../tower/ops-store.js";
import { createOrOpenBucket, pack, type TowerNames, unpack } from "./nats-tower-link.js";

/** What is replicated: the tower's documents and the subscriber file's rows. */
export type ReplicatedRecord = OpsRecord | SubscriberRecord;

/** Open (or create) the documents bucket: the last version of each document. */
export async function openDocsBucket(nc: NatsConnection, names: TowerNames): Promise<KV> {
  return createOrOpenBucket(nc, names.docsBucket, { history: 1 });
}

/** The key of a record: `<kind>.<id>`, the id as is when it is a plain token, hex otherwise. */
export function recordKey(record: ReplicatedRecord): string {
  const id =
    record.kind === "alert"
      ? record.alert.id
      : record.kind === "incident"
        ? record.incident.id
        : record.kind === "maintenance"
          ? record.maintenance.id
          : record.id; // a component or a subscriber
  const token = /^[A-Za-z0-9_-]{1,200}$/.test(id) ? id : `x${Buffer.from(id).toString("hex")}`;
  return `${record.kind}.${token}`;
}

/**
 * The leader's side: each saved document goes to the bucket, in the order saved. `leads` fences
 * the writes: once this node no longer counts itself the leader, nothing more is written (a
 * paused old leader never overwrites its successor's documents).
 */
export class Replicator {
  private chain: Promise<void> = Promise.resolve();
  private failed = 0;

  constructor(
    private readonly docs: KV,
    private readonly leads: () => boolean,
  ) {}

  /** Queue one saved document. */
  record(record: ReplicatedRecord): void {
    const key = recordKey(record);
    const data = pack(record);
    this.chain = this.chain.then(async () => {
      if (!this.leads()) return;
      try {
        await this.docs.put(key, data);
      } catch (error) {
        this.failed += 1;
        console.error(`haetae: tower document ${key} not replicated: ${(error as Error).message}`);
      }
    });
  }

  /** Resolves once every document queued so far is in the bucket (or failed, logged). */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Documents that could not be written. */
  get failures(): number {
    return this.failed;
  }
}

/**
 * A node's side: follows the bucket and writes every document into this node's `ops.sqlite`
 * (upserts, so a document applied twice, or the node's own writes while it leads, change
 * nothing). `caughtUp` waits until everything in the bucket when it is called has been applied.
 */
export class Replica {
  private applied = 0;
  private readonly waiters = new Set<() => void>();
  private stopWatch: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly docs: KV,
    private readonly store: OpsStore,
    private readonly subscribers: SubscriberStore,
  ) {}

  static async open(nc: NatsConnection, names: TowerNames, dataDir: string): Promise<Replica> {
    const replica = new Replica(
      await openDocsBucket(nc, names),
      new OpsStore(dataDir),
      // Only written here (applied rows are not limited), never read: the leader's propagation reads the file.
      new SubscriberStore(dataDir, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    );
    await replica.watch();
    return replica;
  }

  /** Revision (stream sequence) of the last document applied. */
  get revision(): number {
    return this.applied;
  }

  /** Resolve once every document in the bucket now is applied; reject after `timeoutMs`. */
  async caughtUp(timeoutMs: number): Promise<void> {
    const status = await this.docs.status();
    const target = status.streamInfo.state.last_seq;
    const deadline = Date.now() + timeoutMs;
    while (this.applied < target) {
      if (Date.now() > deadline) {
        throw new Error(`replica at revision ${this.applied} of ${target} after ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 100);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /**
   * Write every document's current value from the bucket into this node's files again, and
   * resolve once the last one in the bucket now is written. Run before this node's tower starts:
   * whatever the node's files hold that the bucket does not (a tower that ran on after losing
   * the lease, fenced from the bucket, may have changed its own copy) is replaced by the value
   * every other node has.
   */
  async resync(timeoutMs: number): Promise<number> {
    const target = (await this.docs.status()).streamInfo.state.last_seq;
    if (target === 0) return 0;
    const iterator = await this.docs.watch({ key: ">" });
    const timer = setTimeout(() => iterator.stop(), timeoutMs);
    let written = 0;
    let reached = 0;
    try {
      for await (const entry of iterator) {
        if (entry.operation === "PUT") {
          this.write(entry.key, entry.value);
          written += 1;
        }
        reached = Math.max(reached, entry.revision);
        if (reached >= target) break;
      }
    } finally {
      clearTimeout(timer);
      iterator.stop();
    }
    if (reached < target) throw new Error(`replica resync reached revision ${reached} of ${target} in ${timeoutMs} ms`);
    return written;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatch?.();
    this.store.close();
    this.subscribers.close();
  }

  private write(key: string, value: Uint8Array): void {
    try {
      const record = unpack<ReplicatedRecord>(value);
      if (record.kind === "subscriber") this.subscribers.apply(record);
      else this.store.apply(record);
    } catch (error) {
      console.error(`haetae: tower document ${key} not applied: ${(error as Error).message}`);
    }
  }

  private async watch(): Promise<void> {
    const iterator = await this.docs.watch({ key: ">" });
    this.stopWatch = () => iterator.stop();
    void (async () => {
      for await (const entry of iterator) {
        if (entry.operation === "PUT") this.write(entry.key, entry.value);
        this.applied = Math.max(this.applied, entry.revision);
        for (const waiter of this.waiters) waiter();
        this.waiters.clear();
      }
    })().catch((error: Error) => {
      if (!this.closed) console.error("haetae: the tower replica stopped:", error.message);
    });
  }
}
