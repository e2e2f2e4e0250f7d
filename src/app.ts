/** @module The composition root: the only place that picks the store and bus adapters and wires the parts. */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { openBlobStore, openBus, openStore } from "./adapters.js";
import type { Bus } from "./bus/bus.js";
import { promoteConfiguredAdmins } from "./chat/accounts.js";
import { startFileSweeper } from "./chat/actions/files.js";
import { LinkPreviewer } from "./chat/actions/link-previews.js";
import { type ChatContext, publishEvent } from "./chat/context.js";
import { DeviceSeen } from "./chat/device-seen.js";
import { sweepWsTickets } from "./chat/ws-tickets.js";
import type { Config } from "./config/config.js";
import { createHttpServer } from "./gateway/http-server.js";
import { createOpsRoutes } from "./gateway/ops-routes.js";
import { PushDispatcher } from "./gateway/push-dispatcher.js";
import { Readiness } from "./gateway/readiness.js";
import { loadVapidKeys, type VapidKeys } from "./gateway/vapid-keys.js";
import { WsGateway } from "./gateway/ws-gateway.js";
import { LEVEL_EFFECTS, LoadLevels, sampleProcess } from "./guard/load-levels.js";
import { ReceiptCoalescer } from "./guard/receipt-coalescer.js";
import type { Replica } from "./ops/link/nats-replication.js";
import type { TowerNames } from "./ops/link/nats-tower-link.js";
import { localTowerApi, remoteTowerApi, type TowerLink } from "./ops/link/tower-api.js";
import { TowerMirror } from "./ops/link/tower-mirror.js";
import { startTowerService, type TowerService } from "./ops/link/tower-service.js";
import { Metrics } from "./ops/metrics.js";
import { ensureCanaryAccounts } from "./ops/monitoring/canary-accounts.js";
import { createMonitoring, type Monitoring } from "./ops/monitoring/monitoring.js";
import { localBaseUrl } from "./ops/monitoring/probe-runner.js";
import { type PropagationNode, startPropagation } from "./ops/propagation/propagation-node.js";
import { type SliEvent, SliRecorder } from "./ops/sli-recorder.js";
import { claimPageIdentity, type PageIdentity } from "./ops/tower/page-identity.js";
import { Tower } from "./ops/tower/tower.js";
import { securePrivateFolder } from "./store/data-folder.js";
import type { Store } from "./store/store.js";

/** A running node. */
export interface App {
  readonly config: Config;
  readonly server: Server;
  readonly ctx: ChatContext;
  /** The node's degradation levels (an operator or a test may pin a floor). */
  readonly load: LoadLevels;
  /** The link-preview worker (its counts, and `idle()` for tests). */
  readonly previews: LinkPreviewer;
  /** The port it listens on (the real one when the config said 0). */
  readonly port: number;
  readonly url: string;
  /** Service-level indicator events of this node (probes and real traffic). */
  readonly sli: SliRecorder;
  /**
   * The control tower, null when `tower` is off: `tower.ingestAlert` takes alerts, `tower.subscribe`
   * (a TowerFeed) hears its public changes.
   */
  readonly tower: Tower | null;
  /**
   * Probes, SLO burn rates and burn-rate alerts (docs/monitoring.md); the alerts go to the tower,
   * or to the log when the tower is off.
   */
  readonly monitoring: Monitoring;
  /**
   * The status page, banner, webhooks, subscribers and staff chat: `propagation.attach(tower)`
   * spreads a tower's changes.
   */
  readonly propagation: PropagationNode;
  /** Web Push for messages to devices with no live, visible session (docs/notifications.md). */
  readonly pushes: PushDispatcher;
  /** Close sessions with "reconnect elsewhere", stop listening, close the store and bus. */
  stop(): Promise<void>;
}

/** Hand `sli`'s events to a linked tower every `SLI_REPORT_MS`, batched; returns the way to stop. */
function reportSli(sli: SliRecorder, link: TowerLink): () => void {
  let batch: SliEvent[] = [];
  const off = sli.subscribe((event) => batch.push(event));
  const timer = setInterval(() => {
    if (batch.length === 0) return;
    link.reportSli(batch);
    batch = [];
  }, SLI_REPORT_MS);
  timer.unref();
  return () => {
    off();
    clearInterval(timer);
    if (batch.length > 0) link.reportSli(batch);
  };
}

