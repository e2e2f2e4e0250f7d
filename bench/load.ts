/**
 * @module Benchmark `bench:load`: steady traffic. N connected clients — pairs in direct chats and
 * groups of 10 — send at a total open-loop rate R for S seconds, on loopback. The same load runs,
 * in the same run, against Haetae (`haetae serve` as a child process, SQLite, durable acks) and
 * two peers, each its own child process: (a) a bare `ws` broadcast server that stores nothing
 * and (b) a Socket.IO chat server doing one SQLite INSERT per message — as built first
 * (better-sqlite3's defaults: a commit does not wait for the disk) and with synchronous=FULL
 * (every commit waits for the disk, as Haetae's do).
 *
 * The load comes from several generator processes (`bench/load-generator.ts`); each measures its
 * own CPU, and the run says "generator-bound" when a generator used more than 70 % of a core or
 * could not keep the rate. Every member of a conversation lives in one generator, so send and
 * delivery times come from one clock.
 *
 * Prints, per server: accepted messages/s, deliveries/s (message.new at members other than the
 * sender), send→deliver and send→ack latency, server CPU and RSS (from /proc), the server's
 * event-loop lag, lost / duplicated / out-of-order counts (for Haetae by seq per conversation at
 * every member; they must be 0, else the exit code is 1); then Haetae/peer ratios.
 *
 * Usage: npm run bench:load -- [--clients 200] [--rate 2000 | --rate 1000,2000,4000] [--seconds 20]
 *   [--workers 2] [--p99-bound 100]
 *   [--warmup 3] [--group-size 10] [--group-share 0.5] [--drain 10] [--window 0]
 *   [--targets haetae,ws,socketio,socketio-full]
 *   [--profile] [--server-arg=--flag --server-arg=value ...]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type FromWorker,
  type PlannedClient,
  type PlannedConversation,
  quantile,
  type ReportMessage,
  type Target,
  type ToWorker,
} from "./load-shared.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: "2000" },
    "p99-bound": { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    workers: { type: "string", default: "2" },
    "group-size": { type: "string", default: "10" },
    "group-share": { type: "string", default: "0.5" },
    targets: { type: "string", default: "haetae,ws,socketio,socketio-full" },
    drain: { type: "string", default: "10" },
    window: { type: "string", default: "0" },
    profile: { type: "boolean", default: false },
    "server-arg": { type: "string", multiple: true, default: [] },
  },
});
const CLIENTS = Number(values.clients);
/** One rate, or a comma-separated list: every target runs at each (a sweep). */
const RATES = (values.rate as string).split(",").map((r) => Number(r.trim()));
const P99_BOUND = Number(values["p99-bound"]);
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);
const GROUP_SIZE = Number(values["group-size"]);
const GROUP_SHARE = Number(values["group-share"]);
const DRAIN = Number(values.drain);
const WARMUP = Number(values.warmup);
const WINDOW = Number(values.window);
const TARGETS = (values.targets as string).split(",").map((t) => t.trim()) as Target[];
for (const [name, value] of Object.entries({ CLIENTS, SECONDS, WORKERS, GROUP_SIZE, DRAIN, P99_BOUND })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
}
if (RATES.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error("--rate: positive numbers, comma-separated");
if (!(GROUP_SHARE >= 0 && GROUP_SHARE <= 1)) throw new Error("--group-share must be between 0 and 1");
if (!(WARMUP >= 0)) throw new Error("--warmup must be 0 or more");
if (!(Number.isInteger(WINDOW) && WINDOW >= 0)) throw new Error("--window must be a whole number, 0 or more");
for (const t of TARGETS) {
  if (!["haetae", "ws", "socketio", "socketio-full"].includes(t)) throw new Error(`unknown target ${t}`);
}

const TARGET_NAMES: Record<Target, string> = {
  haetae: "haetae (sqlite, durable acks)",
  ws: "bare ws broadcast (peer a)",
  socketio: "socket.io + sqlite (peer b)",
  "socketio-full": "socket.io + sqlite, synchronous=FULL (peer b, Haetae's durability)",
};
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
/** Above this share of one core a generator is likely the bottleneck. */
const GENERATOR_CPU_LIMIT = 0.7;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Busy, steal and iowait time of the whole machine (ms, summed over its cores), from /proc/stat. */
function machineMs(): { busy: number; steal: number; iowait: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const toMs = (ticks: number) => (ticks / CLOCK_TICKS) * 1000;
  return { busy: toMs(user + nice + system + irq + softirq), steal: toMs(steal), iowait: toMs(iowait) };
}

/** CPU time (user + system) of a process, in ms. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pressure stall totals (µs) of the machine: time some / all tasks waited for CPU or I/O. */
function pressure(): Record<string, number> | undefined {
  try {
    const totals: Record<string, number> = {};
    for (const resource of ["cpu", "io"]) {
      for (const line of readFileSync(`/proc/pressure/${resource}`, "utf8").split("\n")) {
        const match = /^(some|full) .*total=(\d+)/.exec(line);
        if (match) totals[`${resource} ${match[1]}`] = Number(match[2]);
      }
    }
    return totals;
  } catch {
    return undefined;
  }
}

/** Share of `ms` that the machine's tasks stalled, per kind, while this process only slept. */
async function backgroundPressure(ms: number): Promise<string> {
  const before = pressure();
  await sleep(ms);
  const after = pressure();
  if (!before || !after) return "no /proc/pressure on this machine";
  return Object.keys(after)
    .map((k) => `${k} ${((100 * ((after[k] ?? 0) - (before[k] ?? 0))) / (ms * 1000)).toFixed(0)} %`)
    .join(", ");
}

/** The conversations: groups of GROUP_SIZE for GROUP_SHARE of the clients, pairs for the rest. */
function planConversations(): { conversations: PlannedConversation[]; clients: number } {
  const groups = Math.floor((CLIENTS * GROUP_SHARE) / GROUP_SIZE);
  const pairs = Math.floor((CLIENTS - groups * GROUP_SIZE) / 2);
  const conversations: PlannedConversation[] = [];
  let next = 0;
  const take = (n: number) => Array.from({ length: n }, () => next++);
  // Interleave so each generator gets a similar mix.
  for (let g = 0, p = 0; g < groups || p < pairs; ) {
    if (g < groups) {
      conversations.push({ index: conversations.length, kind: "group", members: take(GROUP_SIZE) });
      g++;
    }
    for (let k = 0; k < Math.ceil(pairs / Math.max(1, groups)) && p < pairs; k++, p++) {
      conversations.push({ index: conversations.length, kind: "direct", members: take(2) });
    }
  }
  return { conversations, clients: next };
}

interface ServerHandle {
  child: ChildProcess;
  port: number;
  output: () => string;
  dataDir: string;
  profileDir?: string;
}

async function startServer(target: Target): Promise<ServerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), `haetae-load-${target}-`));
  const port = await freePort();
  const profileDir = target === "haetae" && values.profile ? join(dataDir, "profile") : undefined;
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const args =
    target === "haetae"
      ? [
          "src/cli.ts",
          "serve",
          "--port",
          String(port),
          "--data",
          dataDir,
          "--scrypt-log-n",
          "10",
          // Setup registers every user from one address. Everything else keeps its defaults: the
          // per-connection request limits (50/s; the default load is 10/s per client) and the
          // overload protection are part of what is measured. Change them with --server-arg.
          "--logins-per-minute-per-ip",
          "1000000",
          ...(values["server-arg"] as string[]),
        ]
      : target === "ws"
        ? ["bench/peers/bare-ws-broadcast.ts", "--port", String(port)]
        : [
            "bench/peers/socketio-sqlite-server.ts",
            "--port",
            String(port),
            "--data",
            dataDir,
            ...(target === "socketio-full" ? ["--synchronous", "full"] : []),
          ];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
    if (output.length < 20_000) process.stderr.write(`[${target}] ${d}`);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target} did not start:\n${output}`)), 30_000);
    child.stdout?.on("data", () => {
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited with ${code}:\n${output}`));
    });
  });
  const firstLine = output.split("\n")[0];
  console.log(`  ${target}: ${firstLine}`);
  return { child, port, output: () => output, dataDir, ...(profileDir ? { profileDir } : {}) };
}

