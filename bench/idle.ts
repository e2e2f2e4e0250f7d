/**
 * @module `npm run bench:idle`: what a fresh `npm start` costs before anyone uses it. Starts the
 * built server (`node dist/bundle/cli.js serve`, as `npm start` does once the build is current) in an
 * empty data folder and prints its cold start (spawn to `/readyz` 200 on the chat port, and to
 * the status page on the status port) and its resident memory after `--idle-s` seconds of
 * idling (probes running), for the chat node and for the watcher that supervises it; beside
 * it, a bare `node:http` server measured the same way, the floor any Node server starts from.
 * The server runs with the V8 flags and environment `npm start` gives it (`bin/haetae.js`). RSS is sampled every
 * 250 ms over the last `--sample-s` seconds of the idle time and the median printed with the
 * highest sample: one read at an instant landed inside a probe run (a login's scrypt, an upload)
 * or not, and three runs read 115, 157 and 169 MB of the same node.
 * `--runs` repeats it (the median is printed); `--supervise false` measures the node alone.
 * It also prints the CPU time (user + system, /proc/<pid>/stat) each process spent from spawn to
 * `/readyz` 200: on a busy machine the wall time stretches with other work, the CPU time barely.
 * `npm run bench:idle-connections` measures the same node holding idle signed-in connections.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, ROOT } from "../test/child-server.js";
import { cpuMsOf, rssOf, sleep } from "./proc-stats.js";
import { SERVER_NODE_ENV, SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    // Past the first minute: the search indexer's thread runs once then, for what the probes wrote.
    "idle-s": { type: "string", default: "75" },
    "sample-s": { type: "string", default: "15" },
    supervise: { type: "string", default: "true" },
    /** Another build to measure, e.g. an older one kept aside (before/after in one run). */
    entry: { type: "string", default: "dist/bundle/cli.js" },
    /** V8 flags instead of the ones `npm start` gives (`bin/haetae.js`), space-separated: to compare. */
    "node-flags": { type: "string" },
    /** `NAME=VALUE` beside the environment `npm start` gives (`SERVER_NODE_ENV`; `NAME=` unsets one): to compare. */
    "server-env": { type: "string", multiple: true, default: [] },
  },
});
const runs = Number(values.runs);
const idleMs = Number(values["idle-s"]) * 1000;
const sampleMs = Math.min(idleMs, Number(values["sample-s"]) * 1000);
const supervise = values.supervise !== "false";
const MB = 1024 * 1024;
const nodeFlags =
  values["node-flags"] === undefined ? SERVER_NODE_FLAGS : values["node-flags"].split(" ").filter(Boolean);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Poll `url` until it answers 200; resolve with the ms since `since`. */
async function firstAnswer(url: string, since: number, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before ${url} answered`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
}

/** The pids of a process's children (the watcher's chat node). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

interface Run {
  readyMs: number;
  statusMs: number | null;
  /** Median of the samples; `nodePeak` the highest. */
  nodeRss: number;
  nodePeak: number;
  watcherRss: number | null;
  /** CPU ms from spawn to `/readyz` 200, of the chat node and of the watcher. */
  nodeCpuMs: number;
  watcherCpuMs: number | null;
}

/** RSS of each of `pids()` every 250 ms for `ms`: the median and the highest sample of each. */
async function sampleRss(pids: () => number[], ms: number): Promise<{ median: number; peak: number }[]> {
  const samples: number[][] = [];
  for (const end = performance.now() + ms; performance.now() < end; await sleep(250)) {
    pids().forEach((pid, i) => {
      samples[i] ??= [];
      samples[i].push(rssOf(pid));
    });
  }
  return samples.map((s) => ({ median: median(s), peak: Math.max(...s) }));
}

async function haetaeRun(): Promise<Run> {
  const data = mkdtempSync(join(tmpdir(), "haetae-idle-"));
  const [port, statusPort] = [await freePort(), await freePort()];
  const args = [values.entry, "serve", "--port", String(port), "--data", data, "--supervise", String(supervise)];
  if (supervise) args.push("--status-port", String(statusPort));
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: ROOT,
    env: serverEnv(values["server-env"]),
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    const readyMs = await firstAnswer(`http://127.0.0.1:${port}/readyz`, started, child);
    const watcherPid = child.pid as number;
    const nodeCpuMs = cpuMsOf(supervise ? (childrenOf(watcherPid)[0] ?? 0) : watcherPid);
    const watcherCpuMs = supervise ? cpuMsOf(watcherPid) : null;
    const statusMs = supervise ? await firstAnswer(`http://127.0.0.1:${statusPort}/status`, started, child) : null;
    await sleep(idleMs - sampleMs);
    const pid = child.pid as number;
    const node = supervise ? childrenOf(pid)[0] : pid;
    if (node === undefined) throw new Error("the watcher has no chat node");
    const [nodeRss, watcherRss] = await sampleRss(() => (supervise ? [node, pid] : [node]), sampleMs);
    if (!nodeRss) throw new Error("no RSS sample");
    return {
      readyMs,
      statusMs,
      nodeRss: nodeRss.median,
      nodePeak: nodeRss.peak,
      watcherRss: watcherRss?.median ?? null,
      nodeCpuMs,
      watcherCpuMs,
    };
  } finally {
    await stop(child);
    rmSync(data, { recursive: true, force: true });
  }
}

