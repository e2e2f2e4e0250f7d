/**
 * @module The `haetae` command line: `haetae serve [flags]` (on the embedded default, a watcher
 * with the node in a child process), `haetae tower [flags]` (the tower watching nodes from
 * outside), `haetae role <username> <role> [flags]`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createServer } from "node:net";
import type { App } from "./app.js";
import { type Config, ConfigError, configKeys, envName, flagName, loadConfig } from "./config/config.js";
import { giveBackIdleYoungGeneration } from "./ops/idle-young-generation.js";
import type { TowerService } from "./ops/link/tower-service.js";
import type { SliRecorder } from "./ops/sli-recorder.js";
import type { PageIdentity } from "./ops/tower/page-identity.js";
import type { UserRole } from "./protocol/index.js";

// Each command imports what it runs when it runs (below), not here: the watched node and the
// watcher are the same entry in two processes, and each spent most of its start-up CPU loading
// the other's modules (docs/benchmarks.md, "An idle node").

/** The help text; made when printed, as it builds the configuration schema for its list of flags. */
const usage = () => `Usage: haetae serve [--config file.json] [flags]
         (on the embedded default, the node runs under a watcher that serves the status page on
          --status-port, 8081 unless set; --supervise false runs the node alone)
       haetae tower --watch-urls http://node:8080[,…] [--config file.json] [flags]
         (the tower as its own process, watching nodes from outside; status page on --status-port)
       haetae role <username> <user|staff|admin> [--config file.json] [flags]
         (sets a user's role in the store that serve would open with the same flags)

Flags (each also an environment variable; flags win over environment, environment over file):
${configKeys()
  .map((key) => `  --${flagName(key).padEnd(28)} ${envName(key)}`)
  .join("\n")}

See docs/config.md for what each one means and its default.`;

/** The configuration from these flags and the environment, or null after printing why not. */
function configOrNull(argv: string[]): ReturnType<typeof loadConfig> | null {
  try {
    return loadConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`haetae: ${error.message}`);
      return null;
    }
    throw error;
  }
}

/** `haetae role <username> <role>`: the way to name staff without the ops API (which needs a staff role). */
async function setRole(argv: string[]): Promise<number> {
  const [username, role, ...flags] = argv;
  const { USER_ROLES } = await import("./protocol/index.js");
  if (!username || !role || !(USER_ROLES as readonly string[]).includes(role)) {
    console.error(`haetae: role needs a username and one of ${USER_ROLES.join(", ")}\n\n${usage()}`);
    return 2;
  }
  const config = configOrNull(flags);
  if (!config) return 2;
  const { openStore } = await import("./adapters.js");
  const store = await openStore(config, { brief: true });
  try {
    const user = await store.setRole(username.trim().toLowerCase(), role as UserRole);
    if (!user) {
      console.error(`haetae: there is no user "${username}"`);
      return 1;
    }
    console.log(`haetae: ${user.username} is now ${user.role}`);
    return 0;
  } finally {
    await store.close();
  }
}

/** The status port of a watcher (`haetae serve` supervised, `haetae tower`): `statusPort`, or 8081 when it is 0. */
export const WATCHER_STATUS_PORT = 8081;

/** Whether `haetae serve` runs the node under a watcher: on the embedded default, unless `supervise` is false. */
function supervised(config: Config): boolean {
  return config.supervise && config.tower === "on" && config.store === "sqlite" && config.bus === "memory";
}

/** A port free on `host` a moment ago: the node's port pinned before the first fork, so restarts keep it. */
function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Claim the page identity in the store the configuration names, and close it again. */
async function pageIdentity(config: Config): Promise<PageIdentity> {
  const [{ openStore }, { claimPageIdentity }] = await Promise.all([
    import("./adapters.js"),
    import("./ops/tower/page-identity.js"),
  ]);
  const store = await openStore(config, { brief: true });
  try {
    return await claimPageIdentity(
      store,
      config.towerComponents.map((c) => c.id),
      new Date(),
    );
  } finally {
    await store.close();
  }
}

/** The tower service of a watcher: its status listener on `statusPort`, or 8081. */
async function towerService(config: Config, identity: PageIdentity, sli?: SliRecorder): Promise<TowerService> {
  const [{ startTowerService }, { SliRecorder }] = await Promise.all([
    import("./ops/link/tower-service.js"),
    import("./ops/sli-recorder.js"),
  ]);
  const statusPort = config.statusPort === 0 ? WATCHER_STATUS_PORT : config.statusPort;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  // The page's links use the address the public reaches: `publicUrl`, else this status listener.
  const publicUrl = config.publicUrl === "" ? `http://${host}:${statusPort}` : config.publicUrl;
  return startTowerService({ ...config, statusPort, publicUrl }, { sli: sli ?? new SliRecorder(), identity });
}