/** Register the users over HTTP, honouring `retryAfterMs` when the server limits registrations. */
async function registerUsers(port: number, count: number): Promise<PlannedClient[]> {
  const clients: PlannedClient[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const index = next++;
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username: `load_${index}`, password: "load bench password" }),
          });
          const body = (await res.json()) as {
            user?: { id: string };
            token?: string;
            error?: { code: string; retryAfterMs?: number };
          };
          if (res.ok && body.user && body.token) {
            clients[index] = { index, userId: body.user.id, token: body.token };
            break;
          }
          if (attempt >= 50) throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
          await sleep(body.error?.retryAfterMs ?? 200);
        }
      }
    }),
  );
  return clients;
}

interface Lag {
  p50: number;
  p99: number;
  max: number;
}

/** The server's event-loop delay since the last read (seconds); reading resets it. */
async function readLag(target: Target, port: number): Promise<Lag | undefined> {
  try {
    const signal = AbortSignal.timeout(2000);
    if (target !== "haetae") {
      return (await (await fetch(`http://127.0.0.1:${port}/lag`, { signal })).json()) as Lag;
    }
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal })).text();
    const metric = (name: string) => Number(new RegExp(`^${name} ([0-9.eE+-]+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    return {
      p50: metric("haetae_nodejs_eventloop_lag_p50_seconds"),
      p99: metric("haetae_nodejs_eventloop_lag_p99_seconds"),
      max: metric("haetae_nodejs_eventloop_lag_max_seconds"),
    };
  } catch {
    return undefined;
  }
}

function spawnWorker(): { child: ChildProcess; next: <T extends FromWorker["type"]>(type: T) => Promise<FromWorker> } {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/load-generator.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queue: FromWorker[] = [];
  const waiters: ((m: FromWorker) => void)[] = [];
  child.on("message", (m: FromWorker) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  const next = async () => {
    const m =
      queue.shift() ??
      (await new Promise<FromWorker>((resolve, reject) => {
        waiters.push(resolve);
        child.once("exit", (code) => reject(new Error(`generator exited with ${code}`)));
      }));
    if (m.type === "fail") throw new Error(`generator failed: ${m.error}`);
    return m;
  };
  return { child, next };
}

interface TargetResult {
  target: Target;
  offered: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  deliver: { p50: number; p95: number; p99: number; max: number };
  ack: { p50: number; p95: number; p99: number; max: number };
  accepted: number;
  refused: number;
  failed: number;
  unanswered: number;
  delivered: number;
  expectedDeliveries: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  check: string;
  serverCpu: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  lag: Lag | undefined;
  generators: { cpu: number; sentShare: number; loopP99Ms: number; maxBehindMs: number }[];
  /** Share of one core, during the window: other processes' CPU, the hypervisor's steal, I/O wait. */
  machine: { others: number; steal: number; iowait: number };
  censored: number;
  generatorBound: string[];
  drainMs: number;
  profile?: string[];
}

function merge(reports: ReportMessage[], key: "ackLatencies" | "deliverLatencies") {
  const all = reports.flatMap((r) => r[key]).sort((a, b) => a - b);
  return {
    p50: quantile(all, 0.5),
    p95: quantile(all, 0.95),
    p99: quantile(all, 0.99),
    max: all.length > 0 ? (all[all.length - 1] as number) : 0,
  };
}

/**
 * Top self-time functions of a V8 CPU profile (with their two nearest callers), counting only
 * samples inside [from, to] µs of its clock. V8 samples on wall time, and a native call (a
 * better-sqlite3 statement, an fsync, a socket write) counts as self time of the JS function that
 * made it.
 */
function topSelfTime(file: string, fromUs: number, toUs: number, top = 15): string[] {
  type Frame = { functionName: string; url: string; lineNumber: number };
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: { id: number; callFrame: Frame; children?: number[] }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const label = (frame: Frame) => {
    const where = frame.url.replace(`file://${ROOT}`, "").replace(/^.*node_modules\//, "");
    const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : "";
    return `${frame.functionName || "(anonymous)"}${where ? ` (${where}${line})` : ""}`;
  };
  const self = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    if (!node) continue;
    const chain = [label(node.callFrame)];
    for (let up = parentOf.get(id), k = 0; up !== undefined && k < 2; up = parentOf.get(up), k++) {
      const parent = byId.get(up);
      if (parent && parent.callFrame.functionName !== "(root)") chain.push(label(parent.callFrame));
    }
    const name = chain.join(" ← ");
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
}