/** Reject when `promise` takes longer than `ms`: a readiness probe must answer even when a dependency hangs. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** How a node is started beside the configuration. */
export interface StartOptions {
  /**
   * The control tower runs in another process, reached over this link (a supervised node: the
   * watcher; a cluster's follower: the leader). The node then keeps no tower of its own: its ops
   * API calls over the link, its status page, banner and staff chat mirror the link's feed, and
   * its SLI events and burn-rate alerts go to that tower.
   */
  towerLink?: TowerLink;
  /**
   * The chat store, opened by the caller (the watched node opens it before loading the chat
   * modules, so SQLite's threads start beside them); the node owns it from here and closes it.
   */
  store?: Store;
  /**
   * A bus opened by the caller, used instead of the one `config.bus` names, and closed by the
   * node when it stops: a test wraps a real bus to hold some news back at a chosen moment.
   */
  bus?: Bus;
}

/** How often a linked node hands its SLI events to the tower. */
const SLI_REPORT_MS = 500;

/**
 * Start a node with this configuration and resolve once it listens. With `towerLead: "lease"`
 * (scale-out on NATS) the node reaches the tower through NATS and, while `tower` is on, contends
 * for the lease that makes one node at a time run it (`startLeasedNode`).
 */
export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  if (config.towerLead === "lease" && !options.towerLink) return startLeasedNode(config);
  return startNode(config, options);
}

/**
 * A node of a cluster whose tower moves: its chat side always talks to "the tower" through NATS
 * (even while it leads), every node keeps a replica of the tower's documents in its own
 * `ops.sqlite`, and the node holding the lease also runs the tower service from that replica and
 * serves it over NATS, until it loses the lease.
 */
