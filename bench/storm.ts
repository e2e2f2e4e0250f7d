/**
 * @module Benchmark `bench:storm`: the outage and the reconnect storm after it. N SDK clients
 * (sessions; `--devices` sessions per account) in direct chats and groups connect to M Haetae
 * nodes in the scale-out mode (PostgreSQL + NATS), spread over G generator processes, each bound
 * to its own loopback source address. Traffic flows at R msg/s through the SDK's outbox; then
 * every connection is cut at once — `--cut kill` (default): every node is killed with SIGKILL and
 * started again on its port, an outage; `--cut sockets`: every client socket is dropped — and
 * every client comes back on its own, with the SDK's capped full-jitter backoff, and syncs from
 * its cursor. Traffic keeps flowing through the storm and for a while after it.
 *
 * Prints the time until 50/90/99/100 % of the sessions are open and resynced again (from the cut
 * and from the nodes listening again), reconnect+resync per second per node, refused connections
 * (the nodes' admission control) and failed attempts, the servers' peak and settled RSS, CPU of
 * everything on the machine, and lost / duplicated / out-of-order deliveries at every session of
 * every member (must be 0, else the exit code is 1).
 *
 * `--timeline` prints what each node did every five seconds after the cut (from its /metrics);
 * `--profile-generators` profiles the generators from the cut on; `--bundle` runs the nodes from
 * the build, as `npm start` does (built first when a source is newer); `--sync-idle-ms` and
 * `--sync-max-wait-ms` set the SDK's cursor-following syncs.
 *
 * Usage: npm run bench:storm -- [--clients 20000] [--nodes 2] [--generators 4] [--devices 2]
 *   [--rate 200] [--before 10] [--after 5] [--cut kill|sockets] [--timeout 120]
 *   [--base-ms 250] [--max-ms 10000] [--profile] [--profile-generators] [--timeline] [--bundle]
 *   [--sync-idle-ms N] [--sync-max-wait-ms N]
 *   [--server-arg=--flag --server-arg=value ...]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../test/child-server.js";
import { BenchCluster, buildIfStale, openFiles, registerAccounts, watchPostgres } from "./bench-cluster.js";
import { topSelfTime } from "./cpu-profile.js";
import { cpuMsOf, machineMs, rssOf as rssOrThrow, sleep } from "./proc-stats.js";
import type {
  FromStormGenerator,
  StormConversation,
  StormReport,
  StormSession,
  ToStormGenerator,
} from "./storm-shared.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "20000" },
    nodes: { type: "string", default: "2" },
    generators: { type: "string", default: "4" },
    devices: { type: "string", default: "2" },
    "group-size": { type: "string", default: "10" },
    "group-share": { type: "string", default: "0.5" },
    rate: { type: "string", default: "200" },
    before: { type: "string", default: "10" },
    after: { type: "string", default: "5" },
    cut: { type: "string", default: "kill" },
    timeout: { type: "string", default: "120" },
    drain: { type: "string", default: "30" },
    "base-ms": { type: "string", default: "250" },
    "max-ms": { type: "string", default: "10000" },
    profile: { type: "boolean", default: false },
    "profile-generators": { type: "boolean", default: false },
    timeline: { type: "boolean", default: false },
    bundle: { type: "boolean", default: false },
    "sync-idle-ms": { type: "string" },
    "sync-max-wait-ms": { type: "string" },
    "server-arg": { type: "string", multiple: true, default: [] },
  },
});
const CLIENTS = Number(values.clients);
const NODES = Number(values.nodes);
const GENERATORS = Number(values.generators);
const DEVICES = Number(values.devices);
const GROUP_SIZE = Number(values["group-size"]);
const GROUP_SHARE = Number(values["group-share"]);
const RATE = Number(values.rate);
if (values.bundle) buildIfStale();
const BEFORE = Number(values.before);
const AFTER = Number(values.after);
const TIMEOUT = Number(values.timeout);
const DRAIN = Number(values.drain);
const CUT = values.cut as string;
for (const [name, v] of Object.entries({ CLIENTS, NODES, GENERATORS, DEVICES, GROUP_SIZE, RATE, TIMEOUT })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive whole number`);
}
if (CUT !== "kill" && CUT !== "sockets") throw new Error("--cut is kill or sockets");
/** A process here may hold 20,000 open files: leave room for the store, the bus and listeners. */
const FD_BUDGET = 19_000;
if (CLIENTS / NODES > FD_BUDGET || CLIENTS / GENERATORS > FD_BUDGET) {
  throw new Error(`at most ${FD_BUDGET} sessions per node and per generator: add --nodes or --generators`);
}

