/**
 * @module Benchmark: acknowledged sends per second through real `haetae serve` processes, the
 * embedded node (SQLite, in-process bus) against one node and N nodes on PostgreSQL + NATS, in
 * the same run and with the same clients: whether adding nodes adds throughput, and how far the
 * scale-out path is from the embedded one.
 *
 * Usage: npm run bench:scale -- [--clients 200] [--window 16] [--seconds 8] [--warmup 5] [--nodes 3]
 *   [--targets embedded,one,many] [--profile] [--bundle]
 *
 * Clients come in pairs, each pair one direct conversation, the two members on different nodes
 * (node i % N), so every send is also a delivery through the bus to another node. Each client
 * keeps `window` sends in flight in its conversation; a send counts when its ack arrives, a
 * refused one waits its `retryAfterMs` before its slot is used again, and every `message.new` a
 * socket receives (the partner's copy and the sender's own) counts as a delivery. The same
 * traffic runs `--warmup` seconds first, not counted: a node that just started compiles its hot
 * code while it serves, and three nodes would each pay that inside the measured seconds.
 * `--profile` runs the PostgreSQL + NATS nodes under `--cpu-prof` and prints each one's top self
 * time; `--bundle` runs every node from the build, as `npm start` does, not from the sources
 * through tsx (built first when a source is newer than it).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { freePort, ROOT, startServe } from "../test/child-server.js";
import { type BenchAccount, BenchCluster, buildIfStale, registerAccounts, watchPostgres } from "./bench-cluster.js";
import { LOOPBACK_ADDRESS_FLAGS, SETUP_FLAGS, UNLIMITED_SEND_FLAGS } from "./bench-flags.js";
import { topSelfTime } from "./cpu-profile.js";
import { cpuMsOf } from "./proc-stats.js";
import { SERVER_NODE_FLAGS } from "./server-node-flags.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    window: { type: "string", default: "16" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "5" },
    nodes: { type: "string", default: "3" },
    targets: { type: "string", default: "embedded,one,many" },
    profile: { type: "boolean", default: false },
    bundle: { type: "boolean", default: false },
  },
});
const CLIENTS = Math.max(2, Number(values.clients) - (Number(values.clients) % 2));
const WINDOW = Number(values.window);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const NODES = Number(values.nodes);
const TARGETS = new Set(values.targets.split(","));
if (values.bundle) buildIfStale();

/** Where the clients connect, and how to stop it. */
interface Target {
  name: string;
  urls: string[];
  pids: () => number[];
  stop: () => Promise<void>;
}

interface Result {
  name: string;
  nodes: number;
  acked: number;
  perSecond: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  /** Server CPU (all nodes, all threads) per acked send, µs. */
  serverUs: number;
  errors: Map<string, number>;
  postgres?: string;
}

const FLAGS = [...SETUP_FLAGS, ...LOOPBACK_ADDRESS_FLAGS, ...UNLIMITED_SEND_FLAGS];

