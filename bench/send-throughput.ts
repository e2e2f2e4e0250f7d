/**
 * @module Benchmark: acknowledged sends per second through the real server (child process,
 * SQLite, synchronous=FULL), against a bare `ws` server that answers each frame at once — the
 * peer that shows what the transport alone costs, measured in the same run.
 *
 * Usage: npm run bench:send -- [--clients 20] [--window 32] [--seconds 5] [--profile] [--node-arg=--flag …]
 *
 * `--profile` writes a V8 CPU profile of every server thread (`--cpu-prof`) and prints each
 * thread's top self-time functions over the measured seconds; `--node-arg` passes a flag to the
 * server's `node` (an inspector port, a heap setting); `--server-env NAME=VALUE` sets the server's
 * environment beside the one `npm start` gives it (`SERVER_NODE_ENV`; `NAME=` unsets one).
 */

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket, { WebSocketServer } from "ws";
import { freePort, ROOT, startServe } from "../test/child-server.js";
import { SETUP_FLAGS, UNLIMITED_SEND_FLAGS } from "./bench-flags.js";
import { topSelfTime } from "./cpu-profile.js";
import { cpuMsOf } from "./proc-stats.js";
import { SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "20" },
    window: { type: "string", default: "32" },
    seconds: { type: "string", default: "5" },
    profile: { type: "boolean", default: false },
    "node-arg": { type: "string", multiple: true, default: [] },
    "server-env": { type: "string", multiple: true, default: [] },
  },
});
const CLIENTS = Number(values.clients);
const WINDOW = Number(values.window);
const SECONDS = Number(values.seconds);
const PROFILE = values.profile;
const NODE_ARGS = values["node-arg"];
const SERVER_ENV = serverEnv(values["server-env"]);

interface Result {
  acked: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time per acked send, µs: the server's (all its threads) and this generator's. */
  serverUs: number;
  clientUs: number;
  /** Error replies by code: a refusal frees its window slot and is counted, not acked. */
  errors: Map<string, number>;
}

/** Drive `sockets` with a window of pipelined sends each for SECONDS; latencies in ms. */
async function drive(
  sockets: WebSocket[],
  frameFor: (client: number, n: number) => string,
  serverPid = process.pid,
): Promise<Result> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const deadline = performance.now() + SECONDS * 1000;
  const client0 = process.cpuUsage();
  const server0 = cpuMsOf(serverPid);
  await Promise.all(
    sockets.map(
      (ws, client) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<number, number>();
          let n = 0;
          let inFlight = 0;
          const pump = () => {
            while (inFlight < WINDOW && performance.now() < deadline) {
              n += 1;
              sentAt.set(n, performance.now());
              inFlight += 1;
              ws.send(frameFor(client, n));
            }
            if (inFlight === 0) resolve();
          };
          ws.on("message", (data) => {
            const frame = JSON.parse(data.toString()) as { type: string; id?: number; code?: string };
            if (frame.type !== "ok" && frame.type !== "error") return;
            const started = sentAt.get(frame.id as number);
            if (frame.type === "error") errors.set(String(frame.code), (errors.get(String(frame.code)) ?? 0) + 1);
            else if (started !== undefined) latencies.push(performance.now() - started);
            inFlight -= 1;
            pump();
          });
          pump();
        }),
    ),
  );
  const client = process.cpuUsage(client0);
  const clientMs = (client.user + client.system) / 1000;
  // The bare peer runs inside this process: its share is the process's time, less nothing.
  const serverMs = serverPid === process.pid ? 0 : cpuMsOf(serverPid) - server0;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const perSend = (ms: number) => (latencies.length > 0 ? (ms * 1000) / latencies.length : 0);
  return {
    acked: latencies.length,
    perSecond: latencies.length / SECONDS,
    p50: q(0.5),
    p99: q(0.99),
    serverUs: perSend(serverMs),
    clientUs: perSend(clientMs),
    errors,
  };
}

async function open(url: string, token?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return ws;
}

/**
 * SIGTERM the server (a normal exit writes its profiles, one per thread) and, once it has exited,
 * print each thread's top self time over the wall-clock window [from, to].
 */