/**
 * Run until SIGTERM or SIGINT (or whatever `also` hooks to the shutdown), then `stop` and exit 0
 * (1 if stopping fails or outlasts `timeoutMs`). A second signal during the stop changes nothing.
 */
function untilSignal(
  stop: () => Promise<void>,
  timeoutMs: number,
  name = "haetae",
  also: (shutdown: (why: string) => void) => void = () => {},
): number {
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${name}: ${why}, shutting down`);
    const force = setTimeout(() => process.exit(1), timeoutMs);
    force.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${name}: shutdown failed:`, error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  also(shutdown);
  return -1;
}

/** Resolve when the child says it listens (its link's `ready`), exits or cannot start, or after `ms`. */
function firstStart(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", done);
      child.off("error", done);
      resolve();
    };
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type === "ready") done();
    };
    const timer = setTimeout(done, ms);
    child.on("message", onMessage);
    child.once("exit", done);
    child.once("error", done);
  });
}

/** How long the watcher's own start waits for its first node to say it listens (or to exit). */
const NODE_FIRST_START_MS = 5000;

/**
 * `haetae serve` supervised: the tower and the status page here, the node in a child process
 * (this command again as `watched-node`, over an IPC channel). The node is started first and
 * the watcher's own start (the page identity claimed in the chat store, the tower service and
 * its status page) waits until the node listens, exits, or `NODE_FIRST_START_MS` pass: on two
 * cores the two starts beside each other made the node's the longer one (docs/benchmarks.md,
 * "The node starts first").
 */
/**
 * The chat node's environment: the watcher's, with glibc's allocator held to one arena unless it
 * says otherwise (as `bin/haetae.js` starts it), also for a watcher started without that line.
 * Each thread's own arena kept what it once held: an idle node read 80–89 MB with them, 76–79
 * with one (docs/benchmarks.md, "One malloc arena").
 */
function nodeEnvironment(): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: "1", ...process.env };
}

async function watch(config: Config, argv: string[]): Promise<number> {
  const { securePrivateFolder } = await import("./store/data-folder.js");
  const entry = process.argv[1] as string;
  let port: number;
  let first: ChildProcess | undefined;
  const held: unknown[] = [];
  const hold = (message: unknown) => held.push(message);
  let service: TowerService;
  let args: string[];
  // A stop asked while the watcher starts (after its node, below) is carried out once it has.
  let stopAsked: string | undefined;
  const askStop = (signal: NodeJS.Signals) => {
    stopAsked ??= signal;
  };
  process.on("SIGTERM", askStop).on("SIGINT", askStop);
  try {
    securePrivateFolder(config.data);
    port = config.port === 0 ? await freePortOn(config.host) : config.port;
    // The node is told the status port so its web client can ask the watcher's page when the node
    // is gone. The tower service listens on exactly this port (or fails to start), so the node can
    // be started before it. What the node says meanwhile is held for the watcher.
    const statusPort = config.statusPort === 0 ? WATCHER_STATUS_PORT : config.statusPort;
    args = ["watched-node", ...argv, "--port", String(port), "--status-port", String(statusPort)];
    first = fork(entry, args, { detached: true, env: nodeEnvironment() });
    first.on("message", hold);
    await firstStart(first, NODE_FIRST_START_MS);
    // SQLite in WAL mode takes this short write beside the node's writer (its busy timeout waits
    // out a commit under way).
    service = await towerService(config, await pageIdentity(config));
  } catch (error) {
    first?.kill("SIGKILL");
    console.error(`haetae: cannot start: ${(error as Error).message}`);
    return 1;
  }
  const { NodeWatcher } = await import("./ops/link/node-watcher.js");
  // Its own process group: a terminal's Ctrl-C reaches the watcher, which stops the node in order.
  const spawn = (): ChildProcess => {
    const child = first;
    first = undefined;
    if (child) {
      child.off("message", hold);
      if (child.exitCode === null && child.signalCode === null) {
        // The watcher's listeners are on by the time this runs (they are added right after spawn
        // returns); later messages arrive in later turns, so the order is kept.
        queueMicrotask(() => {
          for (const message of held) child.emit("message", message);
        });
        return child;
      }
    }
    return fork(entry, args, { detached: true, env: nodeEnvironment() });
  };
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const watcher = new NodeWatcher({
    settings: config,
    tower: service.tower,
    host: service.host,
    spawn,
    readyUrl: `http://${host}:${port}/readyz`,
  });
  console.log(
    `haetae watcher (pid ${process.pid}): status page on http://${host}:${service.propagation.statusPort}/status, ` +
      `node on http://${host}:${port}`,
  );
  giveBackIdleYoungGeneration();
  return untilSignal(
    async () => {
      await watcher.stop();
      await service.close();
    },
    config.shutdownTimeoutMs + 5000,
    "haetae watcher",
    (shutdown) => {
      process.off("SIGTERM", askStop).off("SIGINT", askStop);
      if (stopAsked) shutdown(stopAsked);
    },
  );
}