async function runTarget(target: Target, RATE: number): Promise<TargetResult> {
  console.log(`\n== ${TARGET_NAMES[target]} at ${RATE} msg/s ==`);
  // Start each server on a quiet disk: write back what the previous one left dirty.
  execFileSync("sync");
  const server = await startServer(target);
  const pid = server.child.pid as number;
  const workers = Array.from({ length: WORKERS }, () => spawnWorker());
  try {
    const { conversations, clients: clientCount } = planConversations();
    const clients =
      target === "haetae"
        ? await registerUsers(server.port, clientCount)
        : Array.from({ length: clientCount }, (_, index) => ({ index, userId: `u${index}`, token: "" }));
    // Whole conversations per generator, so members share a process and a clock; groups and
    // pairs each dealt round-robin, so every generator carries the same mix of sends and fan-out.
    const shares = workers.map(() => ({ conversations: [] as PlannedConversation[], clients: 0 }));
    for (const kind of ["group", "direct"] as const) {
      conversations
        .filter((c) => c.kind === kind)
        .forEach((conversation, i) => {
          const share = shares[i % shares.length] as (typeof shares)[number];
          share.conversations.push(conversation);
          share.clients += conversation.members.length;
        });
    }
    const url =
      target === "haetae"
        ? `ws://127.0.0.1:${server.port}/api/v1/ws`
        : target === "ws"
          ? `ws://127.0.0.1:${server.port}`
          : `http://127.0.0.1:${server.port}`;
    workers.forEach((worker, w) => {
      const share = shares[w] as (typeof shares)[number];
      const members = new Set(share.conversations.flatMap((c) => c.members));
      const plan: ToWorker = {
        type: "plan",
        target,
        url,
        clients: clients.filter((c) => members.has(c.index)),
        conversations: share.conversations,
        rate: (RATE * share.clients) / clientCount,
        window: WINDOW,
        warmupSeconds: WARMUP,
        seconds: SECONDS,
        drainSeconds: DRAIN,
      };
      worker.child.send(plan);
    });
    const ready = await Promise.all(workers.map((w) => w.next("ready")));
    const connectMs = Math.max(...ready.map((r) => (r.type === "ready" ? r.connectMs : 0)));
    console.log(
      `  ${clientCount} clients connected in ${connectMs.toFixed(0)} ms (${conversations.filter((c) => c.kind === "group").length} groups of ${GROUP_SIZE}, ${conversations.filter((c) => c.kind === "direct").length} direct pairs) over ${WORKERS} generator processes`,
    );
    await sleep(1000); // let connection setup settle
    const rssStart = rssOf(pid);
    for (const w of workers) w.child.send({ type: "start" } satisfies ToWorker);
    const reportsPromise = Promise.all(workers.map((w) => w.next("report")));
    await sleep(WARMUP * 1000);
    const cpuStart = cpuMsOf(pid);
    const ourPids = [pid, ...workers.map((w) => w.child.pid as number)];
    const oursStart = ourPids.reduce((sum, p) => sum + cpuMsOf(p), 0);
    const selfStart = process.cpuUsage();
    const machineStart = machineMs();
    const wallStart = Date.now();
    const lagReset = await readLag(target, server.port); // resets the server's lag histogram
    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(pid));
    }, 250);
    await sleep(SECONDS * 1000);
    const elapsed = Date.now() - wallStart;
    const serverCpu = (cpuMsOf(pid) - cpuStart) / elapsed;
    const self = process.cpuUsage(selfStart);
    const ours = ourPids.reduce((sum, p) => sum + cpuMsOf(p), 0) - oursStart + (self.user + self.system) / 1000;
    const machineEnd = machineMs();
    const machine = {
      others: Math.max(0, (machineEnd.busy - machineStart.busy - ours) / elapsed),
      steal: (machineEnd.steal - machineStart.steal) / elapsed,
      iowait: (machineEnd.iowait - machineStart.iowait) / elapsed,
    };
    const wallEnd = Date.now();
    // A lag read that waited behind a backlog does not cover the window: report none.
    const lag = lagReset ? await readLag(target, server.port) : undefined;
    const reports = (await reportsPromise) as ReportMessage[];
    clearInterval(sampler);
    const rssEnd = rssOf(pid);
    rssPeak = Math.max(rssPeak, rssEnd);
    const sum = (key: keyof ReportMessage) => reports.reduce((s, r) => s + (r[key] as number), 0);
    const generators = reports.map((r) => ({
      cpu: r.cpuMs / r.windowMs,
      sentShare: r.due > 0 ? r.sent / r.due : 1,
      loopP99Ms: r.loopP99Ms,
      maxBehindMs: r.maxBehindMs,
    }));
    const generatorBound: string[] = [];
    generators.forEach((g, i) => {
      if (g.cpu > GENERATOR_CPU_LIMIT)
        generatorBound.push(`generator ${i} used ${(g.cpu * 100).toFixed(0)} % of a core`);
      if (g.sentShare < 0.95)
        generatorBound.push(`generator ${i} sent only ${(g.sentShare * 100).toFixed(0)} % of its schedule`);
      if (g.maxBehindMs > 250)
        generatorBound.push(`generator ${i} fell ${g.maxBehindMs.toFixed(0)} ms behind its schedule at worst`);
      if (g.loopP99Ms > 50)
        generatorBound.push(
          `generator ${i}'s own event loop was ${g.loopP99Ms.toFixed(0)} ms late at p99 (adds to latencies)`,
        );
    });
    const result: TargetResult = {
      target,
      offered: RATE,
      acceptedPerSecond: sum("acceptedInWindow") / SECONDS,
      deliveredPerSecond: sum("deliveredInWindow") / SECONDS,
      deliver: merge(reports, "deliverLatencies"),
      ack: merge(reports, "ackLatencies"),
      accepted: sum("accepted"),
      refused: sum("refused"),
      failed: sum("failed"),
      unanswered: sum("unanswered"),
      delivered: sum("delivered"),
      expectedDeliveries: sum("expectedDeliveries"),
      lost: sum("lost"),
      duplicated: sum("duplicated"),
      outOfOrder: sum("outOfOrder"),
      check: reports[0]?.check ?? "",
      serverCpu,
      rssStart,
      rssPeak,
      rssEnd,
      lag,
      generators,
      machine,
      censored: sum("censored"),
      generatorBound,
      drainMs: Math.max(...reports.map((r) => r.drainMs)),
    };
    printTarget(result);
    if (server.profileDir) {
      // SIGTERM lets the server exit normally, which is when --cpu-prof writes the profile.
      const exited = new Promise((resolve) => server.child.once("exit", resolve));
      const killedAt = Date.now();
      server.child.kill("SIGTERM");
      await Promise.race([exited, sleep(15_000)]);
      const exitedAt = Date.now();
      const file = readdirSync(server.profileDir).find((f) => f.endsWith(".cpuprofile"));
      if (file) {
        const path = join(server.profileDir, file);
        const raw = JSON.parse(readFileSync(path, "utf8")) as { endTime: number };
        // The profile ends at the exit: map the window's wall times onto its clock.
        const exitAt = (killedAt + exitedAt) / 2;
        const fromUs = raw.endTime - (exitAt - wallStart) * 1000;
        const toUs = raw.endTime - (exitAt - wallEnd) * 1000;
        result.profile = topSelfTime(path, fromUs, toUs);
        console.log("  server CPU profile, top self time during the window:");
        for (const line of result.profile) console.log(`    ${line}`);
      } else {
        console.log("  (no CPU profile was written)");
      }
    }
    return result;
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    server.child.kill("SIGKILL");
    await sleep(200);
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
/** A latency figure; "≥" when unanswered messages make it a lower bound. */
const lat = (r: { censored: number }, v: number) => `${r.censored > 0 ? "≥" : ""}${ms(v)}`;
const mb = (v: number) => (v / 1024 / 1024).toFixed(0);

