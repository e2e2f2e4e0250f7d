/**
 * @module Benchmark `bench:load`: steady traffic. N connected clients — pairs in direct chats and
 * groups of 10 — send at a total open-loop rate R for S seconds, on loopback. The same load runs,
 * in the same run, against Haetae (`haetae serve` as a child process, SQLite, durable acks) and
 * two peers, each its own child process: (a) a bare `ws` broadcast server that stores nothing
 * and (b) a Socket.IO chat server doing one SQLite INSERT per message — as built first
 * (better-sqlite3's defaults: a commit does not wait for the disk) and with synchronous=FULL
 * (every commit waits for the disk, as Haetae's do); and (c) ejabberd from Debian's packages over
 * XMPP (`bench/peers/ejabberd-server.ts`), routing only or archiving every message with mod_mam
 * on SQLite. ejabberd carries 1:1 chats only, so a run that names it must be `--group-share 0`.
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
 *   [--targets haetae,ws,socketio,socketio-full,ejabberd,ejabberd-mam]
 *   [--profile] [--server-arg=--flag --server-arg=value ...]
 */
import { parseArgs } from "node:util";
import { ALL_TARGETS, isEjabberd, type Lag, readLag, startServer, stopServer, TARGET_NAMES } from "./bench-server.js";
import { quantile, type ReportMessage, type Target, type ToWorker } from "./load-shared.js";
import {
  connectWorkers,
  type GeneratorFigures,
  judgeGenerators,
  spawnWorker,
  sumTotals,
  type Totals,
} from "./load-workers.js";
import { findEjabberd } from "./peers/ejabberd-server.js";
import { backgroundPressure, cpuMsOf, MachineWatch, rssOf, sleep } from "./proc-stats.js";

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
  if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t}`);
}
if (TARGETS.some(isEjabberd)) {
  // Fail before any server runs, and say how to install, rather than skip the peer.
  findEjabberd(TARGETS.includes("ejabberd-mam"));
  if (GROUP_SHARE > 0)
    throw new Error(
      "the ejabberd targets carry 1:1 chats only: run them with --group-share 0 (every target then gets pairs)",
    );
}

interface TargetResult extends Totals {
  target: Target;
  offered: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  deliver: { p50: number; p95: number; p99: number; max: number };
  ack: { p50: number; p95: number; p99: number; max: number };
  check: string;
  serverCpu: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  lag: Lag | undefined;
  generators: GeneratorFigures[];
  /** Share of one core, during the window: other processes' CPU, the hypervisor's steal, I/O wait. */
  machine: { others: number; steal: number; iowait: number };
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

async function runTarget(target: Target, RATE: number): Promise<TargetResult> {
  console.log(`\n== ${TARGET_NAMES[target]} at ${RATE} msg/s ==`);
  const server = await startServer(target, {
    profile: values.profile as boolean,
    serverArgs: values["server-arg"] as string[],
  });
  const pid = server.pid;
  const workers = Array.from({ length: WORKERS }, () => spawnWorker());
  let window: { from: number; to: number } | undefined;
  try {
    const population = { clients: CLIENTS, groupSize: GROUP_SIZE, groupShare: GROUP_SHARE };
    await connectWorkers(workers, server, population, (part) => ({
      rate: RATE * part,
      window: WINDOW,
      warmupSeconds: WARMUP,
      seconds: SECONDS,
      drainSeconds: DRAIN,
    }));
    await sleep(1000); // let connection setup settle
    const rssStart = rssOf(pid);
    for (const w of workers) w.child.send({ type: "start" } satisfies ToWorker);
    const reportsPromise = Promise.all(workers.map((w) => w.next()));
    await sleep(WARMUP * 1000);
    const cpuStart = cpuMsOf(pid);
    const watch = new MachineWatch([pid, ...workers.map((w) => w.child.pid as number)]);
    const wallStart = Date.now();
    const lagReset = await readLag(target, server.port); // resets the server's lag histogram
    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(pid));
    }, 250);
    await sleep(SECONDS * 1000);
    const elapsed = Date.now() - wallStart;
    const serverCpu = (cpuMsOf(pid) - cpuStart) / elapsed;
    const machine = watch.read();
    const wallEnd = Date.now();
    window = { from: wallStart, to: wallEnd };
    // A lag read that waited behind a backlog does not cover the window: report none.
    const lag = lagReset ? await readLag(target, server.port) : undefined;
    const reports = (await reportsPromise) as ReportMessage[];
    clearInterval(sampler);
    const rssEnd = rssOf(pid);
    rssPeak = Math.max(rssPeak, rssEnd);
    const sum = (key: keyof ReportMessage) => reports.reduce((s, r) => s + (r[key] as number), 0);
    const { generators, bound: generatorBound } = judgeGenerators(reports);
    const result: TargetResult = {
      target,
      offered: RATE,
      acceptedPerSecond: sum("acceptedInWindow") / SECONDS,
      deliveredPerSecond: sum("deliveredInWindow") / SECONDS,
      ...sumTotals(reports),
      deliver: merge(reports, "deliverLatencies"),
      ack: merge(reports, "ackLatencies"),
      check: reports[0]?.check ?? "",
      serverCpu,
      rssStart,
      rssPeak,
      rssEnd,
      lag,
      generators,
      machine,
      generatorBound,
      drainMs: Math.max(...reports.map((r) => r.drainMs)),
    };
    printTarget(result);
    if (server.profileDir) {
      result.profile = await stopServer(server, window);
      console.log("  server CPU profile, top self time during the window:");
      for (const line of result.profile) console.log(`    ${line}`);
      if (result.profile.length === 0) console.log("    (no CPU profile was written)");
    }
    return result;
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await stopServer(server);
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
  if (r.lost > 0 && r.drainMs >= DRAIN * 1000 - 100)
    console.log(
      `  (the drain ran its full ${DRAIN} s: "lost" counts accepted messages not delivered by then, which a server that fell behind may still deliver)`,
    );
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
    // The p99 ratio is one at equal throughput only when both kept up with the same offer.
    const behind = [haetae, peer].filter((r) => !keptUp(r)).map((r) => r.target);
    const equal = behind.length === 0 ? "equal throughput" : `not equal throughput: ${behind.join(", ")} fell behind`;
    console.log(
      `ratio haetae/${peer.target} at ${rate} msg/s offered: deliveries/s ${(haetae.deliveredPerSecond / peer.deliveredPerSecond).toFixed(2)}${accepted}, p99 send→deliver ${(haetae.deliver.p99 / peer.deliver.p99).toFixed(2)} (${equal})`,
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
