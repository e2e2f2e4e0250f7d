/**
 * @module `npm run bench:idle`: what a fresh `npm start` costs before anyone uses it. Starts the
 * built server (`node dist/cli.js serve`, as `npm start` does once the build is current) in an
 * empty data folder and prints its cold start (spawn to `/readyz` 200 on the chat port, and to
 * the status page on the status port) and its resident memory after `--idle-s` seconds of
 * idling (probes running), for the chat node and for the watcher that supervises it; beside
 * it, a bare `node:http` server measured the same way, the floor any Node server starts from.
 * `--runs` repeats it (the median is printed); `--supervise false` measures the node alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, ROOT } from "../test/child-server.js";
import { rssOf, sleep } from "./proc-stats.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "idle-s": { type: "string", default: "20" },
    supervise: { type: "string", default: "true" },
  },
});
const runs = Number(values.runs);
const idleMs = Number(values["idle-s"]) * 1000;
const supervise = values.supervise !== "false";
const MB = 1024 * 1024;

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
  nodeRss: number;
  watcherRss: number | null;
}

async function haetaeRun(): Promise<Run> {
  const data = mkdtempSync(join(tmpdir(), "haetae-idle-"));
  const [port, statusPort] = [await freePort(), await freePort()];
  const args = ["dist/cli.js", "serve", "--port", String(port), "--data", data, "--supervise", String(supervise)];
  if (supervise) args.push("--status-port", String(statusPort));
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  try {
    const readyMs = await firstAnswer(`http://127.0.0.1:${port}/readyz`, started, child);
    const statusMs = supervise ? await firstAnswer(`http://127.0.0.1:${statusPort}/status`, started, child) : null;
    await sleep(idleMs);
    const pid = child.pid as number;
    const node = supervise ? childrenOf(pid)[0] : pid;
    if (node === undefined) throw new Error("the watcher has no chat node");
    return { readyMs, statusMs, nodeRss: rssOf(node), watcherRss: supervise ? rssOf(pid) : null };
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
    await sleep(Math.min(idleMs, 5000));
    return { readyMs, statusMs: null, nodeRss: rssOf(child.pid as number), watcherRss: null };
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

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
  watcher: median(haetae.map((r) => r.watcherRss ?? Number.NaN)),
};
const p = { ready: median(peer.map((r) => r.readyMs)), rss: median(peer.map((r) => r.nodeRss)) };
console.log(`bench:idle — ${runs} runs, median; idle ${idleMs / 1000} s; supervise ${supervise}`);
console.log(`  every run: ${haetae.map((r) => `${ms(r.readyMs)} / ${mb(r.nodeRss)}`).join(", ")}`);
console.log(
  `  cold start, spawn to /readyz 200:  ${ms(h.ready)}   (bare node:http ${ms(p.ready)}, ${(h.ready / p.ready).toFixed(1)}×)`,
);
if (supervise) console.log(`  cold start, spawn to the status page: ${ms(h.status)}`);
console.log(
  `  idle RSS, chat node:                ${mb(h.node)}   (bare node:http ${mb(p.rss)}, ${(h.node / p.rss).toFixed(1)}×)`,
);
if (supervise) console.log(`  idle RSS, watcher:                  ${mb(h.watcher)}`);
