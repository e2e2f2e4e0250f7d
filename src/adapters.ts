/**
 * @module The composition root's adapter choice: the store, the blob store and the bus the
 * configuration names. Adapters other than the embedded defaults load only when named, so a node
 * on SQLite never holds pg, the S3 SDK or the NATS client, and the watcher can open a store
 * without loading the chat node.
 */
import { join } from "node:path";
import type { Bus } from "./bus/bus.js";
import { MemoryBus } from "./bus/memory-bus.js";
import type { Config } from "./config/config.js";
import type { BlobStore } from "./store/blob-store.js";
import { DiskBlobStore } from "./store/disk/disk-blob-store.js";
import { openSqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/store.js";

/**
 * Open the store the configuration names. `brief`: for a process that makes a few writes and
 * closes it again (`haetae role`, the watcher's page identity): SQLite then writes on the calling
 * thread instead of starting its writer and checkpointer threads.
 */
export async function openStore(config: Config, { brief = false } = {}): Promise<Store> {
  const options = { maxPendingWrites: config.maxPendingWrites, readPoolSize: config.storeReadConnections };
  if (config.store === "sqlite") return openSqliteStore(config.data, { ...options, inlineWriter: brief });
  // Loaded only when named: an embedded node never pays for pg in memory or start time.
  const { openPostgresStore } = await import("./store/postgres/postgres-store.js");
  return openPostgresStore(config.store, options);
}

/** The blob store the configuration names: the data folder's, or an S3 bucket (its SDK loaded only then). */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  // Uploads live under the data folder; a staging file left by a killed upload never became a file.
  if (config.s3Endpoint === "") return new DiskBlobStore(join(config.data, "files"));
  const { S3BlobStore } = await import("./store/s3/s3-blob-store.js");
  return new S3BlobStore(
    {
      endpoint: config.s3Endpoint,
      bucket: config.s3Bucket,
      region: config.s3Region,
      accessKeyId: config.s3AccessKeyId,
      secretAccessKey: config.s3SecretAccessKey,
      prefix: config.s3Prefix,
    },
    join(config.data, "files"),
  );
}

/** The bus the configuration names: in-process, or NATS (its client loaded only then). */
export async function openBus(config: Config, nodeId: string): Promise<Bus> {
  if (config.bus === "memory") return new MemoryBus();
  const { NatsBus } = await import("./bus/nats-bus.js");
  // A node of the release before batches shows itself at least once a heartbeat while it has users.
  return NatsBus.connect(config.bus, `haetae-${nodeId}`, 3 * config.heartbeatMs);
}