function printTarget(r: TargetResult): void {
  console.log(
    `  accepted ${r.acceptedPerSecond.toFixed(0)} msg/s (offered ${r.offered}), delivered ${r.deliveredPerSecond.toFixed(0)} msg/s`,
  );
  console.log(
    `  send→deliver ms p50 ${lat(r, r.deliver.p50)} p95 ${lat(r, r.deliver.p95)} p99 ${lat(r, r.deliver.p99)} max ${lat(r, r.deliver.max)}; send→ack ms p50 ${lat(r, r.ack.p50)} p99 ${lat(r, r.ack.p99)} max ${lat(r, r.ack.max)}`,
  );
  console.log(
    `  totals: accepted ${r.accepted}, refused-with-retry ${r.refused}, failed ${r.failed}, not acked by the end ${r.unanswered}, delivered ${r.delivered} of ${r.expectedDeliveries} expected (drain ${(r.drainMs / 1000).toFixed(1)} s)`,
  );
  console.log(`  lost ${r.lost}, duplicated ${r.duplicated}, out-of-order ${r.outOfOrder} (checked by ${r.check})`);
  const lag = r.lag
    ? `event-loop lag p50 ${ms(r.lag.p50 * 1000)} p99 ${ms(r.lag.p99 * 1000)} max ${ms(r.lag.max * 1000)} ms`
    : "event-loop lag unavailable";
  console.log(
    `  server: CPU ${(r.serverCpu * 100).toFixed(0)} % of a core, RSS ${mb(r.rssStart)} → peak ${mb(r.rssPeak)} MiB, ${lag}`,
  );
  console.log(
    `  generators: ${r.generators
      .map(
        (g, i) =>
          `#${i} CPU ${(g.cpu * 100).toFixed(0)} % of a core, sent ${(g.sentShare * 100).toFixed(0)} % of schedule, own loop p99 ${ms(g.loopP99Ms)} ms`,
      )
      .join("; ")}`,
  );
  console.log(
    `  machine during the window (share of one core): other processes ${pct(r.machine.others)}, hypervisor steal ${pct(r.machine.steal)}, I/O wait ${pct(r.machine.iowait)}`,
  );
  if (r.censored > 0)
    console.log(
      `  ${r.censored} messages of the window were not acked by the end: latencies count their wait so far (lower bounds, marked ≥)`,
    );
  for (const reason of r.generatorBound) console.log(`  WARNING generator-bound: ${reason}`);
  if (r.machine.others + r.machine.steal > 0.2)
    console.log("  WARNING noisy machine: other work took more than 20 % of a core during the window");
}

console.log(
  `bench:load — clients=${CLIENTS} rate=${RATES.join(",")} msg/s seconds=${SECONDS} (after ${WARMUP} s warm-up) workers=${WORKERS} group-size=${GROUP_SIZE} group-share=${GROUP_SHARE} window=${WINDOW === 0 ? "open loop" : WINDOW}`,
);
console.log("one machine: the server and the generators share its cores (loopback only); server CPU is % of one core");
// Other work on the machine (or its host) skews every figure; say how quiet it was.
console.log(`machine before the run, idle 3 s — stalled: ${await backgroundPressure(3000)}`);
const results: TargetResult[] = [];
for (const rate of RATES) for (const target of TARGETS) results.push(await runTarget(target, rate));

/** Kept up with the offered load: (nearly) all of it accepted in the window, nothing left unanswered. */
const keptUp = (r: TargetResult) => r.unanswered === 0 && r.acceptedPerSecond >= 0.97 * r.offered;

console.log(
  "\n| server | offered msg/s | accepted msg/s | deliveries/s | deliver p50 / p95 / p99 / max ms | ack p99 ms | server CPU | server RSS peak MiB | loop lag p99 / max ms | lost / dup / out-of-order | generator CPU (each) | others / steal |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  const lag = r.lag ? `${ms(r.lag.p99 * 1000)} / ${ms(r.lag.max * 1000)}` : "n/a";
  const behind = r.unanswered > 0 ? `; ${r.unanswered} not acked by the end of the drain` : "";
  const accepted = `${r.target === "ws" ? "(no acks)" : r.acceptedPerSecond.toFixed(0)}${keptUp(r) ? "" : ` (fell behind${behind})`}`;
  const deliver = [r.deliver.p50, r.deliver.p95, r.deliver.p99, r.deliver.max].map((v) => lat(r, v)).join(" / ");
  const generators = `${r.generators.map((g) => pct(g.cpu)).join(", ")}${r.generatorBound.length > 0 ? " generator-bound" : ""}`;
  const cells = [
    TARGET_NAMES[r.target],
    r.offered,
    accepted,
    r.deliveredPerSecond.toFixed(0),
    deliver,
    r.target === "ws" ? "n/a" : lat(r, r.ack.p99),
    pct(r.serverCpu),
    mb(r.rssPeak),
    lag,
    `${r.lost} / ${r.duplicated} / ${r.outOfOrder}`,
    generators,
    `${pct(r.machine.others)} / ${pct(r.machine.steal)}`,
  ];
  console.log(`| ${cells.join(" | ")} |`);
}
console.log("(ratios: deliveries/s above 1 and p99 below 1 favour haetae)");
for (const rate of RATES) {
  const haetae = results.find((r) => r.target === "haetae" && r.offered === rate);
  if (!haetae) continue;
  for (const peer of results.filter((r) => r.target !== "haetae" && r.offered === rate)) {
    const accepted =
      peer.target === "ws" ? "" : `, accepted/s ${(haetae.acceptedPerSecond / peer.acceptedPerSecond).toFixed(2)}`;
    console.log(
      `ratio haetae/${peer.target} at ${rate} msg/s offered: deliveries/s ${(haetae.deliveredPerSecond / peer.deliveredPerSecond).toFixed(2)}${accepted}, p99 send→deliver ${(haetae.deliver.p99 / peer.deliver.p99).toFixed(2)}`,
    );
  }
}
if (RATES.length > 1) {
  // Throughput at equal p99: the highest offered rate each server kept up with inside the bound.
  const best = (target: Target) =>
    results
      .filter((r) => r.target === target && keptUp(r) && r.deliver.p99 <= P99_BOUND && r.generatorBound.length === 0)
      .reduce((m, r) => Math.max(m, r.deliveredPerSecond), 0);
  const bestHaetae = best("haetae");
  for (const target of TARGETS) {
    const b = best(target);
    const ratio = target !== "haetae" && b > 0 ? `; haetae/${target} ${(bestHaetae / b).toFixed(2)}` : "";
    const top = Math.max(...results.filter((r) => r.target === target).map((r) => r.offered));
    const capped = results.some(
      (r) => r.target === target && r.offered === top && keptUp(r) && r.deliver.p99 <= P99_BOUND,
    )
      ? " (at the highest rate tried: the limit is higher)"
      : "";
    console.log(
      `most deliveries/s with p99 send→deliver ≤ ${P99_BOUND} ms, generators not the limit: ${target} ${b.toFixed(0)}${capped}${ratio}`,
    );
  }
}
for (const r of results) {
  if (r.generatorBound.length > 0)
    console.log(`generator-bound: the ${r.target} figures at ${r.offered} msg/s understate the server`);
}
const broken = results.some((r) => r.target === "haetae" && r.lost + r.duplicated + r.outOfOrder > 0);
if (broken) console.log("FAIL: haetae lost, duplicated or reordered messages");
process.exit(broken ? 1 : 0);