function printProfiles(child: ChildProcess, dir: string, from: number, to: number): void {
  const killedAt = Date.now();
  child.once("exit", () => {
    const exitAt = (killedAt + Date.now()) / 2;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
      const path = join(dir, file);
      const { endTime } = JSON.parse(readFileSync(path, "utf8")) as { endTime: number };
      const top = topSelfTime(path, endTime - (exitAt - from) * 1000, endTime - (exitAt - to) * 1000, ROOT, 25);
      if (top.length > 0) console.log(`\nprofile ${file}:\n${top.join("\n")}`);
    }
  });
  child.kill("SIGTERM");
}

async function benchHaetae(): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-bench-"));
  const port = await freePort();
  const profileDir = join(dataDir, "profile");
  const server = await startServe({
    port,
    dataDir,
    nodeArgs: [...(PROFILE ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []), ...SERVER_NODE_FLAGS, ...NODE_ARGS],
    flags: [...SETUP_FLAGS, ...UNLIMITED_SEND_FLAGS],
    env: SERVER_ENV,
    echoStderr: { prefix: "", upTo: Number.POSITIVE_INFINITY },
  });
  const child = server.process;
  // A generator that dies (a throw, a timeout's SIGTERM) must not leave its server running.
  process.once("exit", () => child.kill("SIGKILL"));
  process.once("SIGTERM", () => process.exit(143));
  try {
    const base = `http://127.0.0.1:${port}`;
    const sockets: WebSocket[] = [];
    const conversations: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const res = await fetch(`${base}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: `bench${i}`, password: "bench password" }),
      });
      const { token } = (await res.json()) as { token: string };
      const ws = await open(`ws://127.0.0.1:${port}/api/v1/ws`, token);
      const created = await new Promise<{ conversation: { id: string } }>((resolve) => {
        const onMessage = (d: WebSocket.RawData) => {
          const frame = JSON.parse(d.toString()) as { type: string; id?: number; conversation: { id: string } };
          if (frame.type !== "ok" || frame.id !== 0) return;
          ws.off("message", onMessage);
          resolve(frame);
        };
        ws.on("message", onMessage);
        ws.send(JSON.stringify({ type: "conversation.create", id: 0, kind: "direct", memberIds: [] }));
      });
      conversations.push(created.conversation.id);
      sockets.push(ws);
    }
    const from = Date.now();
    const result = await drive(
      sockets,
      (client, n) =>
        JSON.stringify({
          type: "message.send",
          id: n,
          conversationId: conversations[client],
          clientMsgId: `b${n}`,
          text: `benchmark message ${n}`,
        }),
      server.pid,
    );
    const to = Date.now();
    for (const ws of sockets) ws.close();
    if (PROFILE) printProfiles(child, profileDir, from, to);
    return result;
  } finally {
    if (PROFILE) await new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchBareWs(): Promise<Result> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (ws) =>
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { id: number };
      ws.send(JSON.stringify({ type: "ok", id: frame.id, message: { seq: frame.id } }));
    }),
  );
  const port = (wss.address() as { port: number }).port;
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => open(`ws://127.0.0.1:${port}`)));
  const result = await drive(sockets, (client, n) =>
    JSON.stringify({
      type: "message.send",
      id: n,
      conversationId: `c${client}`,
      clientMsgId: `b${n}`,
      text: `benchmark message ${n}`,
    }),
  );
  for (const ws of sockets) ws.close();
  wss.close();
  return result;
}

const haetae = await benchHaetae();
const peer = await benchBareWs();
const row = (name: string, r: Result) =>
  `| ${name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.serverUs ? r.serverUs.toFixed(0) : "(in the generator)"} | ${r.clientUs.toFixed(0)} |`;
console.log(`clients=${CLIENTS} window=${WINDOW} seconds=${SECONDS}`);
console.log(
  "| server | acked sends/s | p50 ms | p99 ms | server CPU µs per send | generator CPU µs per send |\n|---|---|---|---|---|---|",
);
console.log(row("haetae (sqlite, synchronous=FULL, group commit)", haetae));
console.log(row("bare ws echo (peer)", peer));
console.log(`ratio haetae/peer: ${(haetae.perSecond / peer.perSecond).toFixed(3)}`);
for (const [name, r] of [["haetae", haetae] as const, ["peer", peer] as const]) {
  if (r.errors.size > 0)
    console.log(`${name} refused: ${[...r.errors].map(([code, n]) => `${code} ×${n}`).join(", ")}`);
}
process.exit(0);
