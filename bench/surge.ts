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
 * Two shapes. `steady` (the default) is the above. `pipelined` is many sends per connection
 * offered faster than the node can commit: 100 clients in 50 direct pairs, each sending as its
 * sends fall due without waiting for acks (open outbox), 20,000 msg/s for 2 s between 1 s and
 * 2 s at 200 msg/s, with the per-user and per-connection limits raised so that what refuses is
 * the node's admission, not a count. Any flag given overrides the shape's value. Both shapes ask
 * /healthz and /readyz four times a second (a miss: no 200 within 1 s). With
 * `--compare-admission`, Haetae runs a second time in the same run with sends admitted by count
 * only (`--send-queue-target-ms 0`), and the two are compared.
 *
 * Usage: npm run bench:surge -- [--shape steady|pipelined] [--clients 2000] [--workers 4]
 *   [--rate 300] [--factor 10] [--baseline-seconds 30] [--surge-seconds 60] [--after-seconds 30]
 *   [--window-seconds 5] [--drain 60] [--targets haetae,ws,socketio] [--chart docs/bench/surge.svg]
 *   [--group-size 10] [--group-share 0.5] [--outbox 1] [--compare-admission] [--profile]
 *   [--server-arg=--flag ...]
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
import { describeHealth, watchHealth } from "./surge-health.js";
import { printRun, printSummary, type SurgeResult } from "./surge-report.js";
import { serverWaitOfMetrics } from "./surge-server-wait.js";
import { cutWindows, mergeTimelines, percentiles, recoveryAfter, type ServerSample } from "./surge-windows.js";

/** Each shape's values of the numeric flags (a flag given wins). */
const SHAPES = {
  steady: {
    clients: "2000",
    workers: "4",
    rate: "300",
    factor: "10",
    "baseline-seconds": "30",
    "surge-seconds": "60",
    "after-seconds": "30",
    "window-seconds": "5",
    drain: "60",
    "group-size": "10",
    "group-share": "0.5",
    outbox: "1",
  },
  pipelined: {
    clients: "100",
    workers: "2",
    rate: "200",
    factor: "100",
    "baseline-seconds": "1",
    "surge-seconds": "2",
    "after-seconds": "2",
    "window-seconds": "1",
    drain: "30",
    "group-size": "10",
    "group-share": "0",
    outbox: "0",
  },
} as const;
/** The pipelined shape's server flags: counts that would refuse before the admission is reached. */
const PIPELINED_SERVER_ARGS = [
  "--user-sends-per-second=1000000",
  "--user-send-burst=1000000",
  "--user-requests-per-second=1000000",
  "--user-request-burst=1000000",
  "--requests-per-second=100000",
  "--request-burst=100000",
];
const numeric = Object.fromEntries(Object.keys(SHAPES.steady).map((k) => [k, { type: "string" as const }]));
const { values } = parseArgs({
  options: {
    ...numeric,
    shape: { type: "string", default: "steady" },
    targets: { type: "string", default: "haetae,ws,socketio" },
    chart: { type: "string", default: "docs/bench/surge.svg" },
    profile: { type: "boolean", default: false },
    "compare-admission": { type: "boolean", default: false },
    "server-arg": { type: "string", multiple: true, default: [] },
  },
});
const SHAPE = values.shape as keyof typeof SHAPES;
if (!(SHAPE in SHAPES)) throw new Error("--shape must be steady or pipelined");
const num = (key: keyof (typeof SHAPES)["steady"]) =>
  Number((values as Record<string, unknown>)[key] ?? SHAPES[SHAPE][key]);
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

