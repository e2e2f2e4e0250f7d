/**
 * @module `bench:connections --nodes N`: idle authenticated sessions across N Haetae processes in
 * the scale-out mode (PostgreSQL + NATS), opened by G generator processes each bound to its own
 * loopback source address (127.0.0.2, 127.0.0.3, …) so no one address runs out of ephemeral
 * ports; a process here may hold at most 20,000 open files, so neither a node nor a generator
 * holds more than 19,000. Then, in the same run, a bare `ws` server holding one node's share of
 * connections (the peer). Prints total and per-node server RSS, memory per session, the peer's
 * memory per connection, and the ratio.
 *
 * Accounts: each costs a scrypt hash to register (at `--scrypt-log-n 10`, the lowest allowed), so
 * `--sessions-per-account` sessions share one account's device token; the server holds each as a
 * session of its own (its socket, queue, rate limiter, presence entry of the account).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type Child, freePort, ROOT, startChild } from "../test/child-server.js";
import { BenchCluster, openFiles, registerAccounts } from "./bench-cluster.js";
import type { IdlePlan, IdleProgress } from "./idle-generator.js";
import { machineMs, rssOf, sleep } from "./proc-stats.js";

const FD_BUDGET = 19_000;

/** Options of {@link runScaleOut}, from `bench/connections.ts`'s flags. */
export interface ScaleOutOptions {
  connections: number;
  nodes: number;
  generators: number;
  sessionsPerAccount: number;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const total = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Spread `connections` over `generators` processes and wait until every one is open. */
async function openAll(
  generators: number,
  connections: { url: string; token?: string }[],
  label: string,
): Promise<ChildProcess[]> {
  const started = Date.now();
  const children = Array.from({ length: generators }, () =>
    spawn(process.execPath, ["--import", "tsx", "bench/idle-generator.ts"], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const progress = children.map(() => 0);
  const failures: Record<string, number> = {};
  await Promise.all(
    children.map(
      (child, g) =>
        new Promise<void>((resolve, reject) => {
          child.on("message", (m: IdleProgress) => {
            progress[g] = m.open;
            if (m.type === "open") {
              for (const [k, n] of Object.entries(m.failures)) failures[k] = (failures[k] ?? 0) + n;
              resolve();
            }
          });
          child.once("exit", (code) => reject(new Error(`idle generator ${g} exited with ${code}`)));
          const plan: IdlePlan = {
            type: "plan",
            localAddress: `127.0.0.${g + 2}`,
            connections: connections.filter((_, k) => k % generators === g),
          };
          child.send(plan);
        }),
    ),
  );
  const failed = Object.entries(failures).map(([k, n]) => `${n} × ${k}`);
  console.log(
    `  ${label}: ${total(progress)} connections open in ${((Date.now() - started) / 1000).toFixed(1)} s from ${generators} processes${failed.length > 0 ? `; refused or failed attempts (retried): ${failed.join("; ")}` : ""}`,
  );
  return children;
}

async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** A bare `ws` server (no auth, no state) in its own process. */
async function startPeer(): Promise<Child & { port: number }> {
  const port = await freePort();
  const peer = await startChild({
    name: "bare ws peer",
    args: [
      "-e",
      `const { WebSocketServer } = require("ws"); new WebSocketServer({ port: ${port}, host: "127.0.0.1", perMessageDeflate: false }); console.log("listening");`,
    ],
    ready: { line: "listening" },
    echoStderr: { prefix: "", upTo: Number.POSITIVE_INFINITY },
  });
  return { ...peer, port };
}

/** Run the scale-out measurement and print its figures. */
export async function runScaleOut(options: ScaleOutOptions): Promise<void> {
  const { connections: N, nodes, generators, sessionsPerAccount } = options;
  if (N / nodes > FD_BUDGET || N / generators > FD_BUDGET) {
    throw new Error(`at most ${FD_BUDGET} connections per process: raise --nodes and --generators`);
  }
  console.log(
    `bench:connections scale-out — ${N} idle sessions over ${nodes} nodes (PostgreSQL + NATS) from ${generators} generator processes, ${sessionsPerAccount} sessions per account`,
  );
  const cluster = await BenchCluster.start({
    nodes,
    // Admission is not what this measures: open the sessions as fast as the nodes take them.
    serverArgs: ["--connections-per-second", "100000", "--connection-burst", "100000"],
  });
  let clients: ChildProcess[] = [];
  const machineStart = machineMs();
  const wallStart = Date.now();
  try {
    const accounts = await registerAccounts(cluster.urls, Math.ceil(N / sessionsPerAccount), "idle");
    console.log(`  ${accounts.length} accounts registered`);
    await sleep(3000);
    const pids = cluster.nodes.map((n) => n.child.pid as number);
    const before = pids.map(rssOf);
    const plan = Array.from({ length: N }, (_, k) => {
      const node = k % nodes;
      return {
        url: `ws://127.0.0.1:${cluster.nodes[node]?.port}/api/v1/ws`,
        token: accounts[Math.floor(k / sessionsPerAccount)]?.token as string,
      };
    });
    clients = await openAll(generators, plan, "haetae");
    await sleep(10_000); // let allocation settle and the first heartbeat pass
    const after = pids.map(rssOf);
    const sessions = await Promise.all(cluster.nodes.map((_, i) => cluster.metric(i, "haetae_ws_connections")));
    const fds = pids.map(openFiles);
    const clientFds = clients.map((c) => openFiles(c.pid as number));
    const perSession = (total(after) - total(before)) / N;
    console.log(`  sessions held per node (haetae_ws_connections): ${sessions.join(" + ")} = ${total(sessions)}`);
    console.log(`  open files per node: ${fds.join(", ")}; per generator: ${clientFds.join(", ")}`);
    console.log(
      `  server RSS per node before → after (MiB): ${before.map((b, i) => `${mib(b)} → ${mib(after[i] ?? 0)}`).join(", ")}`,
    );
    console.log(
      `  total server RSS: ${mib(total(after))} MiB (${(total(after) / 2 ** 30).toFixed(2)} GiB) for ${total(sessions)} sessions; ${mib(total(before))} MiB of it before any session`,
    );
    await killAll(clients);
    clients = [];
    await cluster.stop();

    const share = Math.ceil(N / nodes);
    const peer = await startPeer();
    await sleep(1500);
    const peerBefore = rssOf(peer.pid);
    const peerPlan = Array.from({ length: share }, () => ({ url: `ws://127.0.0.1:${peer.port}` }));
    clients = await openAll(Math.max(1, Math.ceil(share / FD_BUDGET)), peerPlan, "bare ws peer");
    await sleep(10_000);
    const peerAfter = rssOf(peer.pid);
    const perPeer = (peerAfter - peerBefore) / share;
    await killAll(clients);
    clients = [];
    await peer.kill();
    const machineEnd = machineMs();
    const busy = (machineEnd.busy - machineStart.busy) / (Date.now() - wallStart);

    console.log("\n| server | sessions | RSS before → after, MiB | KB per session |\n|---|---|---|---|");
    console.log(
      `| haetae, ${nodes} nodes (authenticated sessions, presence, rate limiter) | ${total(sessions)} | ${mib(total(before))} → ${mib(total(after))} | ${kib(perSession)} |`,
    );
    console.log(
      `| bare ws server (peer), one process | ${share} | ${mib(peerBefore)} → ${mib(peerAfter)} | ${kib(perPeer)} |`,
    );
    console.log(`ratio haetae/peer per session: ${(perSession / perPeer).toFixed(2)}`);
    console.log(
      `machine busy during the run, this benchmark and everything else (share of one core, 2 cores): ${(busy * 100).toFixed(0)} %`,
    );
  } finally {
    await killAll(clients);
    await cluster.stop().catch(() => undefined);
  }
}
