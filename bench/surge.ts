/**
 * @module Benchmark `bench:surge`: the New Year's midnight. Thousands of clients — pairs in direct
 * chats and groups of 10, spread over several generator processes — send at a baseline rate R,
 * then at 10×R, then at R again, on loopback, against Haetae (`haetae serve`, SQLite, durable
 * acks) and the peers of `bench/peers`, one after the other in the same run.
 *
 * The clients behave like the SDK's outbox: one send in flight per connection, a refusal with
 * `retryAfterMs` waits that long and retries the same clientMsgId (exactly-once), so a refused
 * send is delayed, never lost. Latencies count from the moment a message was due (first send),
 * so time spent waiting in a client's outbox or for a retry is in them.
 *
 * Prints, per window (5 s by default): offered, accepted and delivered messages/s, send→ack and
 * send→deliver p50/p99/max, refusals with retryAfterMs by code, Haetae's degradation level
 * (`haetae_degradation_level` from /metrics, sampled twice a second), server RSS, event-loop lag,
 * server CPU and other processes' CPU on the machine. Then: lost and duplicated accepted messages
 * (exit code 1 unless both are 0), p99 of the surge's sends, and how long after the surge the p99
 * and the level were back to normal. Writes a chart (SVG) of it all.
 *
 * Usage: npm run bench:surge -- [--clients 2000] [--workers 4] [--rate 300] [--factor 10]
 *   [--baseline-seconds 30] [--surge-seconds 60] [--after-seconds 30] [--window-seconds 5]
 *   [--drain 60] [--targets haetae,ws,socketio] [--chart docs/bench/surge.svg]
 *   [--group-size 10] [--group-share 0.5] [--outbox 1] [--profile] [--server-arg=--flag ...]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  ALL_TARGETS,
  isEjabberd,
  lagOfMetrics,
  metricValue,
  readLag,
  readMetrics,
  type ServerHandle,
  startServer,
  stopServer,
  TARGET_NAMES,
} from "./bench-server.js";
import type { ReportMessage, Target, ToWorker } from "./load-shared.js";
import { connectWorkers, judgeGenerators, spawnWorker, sumTotals } from "./load-workers.js";
import { backgroundPressure, cpuMsOf, MachineWatch, rssOf, sleep } from "./proc-stats.js";
import { type ChartRun, surgeChart } from "./surge-chart.js";
import { printRun, printSummary, type SurgeResult } from "./surge-report.js";
import { cutWindows, mergeTimelines, percentiles, recoveryAfter, type ServerSample } from "./surge-windows.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "2000" },
    workers: { type: "string", default: "4" },
    rate: { type: "string", default: "300" },
    factor: { type: "string", default: "10" },
    "baseline-seconds": { type: "string", default: "30" },
    "surge-seconds": { type: "string", default: "60" },
    "after-seconds": { type: "string", default: "30" },
    "window-seconds": { type: "string", default: "5" },
    drain: { type: "string", default: "60" },
    "group-size": { type: "string", default: "10" },
    "group-share": { type: "string", default: "0.5" },
    outbox: { type: "string", default: "1" },
    targets: { type: "string", default: "haetae,ws,socketio" },
    chart: { type: "string", default: "docs/bench/surge.svg" },
    profile: { type: "boolean", default: false },
    "server-arg": { type: "string", multiple: true, default: [] },
  },
});
const num = (key: keyof typeof values) => Number(values[key]);
const CLIENTS = num("clients");
const WORKERS = num("workers");
const RATE = num("rate");
const FACTOR = num("factor");
const BASELINE = num("baseline-seconds");
const SURGE = num("surge-seconds");
const AFTER = num("after-seconds");
const WINDOW_SECONDS = num("window-seconds");
const DRAIN = num("drain");
const GROUP_SIZE = num("group-size");
const GROUP_SHARE = num("group-share");
const OUTBOX = num("outbox");
const TARGETS = (values.targets as string).split(",").map((t) => t.trim()) as Target[];
for (const [name, value] of Object.entries({ CLIENTS, WORKERS, RATE, FACTOR, BASELINE, SURGE, AFTER, DRAIN })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
}
for (const [name, value] of Object.entries({ WINDOW_SECONDS, GROUP_SIZE })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number, 1 or more`);
}
if (!(GROUP_SHARE >= 0 && GROUP_SHARE <= 1)) throw new Error("--group-share must be between 0 and 1");
if (!(Number.isInteger(OUTBOX) && OUTBOX >= 0)) throw new Error("--outbox must be a whole number, 0 or more");
for (const t of TARGETS) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t}`);
if (TARGETS.some(isEjabberd) && GROUP_SHARE > 0)
  throw new Error("the ejabberd targets carry 1:1 chats only: add --group-share 0");
if (CLIENTS / WORKERS > 15_000)
  throw new Error("more than 15,000 clients per generator: a process may hold 20,000 files");

const SCHEDULE = BASELINE + SURGE + AFTER;
const PHASES = [
  { seconds: BASELINE, rate: RATE },
  { seconds: SURGE, rate: RATE * FACTOR },
  { seconds: AFTER, rate: RATE },
];

/** Read the server twice a second until stopped: level, lag, RSS, CPU, the machine's other work. */
function sampleServer(server: ServerHandle, watch: MachineWatch): { samples: ServerSample[]; stop: () => void } {
  const samples: ServerSample[] = [];
  let stopped = false;
  let lastCpu = cpuMsOf(server.pid);
  let lastAt = Date.now();
  const loop = async () => {
    while (!stopped) {
      const began = Date.now();
      let level: number | undefined;
      let lag: { p99: number; max: number } | undefined;
      if (server.target === "haetae") {
        const text = await readMetrics(server.port, 1500);
        if (text !== undefined) {
          level = metricValue(text, "haetae_degradation_level");
          lag = lagOfMetrics(text);
        }
      } else {
        lag = await readLag(server.target, server.port);
      }
      const at = Date.now();
      const answerMs = at - began;
      const cpu = cpuMsOf(server.pid);
      let rssMb = 0;
      try {
        rssMb = rssOf(server.pid) / 1024 / 1024;
      } catch {
        // The server is gone: the run reports that through its generators.
      }
      if (rssMb === 0) break;
      samples.push({
        at,
        ...(level !== undefined && Number.isFinite(level) ? { level } : {}),
        rssMb,
        answerMs,
        ...(lag ? { lagP99Ms: lag.p99 * 1000, lagMaxMs: lag.max * 1000 } : {}),
        cpu: (cpu - lastCpu) / Math.max(1, at - lastAt),
        others: watch.read().others,
      });
      lastCpu = cpu;
      lastAt = at;
      await sleep(Math.max(0, 500 - (Date.now() - began)));
    }
  };
  const running = loop();
  return {
    samples,
    stop: () => {
      stopped = true;
      void running;
    },
  };
}