/** The peer: a bare node:http server answering 200, started and measured the same way. */
async function peerRun(): Promise<Run> {
  const port = await freePort();
  const source = `require("node:http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1")`;
  const started = performance.now();
  const child = spawn(process.execPath, ["-e", source], { stdio: "ignore" });
  try {
    const readyMs = await firstAnswer(`http://127.0.0.1:${port}/`, started, child);
    const cpuMs = cpuMsOf(child.pid as number);
    const [rss] = await sampleRss(() => [child.pid as number], Math.min(sampleMs, 5000));
    if (!rss) throw new Error("no RSS sample");
    return {
      readyMs,
      statusMs: null,
      nodeRss: rss.median,
      nodePeak: rss.peak,
      watcherRss: null,
      nodeCpuMs: cpuMs,
      watcherCpuMs: null,
    };
  } finally {
    await stop(child);
  }
}

const loadBefore = loadavg();
const haetae: Run[] = [];
const peer: Run[] = [];
for (let i = 0; i < runs; i++) {
  haetae.push(await haetaeRun());
  peer.push(await peerRun());
}
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mb = (x: number) => `${(x / MB).toFixed(1)} MB`;
const h = {
  ready: median(haetae.map((r) => r.readyMs)),
  status: median(haetae.map((r) => r.statusMs ?? Number.NaN)),
  node: median(haetae.map((r) => r.nodeRss)),
  peak: median(haetae.map((r) => r.nodePeak)),
  watcher: median(haetae.map((r) => r.watcherRss ?? Number.NaN)),
  nodeCpu: median(haetae.map((r) => r.nodeCpuMs)),
  watcherCpu: median(haetae.map((r) => r.watcherCpuMs ?? Number.NaN)),
};
const p = {
  ready: median(peer.map((r) => r.readyMs)),
  rss: median(peer.map((r) => r.nodeRss)),
  cpu: median(peer.map((r) => r.nodeCpuMs)),
};
const serverEnvironment = serverEnv(values["server-env"]);
const envShown =
  [...new Set([...Object.keys(SERVER_NODE_ENV), ...values["server-env"].map((pair) => pair.split("=")[0] ?? "")])]
    .map((name) => `${name}=${serverEnvironment[name] ?? "(unset)"}`)
    .join(" ") || "(as given)";
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
console.log(
  `bench:idle — ${runs} runs, median; idle ${idleMs / 1000} s, RSS sampled over its last ${sampleMs / 1000} s; ` +
    `supervise ${supervise}; ${values.entry}; node flags ${nodeFlags.join(" ")}; ` +
    `environment ${envShown}`,
);
console.log(`  load average before ${load(loadBefore)}, after ${load(loadavg())}`);
console.log(
  `  every run (ready / CPU node, watcher / node RSS median, peak / watcher RSS): ${haetae
    .map(
      (r) =>
        `${ms(r.readyMs)} / ${ms(r.nodeCpuMs)}, ${r.watcherCpuMs === null ? "-" : ms(r.watcherCpuMs)} / ` +
        `${mb(r.nodeRss)}, ${mb(r.nodePeak)} / ${r.watcherRss === null ? "-" : mb(r.watcherRss)}`,
    )
    .join("; ")}`,
);
console.log(
  `  cold start, spawn to /readyz 200:  ${ms(h.ready)}   (bare node:http ${ms(p.ready)}, ${(h.ready / p.ready).toFixed(1)}×)`,
);
if (supervise) console.log(`  cold start, spawn to the status page: ${ms(h.status)}`);
console.log(
  `  CPU from spawn to /readyz 200:       node ${ms(h.nodeCpu)}${supervise ? `, watcher ${ms(h.watcherCpu)}` : ""}   (bare node:http ${ms(p.cpu)})`,
);
console.log(
  `  idle RSS, chat node:                ${mb(h.node)}   (bare node:http ${mb(p.rss)}, ${(h.node / p.rss).toFixed(1)}×); peak ${mb(h.peak)}`,
);
if (supervise) console.log(`  idle RSS, watcher:                  ${mb(h.watcher)}`);