/** The node under a watcher: its tower is over the IPC channel; it stops when the channel closes (the watcher died). */
async function watchedNode(config: Config): Promise<number> {
  if (!process.send) {
    console.error("haetae: watched-node runs only under `haetae serve`'s watcher");
    return 2;
  }
  const { childLink } = await import("./ops/link/ipc-link.js");
  const link = childLink();
  let app: App;
  try {
    // The store first: SQLite's writer and indexer threads start while the chat modules load,
    // instead of after them (docs/benchmarks.md, "The node starts first").
    const [{ securePrivateFolder }, { openStore }] = await Promise.all([
      import("./store/data-folder.js"),
      import("./adapters.js"),
    ]);
    securePrivateFolder(config.data);
    const store = await openStore(config);
    const { startApp } = await import("./app.js").catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    app = await startApp(config, { towerLink: link, store });
  } catch (error) {
    console.error(`haetae: cannot start: ${(error as Error).message}`);
    return 1;
  }
  link.ready(app.url);
  giveBackIdleYoungGeneration();
  console.log(`haetae listening on ${app.url} (pid ${process.pid}, under the watcher; store sqlite in ${config.data})`);
  const stop = async () => {
    await app.stop();
    await link.close();
  };
  return untilSignal(stop, config.shutdownTimeoutMs, "haetae", (shutdown) => {
    process.once("disconnect", () => shutdown("the watcher is gone"));
    if (!process.connected) shutdown("the watcher is gone"); // it died while the node started
  });
}

/** `haetae tower`: the tower as its own process, watching `watchUrls` from outside. */
async function outsideTower(config: Config): Promise<number> {
  const urls = config.watchUrls
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
  if (urls.length === 0) {
    console.error(`haetae: tower needs --watch-urls (the nodes' base URLs)\n\n${usage()}`);
    return 2;
  }
  const [{ securePrivateFolder }, { SliRecorder }, { OutsideProbes, outsideProbesOff }, { OutsideWatch }] =
    await Promise.all([
      import("./store/data-folder.js"),
      import("./ops/sli-recorder.js"),
      import("./ops/link/outside-probes.js"),
      import("./ops/link/outside-watch.js"),
    ]);
  let service: TowerService;
  const sli = new SliRecorder();
  try {
    securePrivateFolder(config.data);
    service = await towerService(config, await pageIdentity(config), sli);
  } catch (error) {
    console.error(`haetae: cannot start: ${(error as Error).message}`);
    return 1;
  }
  const watch = new OutsideWatch(service.tower, urls, config);
  const off = outsideProbesOff(config);
  const probes = off === undefined ? new OutsideProbes(service.tower, sli, urls, config) : undefined;
  console.log(
    `haetae tower (pid ${process.pid}): status page on port ${service.propagation.statusPort}, watching ${urls.join(", ")}`,
  );
  giveBackIdleYoungGeneration();
  console.log(
    off === undefined
      ? `haetae tower: public API probes every ${config.probeIntervalMs} ms as ${config.probeUsernamePrefix}_a and _b`
      : `haetae tower: public API probes are off (${off})`,
  );
  return untilSignal(
    async () => {
      await probes?.close();
      watch.close();
      await service.close();
    },
    config.shutdownTimeoutMs,
    "haetae tower",
  );
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(usage());
    return command === undefined ? 2 : 0;
  }
  if (command === "role") return setRole(rest);
  if (command !== "serve" && command !== "tower" && command !== "watched-node") {
    console.error(`haetae: unknown command "${command}"\n\n${usage()}`);
    return 2;
  }
  const config = configOrNull(rest);
  if (!config) return 2;
  if (command === "tower") return outsideTower(config);
  if (command === "watched-node") return watchedNode(config);
  if (supervised(config)) return watch(config, rest);
  // The chat node is loaded only by the process that serves chat: the watcher never needs it.
  const { startApp } = await import("./app.js");
  let app: App;
  try {
    app = await startApp(config);
  } catch (error) {
    console.error(`haetae: cannot start: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    `haetae listening on ${app.url} (store ${config.store === "sqlite" ? `sqlite in ${config.data}` : "postgres"}, bus ${config.bus})`,
  );
  giveBackIdleYoungGeneration();
  return untilSignal(() => app.stop(), config.shutdownTimeoutMs);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error("haetae: fatal:", error);
    process.exit(1);
  },
);
