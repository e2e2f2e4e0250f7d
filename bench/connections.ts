/**
 * @module Benchmark: memory a node holds per open WebSocket session, against a bare `ws` server
 * holding the same number of idle connections (the peer), measured in the same run.
 *
 * Usage: npm run bench:connections -- [--connections 3000]
 *
 * Scale-out mode (`--nodes N`, see bench/connections-scale-out.ts): the sessions spread over N
 * Haetae processes on PostgreSQL + NATS and G generator processes, e.g. 100,000 sessions:
 *   npm run bench:connections -- --connections 100000 --nodes 6 --generators 6 [--sessions-per-account 10]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { freePort, startChild, startServe } from "../test/child-server.js";
import { runScaleOut } from "./connections-scale-out.js";
import { SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "3000" },
    nodes: { type: "string" },
    generators: { type: "string" },
    "sessions-per-account": { type: "string", default: "10" },
  },
});
const N = Number(values.connections);
if (values.nodes !== undefined) {
  const nodes = Number(values.nodes);
  await runScaleOut({
    connections: N,
    nodes,
    generators: Number(values.generators ?? nodes),
    sessionsPerAccount: Number(values["sessions-per-account"]),
  });
  process.exit(0);
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

async function openMany(url: string, headers: Record<string, string>): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < N; i += 100) {
    const batch = Array.from({ length: Math.min(100, N - i) }, () => {
      const ws = new WebSocket(url, { headers });
      return new Promise<WebSocket>((resolve, reject) => ws.once("open", () => resolve(ws)).once("error", reject));
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function measure(pid: number, url: string, headers: Record<string, string>): Promise<number> {
  await settle();
  const before = rssOf(pid);
  const sockets = await openMany(url, headers);
  await settle();
  const after = rssOf(pid);
  for (const ws of sockets) ws.terminate();
  return (after - before) / N;
}

const dataDir = mkdtempSync(join(tmpdir(), "haetae-bench-conn-"));
const port = await freePort();
const haetae = await startServe({
  port,
  dataDir,
  nodeArgs: [...SERVER_NODE_FLAGS],
  env: serverEnv(),
  flags: [
    "--scrypt-log-n",
    "10",
    // Set-up registers with one fixed password: its strength check (a zxcvbn thread, tens of
    // milliseconds each) would make set-up, not the server, what is measured.
    "--password-min-score",
    "0",
    "--connections-per-second",
    "100000",
    "--connection-burst",
    "100000",
  ],
  echoStderr: { prefix: "", upTo: Number.POSITIVE_INFINITY },
});
const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: "conn_bench", password: "bench password" }),
});
const { token } = (await res.json()) as { token: string };
const perHaetae = await measure(haetae.pid, `ws://127.0.0.1:${port}/api/v1/ws`, { authorization: `Bearer ${token}` });
await haetae.kill();
rmSync(dataDir, { recursive: true, force: true });

const peerPort = await freePort();
const peer = await startChild({
  name: "bare ws peer",
  args: [
    "-e",
    `const { WebSocketServer } = require("ws"); new WebSocketServer({ port: ${peerPort}, host: "127.0.0.1" }); console.log("listening");`,
  ],
  ready: { line: "listening" },
  echoStderr: { prefix: "", upTo: Number.POSITIVE_INFINITY },
});
const perPeer = await measure(peer.pid, `ws://127.0.0.1:${peerPort}`, {});
await peer.kill();

console.log(`connections=${N}`);
console.log("| server | KB per open session |\n|---|---|");
console.log(`| haetae (authenticated session, presence, rate limiter) | ${(perHaetae / 1024).toFixed(1)} |`);
console.log(`| bare ws server (peer) | ${(perPeer / 1024).toFixed(1)} |`);
console.log(`ratio haetae/peer: ${(perHaetae / perPeer).toFixed(2)}`);
process.exit(0);
