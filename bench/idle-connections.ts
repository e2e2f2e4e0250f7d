/**
 * @module `npm run bench:idle-connections`: what an idle node pays for idle signed-in clients.
 * Starts the built node (`dist/bundle/cli.js serve --supervise false`, with the V8 flags of
 * `npm start`) in an empty data folder and measures it over `--seconds` each: with no client,
 * then holding `--connections` WebSocket sessions (signed in with a bearer token, spread over
 * `--accounts` accounts) that send nothing, with the heartbeat at `--heartbeat-ms` (the default,
 * 20 s: each round pings every client and re-checks its session). A second node holds the same
 * sessions with the heartbeat at 600 s (the most the config allows, so at most one slice falls in
 * the window): the difference is the heartbeat's own cost. Printed per phase: the node's CPU as a
 * share of one core (user + system from /proc/<pid>/stat) and its RSS, sampled every 250 ms
 * (median and peak), with the load average; the probes run every 10 s in every phase.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { freePort, startChild } from "../test/child-server.js";
import { cpuMsOf, rssOf, sleep } from "./proc-stats.js";
import { SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    accounts: { type: "string", default: "10" },
    seconds: { type: "string", default: "60" },
    "heartbeat-ms": { type: "string", default: "20000" },
    /** Also measure a node with the heartbeat at 600 s (`false` skips it). */
    "compare-off": { type: "string", default: "true" },
  },
});
const N = Number(values.connections);
const accounts = Math.max(1, Math.min(N, Number(values.accounts)));
const windowMs = Number(values.seconds) * 1000;
const MB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

interface Phase {
  name: string;
  cpuPercent: number;
  rssMedian: number;
  rssPeak: number;
  /** This process's own CPU in the window (it answers the pings), share of one core. */
  clientCpuPercent: number;
  loadBefore: string;
  loadAfter: string;
}

/** CPU share and RSS of `pid` over the window. */
async function measure(name: string, pid: number): Promise<Phase> {
  const loadBefore = load();
  const rss: number[] = [];
  const cpu0 = cpuMsOf(pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  for (const end = t0 + windowMs; performance.now() < end; await sleep(250)) rss.push(rssOf(pid));
  const elapsed = performance.now() - t0;
  const self = process.cpuUsage(self0);
  return {
    name,
    cpuPercent: (100 * (cpuMsOf(pid) - cpu0)) / elapsed,
    rssMedian: median(rss),
    rssPeak: Math.max(...rss),
    clientCpuPercent: (100 * (self.user + self.system)) / 1000 / elapsed,
    loadBefore,
    loadAfter: load(),
  };
}

/** Register `accounts` accounts; their bearer tokens. */
async function tokens(url: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < accounts; i++) {
    const res = await fetch(`${url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: `idle_${i}`, password: "bench password" }),
    });
    if (!res.ok) throw new Error(`register: HTTP ${res.status} ${await res.text()}`);
    out.push(((await res.json()) as { token: string }).token);
  }
  return out;
}

/** Why sessions closed during a run (close code and reason → count): a window with closed sessions measures fewer. */
const closes = new Map<string, number>();

/** Open one session; undefined when the server refused it (a `4002 overloaded` while the machine is busy). */
function openOne(wsUrl: string, token: string): Promise<WebSocket | undefined> {
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
  ws.on("close", (code, reason) => {
    const why = `${code} ${reason.toString()}`;
    closes.set(why, (closes.get(why) ?? 0) + 1);
  });
  return new Promise((resolve) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", () => resolve(undefined));
    ws.once("close", () => resolve(undefined));
  });
}

/**
 * Open N sessions, 100 at a time, round-robin over the tokens; sessions the admission control
 * refused (or closed at once) are opened again after a second, up to 20 tries.
 */
async function openMany(wsUrl: string, bearer: string[]): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let tries = 0; tries < 20; tries++) {
    for (let i = sockets.length - 1; i >= 0; i--) if (sockets[i]?.readyState !== WebSocket.OPEN) sockets.splice(i, 1);
    if (sockets.length >= N) break;
    if (tries > 0) await sleep(1000);
    while (sockets.length < N) {
      const batch = Array.from({ length: Math.min(100, N - sockets.length) }, (_, j) =>
        openOne(wsUrl, bearer[(sockets.length + j) % bearer.length] as string),
      );
      const opened = (await Promise.all(batch)).filter((ws) => ws !== undefined);
      sockets.push(...opened);
      if (opened.length < batch.length) break;
    }
  }
  return sockets;
}

/** One node: optionally a phase without clients, then one with N idle sessions. */
async function node(heartbeatMs: number, withEmptyPhase: boolean): Promise<Phase[]> {
  const data = mkdtempSync(join(tmpdir(), "haetae-idle-conn-"));
  const port = await freePort();
  const child = await startChild({
    name: "haetae",
    env: serverEnv(),
    args: [
      ...SERVER_NODE_FLAGS,
      "dist/bundle/cli.js",
      "serve",
      "--port",
      String(port),
      "--data",
      data,
      "--supervise",
      "false",
      "--heartbeat-ms",
      String(heartbeatMs),
      // Set-up only: registering skips the strength check (a zxcvbn thread), and the sessions
      // open faster than the per-address connection limit would allow one generator.
      "--password-min-score",
      "0",
      "--connections-per-second",
      "100000",
      "--connection-burst",
      "100000",
    ],
    ready: { line: "listening on" },
    timeoutMs: 60_000,
    echoStderr: { prefix: "", upTo: 10_000 },
  });
  const phases: Phase[] = [];
  try {
    const url = `http://127.0.0.1:${port}`;
    await sleep(5000);
    if (withEmptyPhase) phases.push(await measure("no clients", child.pid));
    const sockets = await openMany(`ws://127.0.0.1:${port}/api/v1/ws`, await tokens(url));
    await sleep(5000);
    const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    const phase = await measure(`${N} idle sessions, heartbeat ${heartbeatMs / 1000} s`, child.pid);
    const still = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    if (open !== N || still !== N) {
      throw new Error(
        `sessions open: ${open} before the window, ${still} after, of ${N}; closed: ${[...closes].join("; ")}`,
      );
    }
    phases.push(phase);
    for (const ws of sockets) ws.terminate();
  } finally {
    await child.stop();
    rmSync(data, { recursive: true, force: true });
  }
  return phases;
}

const heartbeatMs = Number(values["heartbeat-ms"]);
const phases = await node(heartbeatMs, true);
console.error(`measured: ${JSON.stringify(phases)}`);
if (values["compare-off"] !== "false") phases.push(...(await node(600_000, false)));

console.log(
  `bench:idle-connections — ${N} sessions over ${accounts} accounts, ${windowMs / 1000} s per phase; ` +
    `node flags ${SERVER_NODE_FLAGS.join(" ")}`,
);
console.log("| node | CPU, % of one core | RSS median (peak) | this generator's CPU | load average before → after |");
console.log("| --- | --- | --- | --- | --- |");
for (const p of phases) {
  console.log(
    `| ${p.name} | ${p.cpuPercent.toFixed(2)} % | ${(p.rssMedian / MB).toFixed(1)} MB (${(p.rssPeak / MB).toFixed(1)}) | ` +
      `${p.clientCpuPercent.toFixed(2)} % | ${p.loadBefore} → ${p.loadAfter} |`,
  );
}
process.exit(0);