async function embedded(): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-bench-scale-"));
  const server = await startServe({
    port: await freePort(),
    dataDir,
    nodeArgs: [...SERVER_NODE_FLAGS],
    flags: FLAGS,
    timeoutMs: 60_000,
    ...(values.bundle ? { bundle: true } : {}),
  });
  return {
    name: "embedded (sqlite, memory bus)",
    urls: [`http://127.0.0.1:${server.port}`],
    pids: () => [server.process.pid as number],
    stop: async () => {
      await server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function scaleOut(nodes: number): Promise<Target> {
  const profileDir = values.profile ? mkdtempSync(join(tmpdir(), "haetae-scale-profile-")) : undefined;
  const cluster = await BenchCluster.start({
    nodes,
    serverArgs: [...UNLIMITED_SEND_FLAGS],
    ...(profileDir ? { profileDir } : {}),
    ...(values.bundle ? { bundle: true } : {}),
  });
  const name = `${nodes} node${nodes === 1 ? "" : "s"} (postgresql + nats)`;
  return {
    name,
    urls: cluster.urls,
    pids: () => cluster.nodes.map((n) => n.child.pid as number),
    stop: async () => {
      if (profileDir) {
        // SIGTERM, so that each node writes its profile (its whole life: set-up is a small part).
        await Promise.all(cluster.nodes.map((_, i) => cluster.stopNode(i)));
        for (const profile of cluster.profiles()) {
          console.log(`${name}, CPU profile of ${profile.name}, top self time:`);
          for (const line of topSelfTime(profile.file, 0, Number.POSITIVE_INFINITY, ROOT, 20)) console.log(`  ${line}`);
        }
      }
      await cluster.stop();
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

type Frame = { type: string; id?: number; code?: string; retryAfterMs?: number; conversation?: { id: string } };

/** One signed-in socket of a benchmark account, with a request helper for set-up. */
class Client {
  private nextId = 1_000_000;
  private readonly waiting = new Map<number, (frame: Frame) => void>();
  onFrame: (frame: Frame) => void = () => undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const waiter = frame.id !== undefined ? this.waiting.get(frame.id) : undefined;
      if (waiter) {
        this.waiting.delete(frame.id as number);
        waiter(frame);
      } else this.onFrame(frame);
    });
  }

  static async open(url: string, token: string): Promise<Client> {
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/v1/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    return new Client(ws);
  }

  request(type: string, body: Record<string, unknown>): Promise<Frame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ type, id, ...body }));
    });
  }
}

/** Accounts in pairs, each pair in one direct conversation with its members on different nodes. */
async function setUp(target: Target): Promise<{ clients: Client[]; conversations: string[] }> {
  const accounts: BenchAccount[] = await registerAccounts(target.urls, CLIENTS, `s${Date.now().toString(36)}`);
  const clients = await Promise.all(
    accounts.map((a, i) => Client.open(target.urls[i % target.urls.length] as string, a.token)),
  );
  const conversations: string[] = [];
  for (let i = 0; i < CLIENTS; i += 2) {
    const [a, b] = [clients[i] as Client, clients[i + 1] as Client];
    const [userA, userB] = [accounts[i] as BenchAccount, accounts[i + 1] as BenchAccount];
    const added = await b.request("contact.add", { userId: userA.userId });
    if (added.type !== "ok") throw new Error(`contact.add failed: ${JSON.stringify(added)}`);
    const created = await a.request("conversation.create", { kind: "direct", memberIds: [userB.userId] });
    if (created.type !== "ok" || !created.conversation)
      throw new Error(`conversation.create failed: ${JSON.stringify(created)}`);
    conversations.push(created.conversation.id, created.conversation.id);
  }
  return { clients, conversations };
}

/** What one phase of traffic gave: each acked send's latency, the refusals by code, the deliveries. */
interface Phase {
  latencies: number[];
  errors: Map<string, number>;
  delivered: number;
}

/** Every client keeps WINDOW sends in flight for `seconds`; resolves once the last one is answered. */
async function drive(clients: Client[], conversations: string[], seconds: number, tag: string): Promise<Phase> {
  const phase: Phase = { latencies: [], errors: new Map(), delivered: 0 };
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(
      (client, c) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<number, number>();
          let n = 0;
          let inFlight = 0;
          const pump = () => {
            while (inFlight < WINDOW && performance.now() < deadline) {
              n += 1;
              sentAt.set(n, performance.now());
              inFlight += 1;
              client.ws.send(
                JSON.stringify({
                  type: "message.send",
                  id: n,
                  conversationId: conversations[c],
                  clientMsgId: `${tag}${n}`,
                  text: `scale-out benchmark message ${n}`,
                }),
              );
            }
            if (inFlight === 0) resolve();
          };
          client.onFrame = (frame) => {
            if (frame.type === "message.new") {
              phase.delivered += 1;
              return;
            }
            if (frame.type !== "ok" && frame.type !== "error") return;
            const started = sentAt.get(frame.id as number);
            if (started === undefined) return;
            sentAt.delete(frame.id as number);
            if (frame.type === "error") {
              // A refused send holds its window slot for the `retryAfterMs` it was told, as a real
              // client waits before it tries again; otherwise the run measures refusals in a spin.
              phase.errors.set(String(frame.code), (phase.errors.get(String(frame.code)) ?? 0) + 1);
              setTimeout(() => {
                inFlight -= 1;
                pump();
              }, frame.retryAfterMs ?? 100);
              return;
            }
            phase.latencies.push(performance.now() - started);
            inFlight -= 1;
            pump();
          };
          pump();
        }),
    ),
  );
  return phase;
}

