/** @module The composition root: the only place that picks the store and bus adapters and wires the parts. */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Bus } from "./bus/bus.js";
import { MemoryBus } from "./bus/memory-bus.js";
import type { ChatContext } from "./chat/context.js";
import { type Config, ConfigError } from "./config/config.js";
import { createHttpServer } from "./gateway/http-server.js";
import { WsGateway } from "./gateway/ws-gateway.js";
import { Metrics } from "./ops/metrics.js";
import { openSqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/store.js";

/** A running node. */
export interface App {
  readonly config: Config;
  readonly server: Server;
  readonly ctx: ChatContext;
  /** The port it listens on (the real one when the config said 0). */
  readonly port: number;
  readonly url: string;
  /** Close sessions with "reconnect elsewhere", stop listening, close the store and bus. */
  stop(): Promise<void>;
}

function openStore(config: Config): Store {
  if (config.store === "sqlite") return openSqliteStore(config.data);
  throw new ConfigError(
    `store: ${config.store.split("@").pop()} — PostgreSQL is not available in this build yet; use "sqlite"`,
  );
}

function openBus(config: Config): Bus {
  if (config.bus === "memory") return new MemoryBus();
  throw new ConfigError(`bus: ${config.bus} — NATS is not available in this build yet; use "memory"`);
}

/** Start a node with this configuration and resolve once it listens. */
export async function startApp(config: Config): Promise<App> {
  const store = openStore(config);
  const bus = openBus(config);
  const metrics = new Metrics();
  const ctx: ChatContext = {
    store,
    bus,
    limits: config,
    now: () => new Date(),
  };
  const gateway = new WsGateway(ctx, bus, config, metrics, randomUUID());
  const server = createHttpServer({
    ctx,
    gateway,
    metrics,
    maxHttpBodyBytes: config.maxHttpBodyBytes,
    ready: async () => {
      await Promise.all([store.ping(), bus.ping()]);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    config,
    server,
    ctx,
    port,
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    stop() {
      stopping ??= (async () => {
        gateway.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await bus.close();
        await store.close();
      })();
      return stopping;
    },
  };
}