async function runTarget(target: Target): Promise<{ result: SurgeResult; chart: ChartRun }> {
  console.log(`\n== ${TARGET_NAMES[target]} ==`);
  const server = await startServer(target, {
    profile: values.profile as boolean,
    serverArgs: values["server-arg"] as string[],
  });
  const workers = Array.from({ length: WORKERS }, () => spawnWorker());
  try {
    const population = { clients: CLIENTS, groupSize: GROUP_SIZE, groupShare: GROUP_SHARE };
    await connectWorkers(workers, server, population, (part) => ({
      rate: RATE * part,
      phases: PHASES.map((p) => ({ seconds: p.seconds, rate: p.rate * part })),
      // The bare ws peer never acks: a window would stop its clients after the first send.
      window: target === "ws" ? 0 : OUTBOX,
      warmupSeconds: 0,
      seconds: SCHEDULE,
      drainSeconds: DRAIN,
      bucketMs: 1000,
    }));
    await sleep(1000); // let connection setup settle
    const watch = new MachineWatch([server.pid, ...workers.map((w) => w.child.pid as number)]);
    const sampler = sampleServer(server, watch);
    const cpuStart = cpuMsOf(server.pid);
    const wallStart = Date.now();
    for (const w of workers) w.child.send({ type: "start" } satisfies ToWorker);
    const reports = (await Promise.all(workers.map((w) => w.next()))) as ReportMessage[];
    sampler.stop();
    const serverCpu = (cpuMsOf(server.pid) - cpuStart) / (Date.now() - wallStart);
    const start = Math.min(...reports.map((r) => r.startedAt));
    const profile = await stopServer(server, { from: start + BASELINE * 1000, to: start + (BASELINE + SURGE) * 1000 });
    const buckets = mergeTimelines(reports);
    const samples = sampler.samples;
    const surgeBuckets = buckets.slice(BASELINE, BASELINE + SURGE);
    const inPhase = (from: number, to: number) =>
      samples.filter((s) => s.at >= start + from * 1000 && s.at < start + to * 1000);
    const result: SurgeResult = {
      target,
      windows: cutWindows(buckets, samples, start, WINDOW_SECONDS),
      phases: { baselineEnd: BASELINE, surgeEnd: BASELINE + SURGE, scheduleEnd: SCHEDULE },
      totals: { offered: reports.reduce((s, r) => s + r.sent, 0), ...sumTotals(reports) },
      check: reports[0]?.check ?? "",
      surge: {
        acceptedPerSecond: surgeBuckets.reduce((s, b) => s + b.accepted, 0) / SURGE,
        deliveredPerSecond: surgeBuckets.reduce((s, b) => s + b.delivered, 0) / SURGE,
        ack: percentiles(surgeBuckets.flatMap((b) => b.ack)),
        attempt: percentiles(surgeBuckets.flatMap((b) => b.attempt)),
        deliver: percentiles(surgeBuckets.flatMap((b) => b.deliver)),
      },
      recovery: recoveryAfter(
        buckets,
        samples,
        start,
        { baselineEnd: BASELINE, surgeEnd: BASELINE + SURGE, scheduleEnd: SCHEDULE },
        target === "ws" ? "deliver" : "ack",
      ),
      rssMb: {
        baseline: Math.max(0, ...inPhase(0, BASELINE).map((s) => s.rssMb)),
        peak: Math.max(0, ...samples.map((s) => s.rssMb)),
        end: inPhase(BASELINE + SURGE, SCHEDULE).at(-1)?.rssMb ?? 0,
      },
      levelMax: Math.max(-1, ...samples.map((s) => s.level ?? -1)),
      serverCpu,
      others: samples.reduce((s, x) => s + x.others, 0) / Math.max(1, samples.length),
      ...judgeGenerators(reports),
      profile,
    };
    printRun(result, WINDOW_SECONDS);
    return { result, chart: { target, buckets, samples, start } };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await stopServer(server);
  }
}