async function runTarget(
  target: Target,
  variant?: { label: string; serverArgs: string[] },
): Promise<{ result: SurgeResult; chart: ChartRun }> {
  console.log(`\n== ${variant?.label ?? TARGET_NAMES[target]} ==`);
  const server = await startServer(target, {
    profile: values.profile as boolean,
    serverArgs: [
      ...(SHAPE === "pipelined" && target === "haetae" ? PIPELINED_SERVER_ARGS : []),
      ...(variant?.serverArgs ?? []),
      ...(values["server-arg"] as string[]),
    ],
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
    const health = watchHealth(server.port);
    const cpuStart = cpuMsOf(server.pid);
    const wallStart = Date.now();
    for (const w of workers) w.child.send({ type: "start" } satisfies ToWorker);
    const reports = (await Promise.all(workers.map((w) => w.next()))) as ReportMessage[];
    sampler.stop();
    const healthReport = await health.stop();
    const metricsAtEnd = target === "haetae" ? await readMetrics(server.port, 10_000) : undefined;
    const serverWait = metricsAtEnd === undefined ? undefined : serverWaitOfMetrics(metricsAtEnd);
    const serverCpu = (cpuMsOf(server.pid) - cpuStart) / (Date.now() - wallStart);
    const start = Math.min(...reports.map((r) => r.startedAt));
    const profile = await stopServer(server, { from: start + BASELINE * 1000, to: start + (BASELINE + SURGE) * 1000 });
    const buckets = mergeTimelines(reports);
    const samples = sampler.samples;
    const surgeBuckets = buckets.slice(BASELINE, BASELINE + SURGE);
    // Throughput over the whole run, up to the last ack: on a machine where the generators fall
    // behind their schedule, the surge's own seconds hold few of the sends it offered.
    const lastAckSecond = buckets.reduce((last, b, i) => (b.accepted > 0 ? i : last), -1);
    const accepted = buckets.reduce((sum, b) => sum + b.accepted, 0);
    const inPhase = (from: number, to: number) =>
      samples.filter((s) => s.at >= start + from * 1000 && s.at < start + to * 1000);
    const result: SurgeResult = {
      target,
      ...(variant ? { label: variant.label } : {}),
      health: healthReport,
      ...(serverWait ? { serverWait } : {}),
      windows: cutWindows(buckets, samples, start, WINDOW_SECONDS),
      phases: { baselineEnd: BASELINE, surgeEnd: BASELINE + SURGE, scheduleEnd: SCHEDULE },
      totals: { offered: reports.reduce((s, r) => s + r.sent, 0), ...sumTotals(reports) },
      check: reports[0]?.check ?? "",
      overRun: { accepted, seconds: lastAckSecond + 1 },
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
    console.log(`  health checks during the run: ${describeHealth(healthReport)}`);
    if (serverWait) {
      console.log(
        `  admitted sends as the server measured them (frame arrival → commit): ${serverWait.count}, p99 ${serverWait.p99Ms.toFixed(0)} ms, ${(serverWait.within250 * 100).toFixed(1)} % within 250 ms`,
      );
    }
    return { result, chart: { target, buckets, samples, start } };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await stopServer(server);
  }
}

const settings = `${SHAPE} shape: clients=${CLIENTS} over ${WORKERS} generators, R=${RATE} msg/s for ${BASELINE} s, ${FACTOR}×R=${RATE * FACTOR} msg/s for ${SURGE} s, R for ${AFTER} s; outbox ${OUTBOX === 0 ? "open" : OUTBOX} in flight per connection`;
console.log(`bench:surge — ${settings}`);
console.log("one machine: the servers and the generators share its cores (loopback only); CPU is % of one core");
console.log(`machine before the run, idle 3 s — stalled: ${await backgroundPressure(3000)}`);
const runs: { result: SurgeResult; chart: ChartRun }[] = [];
for (const target of TARGETS) {
  runs.push(await runTarget(target));
  if (target === "haetae" && values["compare-admission"]) {
    runs.push(
      await runTarget("haetae", {
        label: "haetae, sends admitted by count only",
        serverArgs: ["--send-queue-target-ms=0"],
      }),
    );
  }
}
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