/**
 * What each node did since its last sample read (five seconds, unless /metrics went unanswered),
 * from its /metrics (`--timeline`): open sessions, load level, tickets and syncs answered or
 * refused, and the syncs' mean time.
 */
class NodeTimeline {
  private last: Map<string, number>[] = [];

  async sample(): Promise<string[]> {
    const names = [
      "haetae_ws_connections",
      "haetae_degradation_level",
      "haetae_ws_requests_total",
      "haetae_ws_request_seconds_sum",
      "haetae_ws_request_seconds_count",
      "haetae_http_requests_total",
      "haetae_refused_connections_total",
    ];
    const lines = await Promise.all(cluster.nodes.map((_, i) => cluster.counters(i, names)));
    return lines.map((list, i) => {
      // An unread sample keeps the last one read: the next line counts from there.
      if (list.length === 0) return `node ${i}: /metrics not read`;
      const now = new Map<string, number>();
      for (const line of list) {
        const at = line.lastIndexOf(" ");
        now.set(line.slice(0, at), Number(line.slice(at + 1)));
      }
      const before = this.last[i] ?? new Map<string, number>();
      this.last[i] = now;
      const sum = (pattern: RegExp, from: Map<string, number>) =>
        [...from].filter(([k]) => pattern.test(k)).reduce((total, [, v]) => total + v, 0);
      const delta = (pattern: RegExp) => sum(pattern, now) - sum(pattern, before);
      const syncCount = delta(/^ws_request_seconds_count\{type="sync"/);
      const syncMs = syncCount > 0 ? (1000 * delta(/^ws_request_seconds_sum\{type="sync"/)) / syncCount : 0;
      return [
        `node ${i}: ${sum(/^ws_connections/, now)} open, level ${sum(/^degradation_level/, now)}`,
        `tickets ${delta(/^http_requests_total\{route="\/api\/v1\/auth\/ws-ticket",status="200"/)} / 503 ${delta(/^http_requests_total\{route="\/api\/v1\/auth\/ws-ticket",status="503"/)}`,
        `upgrades refused ${delta(/^refused_connections_total/)}`,
        `syncs ${delta(/^ws_requests_total\{type="sync",outcome="ok"/)} (mean ${syncMs.toFixed(0)} ms) / overloaded ${delta(/^ws_requests_total\{type="sync",outcome="overloaded"/)} / unavailable ${delta(/^ws_requests_total\{type="sync",outcome="unavailable"/)}`,
        `sends ${delta(/^ws_requests_total\{type="message.send",outcome="ok"/)} / refused ${delta(/^ws_requests_total\{type="message.send",outcome="(overloaded|unavailable)"/)}`,
      ].join(", ");
    });
  }
}

/** Accounts in conversations: groups of GROUP_SIZE for GROUP_SHARE of them, pairs for the rest. */
function planConversations(accounts: { userId: string }[]): StormConversation[] {
  const groups = Math.floor((accounts.length * GROUP_SHARE) / GROUP_SIZE);
  const conversations: StormConversation[] = [];
  let next = 0;
  const take = (n: number) => {
    const ids = accounts.slice(next, next + n).map((a) => a.userId);
    next += n;
    return ids;
  };
  for (let g = 0; g < groups; g++)
    conversations.push({ index: conversations.length, kind: "group", memberIds: take(GROUP_SIZE) });
  while (accounts.length - next >= 2)
    conversations.push({ index: conversations.length, kind: "direct", memberIds: take(2) });
  if (next < accounts.length) (conversations.at(-1) as StormConversation).memberIds.push(...take(1));
  return conversations;
}

function spawnGenerator(index: number): {
  child: ChildProcess;
  next: () => Promise<FromStormGenerator>;
  progress: number;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/storm-generator.ts"], {
    cwd: ROOT,
    env: generatorProfileDir
      ? { ...process.env, STORM_PROFILE_FILE: join(generatorProfileDir, `generator-${index}.cpuprofile`) }
      : process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queue: FromStormGenerator[] = [];
  const waiters: ((m: FromStormGenerator) => void)[] = [];
  const handle = {
    child,
    progress: 0,
    next: async (): Promise<FromStormGenerator> => {
      const m =
        queue.shift() ??
        (await new Promise<FromStormGenerator>((resolve, reject) => {
          waiters.push(resolve);
          child.once("exit", (code) => reject(new Error(`generator exited with ${code}`)));
        }));
      if (m.type === "fail") throw new Error(`generator failed: ${m.error}`);
      return m;
    },
  };
  child.on("message", (m: FromStormGenerator) => {
    if (m.type === "progress") {
      handle.progress = m.back;
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  return handle;
}

/** The CPU (ms) of each PostgreSQL and NATS process on this machine now, by pid: they serve the run too. */
function servicesCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const name of ["postgres", "nats-server"]) {
    let pids: string[] = [];
    try {
      pids = execFileSync("pgrep", ["-x", name]).toString().trim().split("\n");
    } catch {
      // no such process
    }
    for (const pid of pids) if (pid) cpu.set(Number(pid), cpuMsOf(Number(pid)));
  }
  return cpu;
}

/**
 * PostgreSQL's and NATS's CPU from now on, sampled every second: a backend that ends during the
 * run (a killed node's connections) takes its time with it, so each process counts up to its
 * last sample, from its time at the start (or from nothing, for one started since).
 */
class ServicesCpu {
  private readonly start = servicesCpuByPid();
  private readonly last = new Map(this.start);
  private readonly timer = setInterval(() => this.sample(), 1000).unref();

  private sample(): void {
    for (const [pid, ms] of servicesCpuByPid()) this.last.set(pid, Math.max(ms, this.last.get(pid) ?? 0));
  }

  /** The CPU used since the start, in ms; stops sampling. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let sum = 0;
    for (const [pid, ms] of this.last) sum += Math.max(0, ms - (this.start.get(pid) ?? 0));
    return sum;
  }
}

/** RSS of a process, 0 once it has exited (a node may die mid-run; the run reports it). */
function rssOf(pid: number): number {
  try {
    return rssOrThrow(pid);
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const s = (ms: number) => (ms / 1000).toFixed(1);

console.log(
  `bench:storm — clients=${CLIENTS} (${DEVICES} sessions per account) nodes=${NODES} generators=${GENERATORS} rate=${RATE} msg/s cut=${CUT} backoff base ${values["base-ms"]} ms cap ${values["max-ms"]} ms`,
);
const profileDir = values.profile ? mkdtempSync(join(tmpdir(), "haetae-storm-profile-")) : undefined;
/** Each generator profiles its main thread from the cut to its report (`--profile-generators`). */
const generatorProfileDir = values["profile-generators"]
  ? mkdtempSync(join(tmpdir(), "haetae-storm-generators-"))
  : undefined;
const cluster = await BenchCluster.start({
  nodes: NODES,
  serverArgs: values["server-arg"] as string[],
  ...(profileDir ? { profileDir } : {}),
  ...(values.bundle ? { bundle: true } : {}),
});
const generators = Array.from({ length: GENERATORS }, (_, i) => spawnGenerator(i));
let exitCode = 0;
try {
  console.log(`  ${NODES} nodes listening: ${cluster.urls.join(" ")} (schema ${cluster.schema})`);
  const setupStart = Date.now();
  const accounts = await registerAccounts(cluster.urls, Math.ceil(CLIENTS / DEVICES), "storm");
  console.log(`  ${accounts.length} accounts registered in ${s(Date.now() - setupStart)} s`);
  const conversations = planConversations(accounts);
  const byUser = new Map(accounts.map((a) => [a.userId, a]));
  // Whole conversations per generator, dealt round-robin; all sessions of an account go with it.
  const shares = generators.map(() => ({ sessions: [] as StormSession[], conversations: [] as StormConversation[] }));
  let sessionIndex = 0;
  conversations.forEach((c, i) => {
    const share = shares[i % shares.length] as (typeof shares)[number];
    share.conversations.push(c);
    for (const userId of c.memberIds) {
      const account = byUser.get(userId) as { userId: string; token: string };
      for (let d = 0; d < DEVICES && sessionIndex < CLIENTS; d++) {
        share.sessions.push({ index: sessionIndex++, userId, token: account.token, conversation: c.index });
      }
    }
  });
  generators.forEach((g, i) => {
    const share = shares[i] as (typeof shares)[number];
    const plan: ToStormGenerator = {
      type: "plan",
      urls: cluster.urls,
      localAddress: `127.0.0.${i + 2}`,
      sessions: share.sessions,
      conversations: share.conversations,
      rate: (RATE * share.sessions.length) / sessionIndex,
      baseMs: Number(values["base-ms"]),
      maxMs: Number(values["max-ms"]),
      ...(values["sync-idle-ms"] ? { syncIdleMs: Number(values["sync-idle-ms"]) } : {}),
      ...(values["sync-max-wait-ms"] ? { syncMaxWaitMs: Number(values["sync-max-wait-ms"]) } : {}),
    };
    g.child.send(plan);
  });
  const ready = await Promise.all(generators.map((g) => g.next()));
  const connectMs = Math.max(...ready.map((r) => (r.type === "ready" ? r.connectMs : 0)));
  console.log(
    `  ${sessionIndex} sessions connected and synced, ${conversations.length} conversations created, in ${s(connectMs)} s`,
  );
  const nodePids = () => cluster.nodes.map((n) => n.child.pid as number);
  await sleep(2000);
  const rssBefore = nodePids().map(rssOf);
  console.log(
    `  before the cut: server RSS ${rssBefore.map(mb).join(" + ")} MiB, open files ${nodePids().map(openFiles).join(" / ")}`,
  );
  for (const g of generators) g.child.send({ type: "traffic" } satisfies ToStormGenerator);
  await sleep(BEFORE * 1000);

  // The cut. CPU is counted from here: the storm is what this benchmark measures.
  const generatorPids = generators.map((g) => g.child.pid as number);
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  const machineStart = machineMs().busy;
  const services = new ServicesCpu();
  const generatorsStart = cpuOf(generatorPids);
  const selfStart = process.cpuUsage();
  let nodesCpu = -cpuOf(nodePids());
  const cutAt = Date.now();
  for (const g of generators)
    g.child.send({ type: "cut", at: cutAt, terminate: CUT === "sockets" } satisfies ToStormGenerator);
  let listeningMs = 0;
  if (CUT === "kill") {
    const killedPids = nodePids();
    const lastCpu = cpuOf(killedPids);
    await Promise.all(cluster.nodes.map((_, i) => cluster.killNode(i)));
    // A killed process's CPU time is gone from /proc with it: count the old nodes up to the kill.
    nodesCpu += lastCpu;
    await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)));
    listeningMs = Date.now() - cutAt;
    nodesCpu -= cpuOf(nodePids());
    console.log(`  cut: every node killed (SIGKILL) and listening again after ${s(listeningMs)} s`);
  } else {
    console.log("  cut: every client socket dropped");
  }
  let rssPeak = rssBefore.slice();
  const postgres = watchPostgres();
  const sampler = setInterval(() => {
    try {
      rssPeak = nodePids().map((pid, i) => Math.max(rssPeak[i] ?? 0, rssOf(pid)));
    } catch {
      // a node between its kill and its restart
    }
  }, 200);
  const total = sessionIndex;
  let lastPrinted = -1;
  const nodeTimeline = new NodeTimeline();
  while (Date.now() - cutAt < TIMEOUT * 1000) {
    const backNow = generators.reduce((sum, g) => sum + g.progress, 0);
    const second = Math.floor((Date.now() - cutAt) / 1000);
    if (second !== lastPrinted && second % 5 === 0) {
      lastPrinted = second;
      console.log(`  t=${second} s: ${backNow} of ${total} back and resynced`);
      if (values.timeline) for (const line of await nodeTimeline.sample()) console.log(`    ${line}`);
    }
    if (backNow >= total) break;
    await sleep(250);
  }
  await sleep(AFTER * 1000);
  const refused = await Promise.all(cluster.nodes.map((_, i) => cluster.metric(i, "haetae_refused_connections_total")));
  const counters = await Promise.all(
    cluster.nodes.map((_, i) =>
      cluster.counters(i, [
        "haetae_refused_connections_total",
        "haetae_degradation_changes_total",
        "haetae_ws_requests_total",
        "haetae_http_requests_total",
      ]),
    ),
  );
  for (const g of generators) g.child.send({ type: "finish", drainMs: DRAIN * 1000 } satisfies ToStormGenerator);
  const reports = (await Promise.all(generators.map((g) => g.next()))) as StormReport[];
  const wallMs = Date.now() - cutAt;
  nodesCpu += cpuOf(nodePids());
  const generatorsCpu = cpuOf(generatorPids) - generatorsStart;
  const self = process.cpuUsage(selfStart);
  const servicesCpu = services.stop();
  const machineCpu = machineMs().busy - machineStart;
  const othersCpu = Math.max(0, machineCpu - nodesCpu - generatorsCpu - servicesCpu - (self.user + self.system) / 1000);
  clearInterval(sampler);
  const postgresActivity = await postgres.stop();
  await sleep(5000);
  const rssSettled = nodePids().map(rssOf);

  // Figures.
  const backMs = reports.flatMap((r) => r.backMs);
  const never = backMs.filter((v) => v < 0).length;
  const sorted = backMs.filter((v) => v >= 0).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length >= Math.ceil(q * total) ? (sorted[Math.ceil(q * total) - 1] as number) : Number.NaN;
  const sum = (key: keyof StormReport) => reports.reduce((acc, r) => acc + (r[key] as number), 0);
  console.log(
    `\n  back and resynced (from the cut${CUT === "kill" ? `; nodes listening again at ${s(listeningMs)} s` : ""}):`,
  );
  for (const q of [0.5, 0.9, 0.99, 1]) {
    const v = at(q);
    console.log(`    ${(q * 100).toFixed(0).padStart(3)} %: ${Number.isNaN(v) ? "not reached" : `${s(v)} s`}`);
  }
  if (never > 0) {
    console.log(`    ${never} sessions never came back within ${TIMEOUT} s:`);
    const why: Record<string, number> = {};
    for (const r of reports) for (const [k, n] of Object.entries(r.notBack)) why[k] = (why[k] ?? 0) + n;
    for (const [k, n] of Object.entries(why)) console.log(`      ${n} × ${k}`);
  }
  // Per node: sessions it took back, over the time from its listening until its last one.
  const ports = cluster.nodes.map((n) => n.port);
  const backPorts = reports.flatMap((r) => r.backPort);
  ports.forEach((port, i) => {
    const times = backMs.filter((v, k) => v >= 0 && backPorts[k] === port).sort((a, b) => a - b);
    if (times.length === 0) return;
    const spanMs = (times.at(-1) as number) - listeningMs;
    let peak = 0;
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      peak = Math.max(peak, hi - lo + 1);
    }
    console.log(
      `    node ${i}: ${times.length} sessions back, ${(times.length / Math.max(0.001, spanMs / 1000)).toFixed(0)}/s on average from listening to its last, peak ${peak} in one second`,
    );
  });
  console.log(
    `  refused connections (server admission, summed over the nodes since they restarted): ${refused.map((r) => r.toFixed(0)).join(" + ")}; failed reconnect attempts seen by clients: ${sum("failedAttempts")}`,
  );
  console.log(
    `  PostgreSQL client backends of the database after the cut, on average (all of them, other users' too): ${postgresActivity}`,
  );
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, n] of Object.entries(r.attemptErrors)) errors[k] = (errors[k] ?? 0) + n;
  console.log(
    `  failed attempts by socket error: ${
      Object.entries(errors)
        .map(([k, n]) => `${n} × ${k}`)
        .join("; ") || "none"
    }`,
  );
  counters.forEach((lines, i) => {
    // Only what tells the storm's story: refusals, level changes and requests that did not succeed.
    const telling = lines.filter((l) => !/outcome="ok"|status="2\d\d"/.test(l));
    console.log(
      `  node ${i} after the storm: ${telling.join("; ") || "no refusals, no level changes, no failed requests"}`,
    );
  });
  console.log(
    `  server RSS MiB: before ${rssBefore.map(mb).join(" + ")} = ${mb(rssBefore.reduce((a, b) => a + b, 0))}; peak ${rssPeak.map(mb).join(" + ")} = ${mb(rssPeak.reduce((a, b) => a + b, 0))}; 5 s after the drain ${rssSettled.map(mb).join(" + ")} = ${mb(rssSettled.reduce((a, b) => a + b, 0))}`,
  );
  console.log(
    `  messages: sent ${sum("sent")}, acked ${sum("acked")}, failed ${sum("sendFailed")}, unacked ${sum("unacked")}; deliveries ${sum("delivered")} of ${sum("expectedDeliveries")} expected`,
  );
  const bad =
    sum("lost") + sum("duplicated") + sum("outOfOrder") + sum("storedTwice") + sum("unacked") + sum("sendFailed");
  if (sum("lost") > 0)
    console.log(
      `  of the lost deliveries, ${sum("lostAtBack")} are at sessions that came back (the others never resynced)`,
    );
  console.log(
    `  lost ${sum("lost")}, duplicated ${sum("duplicated")}, out-of-order ${sum("outOfOrder")}, stored twice ${sum("storedTwice")} (checked by seq at every session of every member)`,
  );
  const core = (ms: number) => `${((100 * ms) / wallMs).toFixed(0)} %`;
  console.log(
    `  CPU from the cut to the end (${s(wallMs)} s, share of one core; the machine has 2): nodes ${core(nodesCpu)}, generators ${core(generatorsCpu)} (${reports.map((r) => core(r.cpuMs)).join(", ")}), PostgreSQL + NATS ${core(servicesCpu)}, other processes ${core(othersCpu)}`,
  );
  console.log(
    `  generators' own event loop after the cut: p99 ${reports.map((r) => r.loopP99Ms.toFixed(0)).join(", ")} ms, max ${reports.map((r) => r.loopMaxMs.toFixed(0)).join(", ")} ms`,
  );
  if (profileDir) {
    await Promise.all(cluster.nodes.map((_, i) => cluster.stopNode(i)));
    for (const { name, file } of cluster.profiles()) {
      console.log(`  CPU profile of ${name} (the main thread, its whole life), top self time:`);
      for (const line of topSelfTime(file, 0, Number.POSITIVE_INFINITY, ROOT, 15)) console.log(`    ${line}`);
    }
  }
  if (generatorProfileDir) {
    for (let i = 0; i < GENERATORS; i++) {
      console.log(`  CPU profile of generator ${i} (from the cut to its report), top self time:`);
      const file = join(generatorProfileDir, `generator-${i}.cpuprofile`);
      for (const line of topSelfTime(file, 0, Number.POSITIVE_INFINITY, ROOT, 25)) console.log(`    ${line}`);
    }
  }
  if (bad > 0 || never > 0) {
    console.log("FAIL: messages lost, duplicated, reordered or unsent, or sessions that never came back");
    exitCode = 1;
  }
} finally {
  for (const g of generators) g.child.kill("SIGKILL");
  await cluster.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (generatorProfileDir) rmSync(generatorProfileDir, { recursive: true, force: true });
}
process.exit(exitCode);