const settings = `clients=${CLIENTS} over ${WORKERS} generators, R=${RATE} msg/s for ${BASELINE} s, ${FACTOR}×R=${RATE * FACTOR} msg/s for ${SURGE} s, R for ${AFTER} s; outbox ${OUTBOX === 0 ? "open" : OUTBOX} in flight per connection`;
console.log(`bench:surge — ${settings}`);
console.log("one machine: the servers and the generators share its cores (loopback only); CPU is % of one core");
console.log(`machine before the run, idle 3 s — stalled: ${await backgroundPressure(3000)}`);
const runs: { result: SurgeResult; chart: ChartRun }[] = [];
for (const target of TARGETS) runs.push(await runTarget(target));
printSummary(runs.map((r) => r.result));
const chartPath = values.chart as string;
mkdirSync(dirname(chartPath), { recursive: true });
writeFileSync(
  chartPath,
  surgeChart(
    runs.map((r) => r.chart),
    { from: BASELINE, to: BASELINE + SURGE },
    `${settings}; ${new Date().toISOString().slice(0, 10)}`,
  ),
);
console.log(`chart written to ${chartPath}`);
const haetae = runs.find((r) => r.result.target === "haetae")?.result;
const broken = haetae ? haetae.totals.lost + haetae.totals.duplicated + haetae.totals.outOfOrder > 0 : false;
if (broken) console.log("FAIL: haetae lost, duplicated or reordered accepted messages");
process.exit(broken ? 1 : 0);