async function startLeasedNode(config: Config): Promise<App> {
  if (config.bus === "memory") throw new Error('towerLead "lease" needs a NATS bus (--bus nats://…)');
  const { connectTowerNats, NatsTowerLink, towerNames } = await import("./ops/link/nats-tower-link.js");
  const { Replica } = await import("./ops/link/nats-replication.js");
  const names = towerNames(config.bus);
  const nc = await connectTowerNats(config.bus, `haetae-tower-${randomUUID().slice(0, 8)}`);
  const closers: (() => Promise<void> | void)[] = [() => nc.close()];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        console.error("haetae: closing the tower's NATS parts:", (error as Error).message);
      }
    }
  };
  try {
    const link = await NatsTowerLink.open(nc, names);
    closers.push(() => link.close());
    const app = await startNode(config, { towerLink: link });
    closers.push(() => app.stop());
    const replica = await Replica.open(nc, names, config.data);
    closers.push(() => replica.close());
    if (config.tower === "on") {
      // Claimed while the store answers (at start); a leader elected during a store outage reuses it.
      const identity = await claimPageIdentity(
        app.ctx.store,
        config.towerComponents.map((c) => c.id),
        new Date(),
      );
      const leadership = await contendForTower(config, { nc, names, replica, identity, url: app.url });
      closers.push(() => leadership.stop());
    }
    return { ...app, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Contend for the tower's lease; while it holds it, run the tower service and serve it over NATS. */
async function contendForTower(
  config: Config,
  parts: { nc: NatsConnection; names: TowerNames; replica: Replica; identity: PageIdentity; url: string },
): Promise<{ stop(): Promise<void> }> {
  const { nc, names, replica } = parts;
  const { openDocsBucket, Replicator } = await import("./ops/link/nats-replication.js");
  const { serveTowerHost } = await import("./ops/link/nats-tower-link.js");
  const { TowerLease } = await import("./ops/link/tower-lease.js");
  const docs = await openDocsBucket(nc, names);
  let service: TowerService | undefined;
  let stopServing: (() => Promise<void>) | undefined;
  let transition: Promise<void> = Promise.resolve();
  let stopped = false;
  const lead = async () => {
    if (service || !lease.leads()) return;
    // Every document the last leader replicated is in this node's files, as the bucket has it,
    // before its tower loads them.
    await replica.caughtUp(config.towerLeaseTtlMs);
    const resynced = await replica.resync(config.towerLeaseTtlMs);
    if (!lease.leads()) return;
    const replicator = new Replicator(docs, () => lease.leads());
    service = await startTowerService(
      { ...config, statusPort: 0 }, // every node serves the page from the feed on its own port
      {
        sli: new SliRecorder(),
        identity: parts.identity,
        onSave: (record) => replicator.record(record),
        onSubscriberChange: (record) => replicator.record(record),
      },
    );
    if (config.publicUrl === "") service.tower.setPage({ url: parts.url });
    stopServing = await serveTowerHost(nc, names, {
      host: service.host,
      leads: () => lease.leads(),
      beforeReply: () => replicator.flush(),
    });
    console.warn(`haetae: this node leads the control tower (${resynced} documents, revision ${replica.revision})`);
  };
  const follow = async () => {
    if (!service) return;
    const stopping = service;
    service = undefined;
    await stopServing?.();
    stopServing = undefined;
    await stopping.close();
    console.warn("haetae: this node no longer leads the control tower");
  };
  const lease = await TowerLease.open(nc, names.leaseBucket, {
    holder: parts.url,
    ttlMs: config.towerLeaseTtlMs,
    onChange: (leading) => {
      transition = transition
        .then(() => (leading ? lead() : follow()))
        .catch(async (error: Error) => {
          console.error(`haetae: the tower did not start here, giving the lease up: ${error.message}`);
          await follow().catch(() => {});
          await lease.stop();
          // Another candidate takes it meanwhile; this one tries again after a TTL.
          if (!stopped) setTimeout(() => !stopped && lease.start(), config.towerLeaseTtlMs).unref();
        });
    },
  });
  lease.start();
  return {
    async stop() {
      stopped = true;
      await lease.stop();
      await transition;
      await follow();
    },
  };
}

async function startNode(config: Config, options: StartOptions): Promise<App> {
  const link = options.towerLink;
  const nodeId = randomUUID();
  // Before anything writes there: the chat store, the tower, the canaries, the subscribers.
  securePrivateFolder(config.data);
  const store = options.store ?? (await openStore(config));
  let vapid: VapidKeys;
  try {
    // Web Push's key pair, from the config or made once in the (now private) data folder or the shared store.
    vapid = await loadVapidKeys(config, store);
    await promoteConfiguredAdmins(store, config.adminUsernames);
  } catch (error) {
    await store.close();
    throw error;
  }
  let bus: Bus;
  try {
    bus = options.bus ?? (await openBus(config, nodeId));
  } catch (error) {
    await store.close();
    throw error;
  }
  const metrics = new Metrics();
  const load = new LoadLevels(config);
  load.pin(config.degradationFloor);
  load.onChange((level, sample) => {
    metrics.degradationLevel.set(level);
    metrics.degradationChanges.inc({ level: String(level) });
    console.warn(
      `haetae: degradation level ${level} (${LEVEL_EFFECTS[level]}); lag ${sample.lagMs.toFixed(0)} ms, ` +
        `${sample.pendingWrites} writes queued, ${sample.rssMb.toFixed(0)} MB`,
    );
  });
  const stopSampling = sampleProcess(load, () => store.pendingWrites, config.loadSampleMs);
  const sli = new SliRecorder();
  // The tower keeps its own SQLite file in the data folder, apart from the chat store it watches.
  // Its page id and components' creation times are claimed once in the shared store (read at start only).
  const tower =
    config.tower === "on" && !link
      ? new Tower({
          dataDir: config.data,
          sli,
          config,
          registry: metrics.registry,
          identity: await claimPageIdentity(
            store,
            config.towerComponents.map((c) => c.id),
            new Date(),
          ),
        })
      : null;
  // The canaries are made by the server, marked as system accounts (ctx exists by the first probe run).
  const monitoring = createMonitoring(config, sli, metrics, (credentials) => ensureCanaryAccounts(ctx, credentials));
  const towerApi = tower ? localTowerApi(tower) : link ? remoteTowerApi(link) : undefined;
  if (towerApi) {
    monitoring.setAlertSink((alert) => {
      towerApi.ingestAlert(alert).catch((error: Error) => {
        console.warn(`haetae: the tower did not take ${alert.action} ${alert.dedupKey}: ${error.message}`);
      });
    });
  }
  const stopSliReports = link ? reportSli(sli, link) : () => {};
  const blobs = await openBlobStore(config);
  await blobs.clearStaging();
  const ctx: ChatContext = {
    store,
    bus,
    limits: config,
    now: () => new Date(),
    load,
    receipts: new ReceiptCoalescer((audience, event) => publishEvent(ctx, audience, event)),
    seen: new DeviceSeen(store),
    blobs,
  };
  const previews = new LinkPreviewer(ctx, config);
  ctx.previews = previews;
  let stopping: Promise<void> | undefined;
  const stopTicketSweep = sweepWsTickets(ctx);
  const stopFileSweep = startFileSweeper(ctx, config.fileSweepMs);
  // A device with a live, visible session shows a message there (the web client notifies in the tab); the others get a push.
  const pushes = new PushDispatcher(store, config, vapid, metrics, load, (deviceId, since) =>
    gateway.isAttended(deviceId, since),
  );
  ctx.notifier = pushes;
  const gateway = new WsGateway(ctx, bus, config, metrics, nodeId, monitoring.traffic, {
    publicKey: vapid.publicKey,
    allowPrivateEndpoints: config.pushPrivateEndpoints,
  });
  // A message that reached a device on another node just after its tab hid or closed there: a push held for it is owed.
  gateway.onAttentionMissed((missed) => pushes.heard(missed));
  await bus.ping(); // the gateway's subscriptions are in effect before the first client arrives
  // Pushes that waited for a retry when a node stopped (this one, or any: each is taken once).
  pushes.resume().catch((error: Error) => console.error("haetae: resuming push retries failed:", error.message));
  const propagation = await startPropagation(config, {
    ctx,
    sessions: {
      addGreeting: (greet) => gateway.addGreeting(greet),
      // A tower in this process feeds this node only (a cluster's other nodes hear it over the
      // bus); a linked node's tower feeds every node, so each reaches its own sessions.
      broadcast: link
        ? (frame) => gateway.broadcast(frame)
        : (frame) =>
            void bus
              .publish({ audience: [], everyone: true, frame, ephemeral: false })
              .catch((error: Error) => console.error("incident banner publish failed:", error.message)),
    },
    place: link ? { tower: "elsewhere", link } : { tower: "here" },
  });
  // /readyz: the store and bus asked one at a time, a busy store answered from its last success.
  const readiness = new Readiness(async () => {
    await Promise.all([within(store.ping(), 2000, "the store"), within(bus.ping(), 2000, "the bus")]);
  });
  const server = createHttpServer({
    ctx,
    gateway,
    metrics,
    maxHttpBodyBytes: config.maxHttpBodyBytes,
    limits: config,
    opsRoutes: towerApi
      ? createOpsRoutes({
          ctx,
          tower: towerApi,
          alertToken: config.alertToken,
          adminUsernames: config.adminUsernames,
          maxHttpBodyBytes: config.maxHttpBodyBytes,
          monitoring,
        })
      : undefined,
    statusRoutes: propagation.routes,
    traffic: monitoring.traffic,
    publicUrl: config.publicUrl,
    uploadsPerMinute: config.uploadsPerMinute,
    tusDirectory: join(config.data, "files", "tus"),
    webSettings: {
      statusPageUrl: config.statusPageUrl,
      statusPort: config.statusPort,
      statusAfterMs: config.offlineStatusAfterMs,
      statusEveryMs: config.offlineStatusEveryMs,
      maxTextLength: config.maxTextLength,
    },
    ready: async () => {
      if (stopping) throw new Error("draining: shutting down");
      await readiness.ready();
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A storm's connections wait in the kernel's accept queue while the event loop is busy; with
    // Node's default of 511 the queue overflowed (hundreds of thousands of dropped handshakes in
    // one bench:storm run) and every dropped client waited out TCP's retransmit, 1 s, 3 s, 7 s….
    server.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  // The page's links (incidents, subscriptions, Statuspage's page.url) use the address the public reaches.
  tower?.setPage({ url: config.publicUrl === "" ? url : config.publicUrl.replace(/\/+$/, "") });
  // The probes dial this node's own public address, through the same sockets users use.
  monitoring.start(localBaseUrl(config.host, port));
  if (tower) propagation.attach(tower); // status page, banner, webhooks, subscribers, staff chat
  let stopMirror = () => {};
  if (link) {
    const mirror = new TowerMirror();
    propagation.attach(mirror); // the page, banner and staff chat follow the linked tower
    const offState = mirror.onState((snapshot) => propagation.propagation.refresh(snapshot));
    const offFeed = link.onFeed((message) => mirror.apply(message));
    stopMirror = () => {
      offFeed();
      offState();
    };
  }
  return {
    config,
    server,
    ctx,
    load,
    previews,
    port,
    tower,
    sli,
    monitoring,
    propagation,
    url,
    pushes,
    stop() {
      stopping ??= (async () => {
        await monitoring.stop(); // probes must not measure the shutdown as an outage
        // Stop taking connections, let requests already taken finish (their writes commit and
        // their replies go out), then tell every client to reconnect elsewhere.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await gateway.drain(config.shutdownTimeoutMs / 2);
        gateway.close();
        pushes.close();
        server.closeAllConnections();
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
        stopSampling();
        stopTicketSweep();
        stopFileSweep();
        previews.stop();
        // A fetch still running ends by its own deadline; its write must not find the store closed.
        await Promise.race([previews.idle(), new Promise((resolve) => setTimeout(resolve, 2000))]);
        blobs.close?.();
        tower?.close();
        stopMirror();
        stopSliReports();
        await propagation.close();
        ctx.receipts.close();
        await ctx.seen.close();
        await store.close();
        await bus.close();
      })();
      return stopping;
    },
  };
}