async function measure(target: Target, nodes: number): Promise<Result> {
  const { clients, conversations } = await setUp(target);
  // Not counted: the nodes compile their hot code under this traffic.
  if (WARMUP > 0) await drive(clients, conversations, WARMUP, "w");
  const watcher = nodes > 0 && target.name.includes("postgres") ? watchPostgres() : undefined;
  const cpu0 = target.pids().map((pid) => cpuMsOf(pid));
  const { latencies, errors, delivered } = await drive(clients, conversations, SECONDS, "b");
  const serverMs = target.pids().reduce((sum, pid, i) => sum + cpuMsOf(pid) - (cpu0[i] ?? 0), 0);
  const postgres = await watcher?.stop();
  for (const client of clients) client.ws.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  // Each send is delivered to the partner and to the sender's own other sessions (none here): the
  // partner's `message.new` is the one delivery counted. The run ends when the last ack is in.
  return {
    name: target.name,
    nodes,
    acked: latencies.length,
    perSecond: latencies.length / SECONDS,
    deliveredPerSecond: delivered / SECONDS,
    p50: q(0.5),
    p99: q(0.99),
    serverUs: latencies.length > 0 ? (serverMs * 1000) / latencies.length : 0,
    errors,
    postgres,
  };
}

async function run(start: () => Promise<Target>, nodes: number): Promise<Result> {
  const target = await start();
  try {
    return await measure(target, nodes);
  } finally {
    await target.stop();
  }
}

const results: Result[] = [];
if (TARGETS.has("embedded")) results.push(await run(embedded, 1));
if (TARGETS.has("one")) results.push(await run(() => scaleOut(1), 1));
if (TARGETS.has("many")) results.push(await run(() => scaleOut(NODES), NODES));

console.log(
  `clients=${CLIENTS} (in ${CLIENTS / 2} direct conversations) window=${WINDOW} seconds=${SECONDS} after ${WARMUP} s of warm-up${values.bundle ? ", nodes from the bundle" : ""}`,
);
console.log(
  "| target | nodes | acked sends/s | deliveries/s | p50 ms | p99 ms | server CPU µs per send |\n|---|---|---|---|---|---|---|",
);
for (const r of results)
  console.log(
    `| ${r.name} | ${r.nodes} | ${r.perSecond.toFixed(0)} | ${r.deliveredPerSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.serverUs.toFixed(0)} |`,
  );
const byName = (part: string) => results.find((r) => r.name.includes(part));
const [base, one, many] = [
  byName("embedded"),
  byName("1 node "),
  results.find((r) => r.nodes === NODES && r !== byName("embedded")),
];
if (many && one)
  console.log(`${NODES} nodes / 1 node on the same store: ${(many.perSecond / one.perSecond).toFixed(2)}×`);
if (many && base) console.log(`${NODES} nodes / the embedded node: ${(many.perSecond / base.perSecond).toFixed(2)}×`);
if (one && base)
  console.log(`1 node on postgresql / the embedded node: ${(one.perSecond / base.perSecond).toFixed(2)}×`);
for (const r of results) {
  if (r.errors.size > 0)
    console.log(`${r.name} refused: ${[...r.errors].map(([code, n]) => `${code} ×${n}`).join(", ")}`);
  if (r.postgres) console.log(`${r.name}, postgresql backends (average): ${r.postgres}`);
}
process.exit(0);
