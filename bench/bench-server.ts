/**
 * @module The servers the load benchmarks drive, each its own child process: Haetae (`haetae
 * serve`, SQLite, durable acks) and the peers of `bench/peers`, ejabberd among them. Starting
 * one, registering the users, reading a server's event-loop lag, and stopping it (with its CPU
 * profile).
 */

import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT, startChild } from "../test/child-server.js";
import { LOOPBACK_ADDRESS_FLAGS, SETUP_FLAGS } from "./bench-flags.js";
import { topSelfTime } from "./cpu-profile.js";
import type { PlannedClient, Target } from "./load-shared.js";
import { registerXmppUsers, startEjabberd } from "./peers/ejabberd-server.js";
import { sleep } from "./proc-stats.js";
import { SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

/** How each target is named in the figures. */
export const TARGET_NAMES: Record<Target, string> = {
  haetae: "haetae (sqlite, durable acks)",
  ws: "bare ws broadcast (peer a)",
  socketio: "socket.io + sqlite (peer b)",
  "socketio-full": "socket.io + sqlite, synchronous=FULL (peer b, Haetae's durability)",
  ejabberd: "ejabberd, XMPP 1:1, messages not stored (peer c)",
  "ejabberd-mam": "ejabberd + mod_mam on sqlite, synchronous=FULL (peer c, Haetae's durability)",
};

/** The ejabberd targets: XMPP 1:1 chats only (group chats would be MUC, which is not compared). */
export function isEjabberd(target: Target): boolean {
  return target === "ejabberd" || target === "ejabberd-mam";
}

/** Every target a benchmark may name. */
export const ALL_TARGETS = Object.keys(TARGET_NAMES) as Target[];

/** A running server child. */
export interface ServerHandle {
  target: Target;
  child: ChildProcess;
  pid: number;
  port: number;
  /** The URL the generators connect to. */
  url: string;
  output: () => string;
  dataDir: string;
  profileDir?: string;
}

/** How to start a server: a CPU profile of Haetae (`--cpu-prof`), extra `haetae serve` flags. */
export interface StartOptions {
  profile: boolean;
  serverArgs: string[];
}

/** Start `target` on a free port with a fresh data folder; resolves once it listens. */
export async function startServer(target: Target, options: StartOptions): Promise<ServerHandle> {
  // Start each server on a quiet disk: write back what the previous one left dirty.
  execFileSync("sync");
  const dataDir = mkdtempSync(join(tmpdir(), `haetae-bench-${target}-`));
  const port = await freePort();
  if (isEjabberd(target)) {
    const ejabberd = await startEjabberd({ dir: dataDir, port, mam: target === "ejabberd-mam" });
    console.log(`  ${target}: ${ejabberd.description}`);
    const { child, pid, url, output } = ejabberd;
    return { target, child, pid, port, url, output, dataDir };
  }
  const profileDir = target === "haetae" && options.profile ? join(dataDir, "profile") : undefined;
  const nodeArgs = [
    ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
    ...(target === "haetae" ? SERVER_NODE_FLAGS : []),
  ];
  const args =
    target === "haetae"
      ? [
          "src/cli.ts",
          "serve",
          "--port",
          String(port),
          "--data",
          dataDir,
          ...SETUP_FLAGS,
          // Change the limits that stay with --server-arg.
          ...LOOPBACK_ADDRESS_FLAGS,
          ...options.serverArgs,
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
  const child = await startChild({
    name: target,
    args: [...nodeArgs, "--import", "tsx", ...args],
    ready: { line: "listening on" },
    ...(target === "haetae" ? { env: serverEnv() } : {}),
    timeoutMs: 30_000,
    echoStderr: { prefix: `[${target}] `, upTo: 20_000 },
  });
  const output = child.output;
  console.log(`  ${target}: ${output().split("\n")[0]}`);
  const url =
    target === "haetae"
      ? `ws://127.0.0.1:${port}/api/v1/ws`
      : target === "ws"
        ? `ws://127.0.0.1:${port}`
        : `http://127.0.0.1:${port}`;
  return {
    target,
    child: child.process,
    pid: child.pid,
    port,
    url,
    output,
    dataDir,
    ...(profileDir ? { profileDir } : {}),
  };
}

/**
 * Stop a server. With a CPU profile, SIGTERM lets it exit normally (which is when `--cpu-prof`
 * writes the profile) and the top self-time functions between the wall times `from` and `to`
 * (ms since the epoch) are returned; otherwise SIGKILL. The data folder is removed.
 */
export async function stopServer(server: ServerHandle, window?: { from: number; to: number }): Promise<string[]> {
  let profile: string[] = [];
  if (server.profileDir && window && server.child.exitCode === null) {
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
      profile = topSelfTime(
        path,
        raw.endTime - (exitAt - window.from) * 1000,
        raw.endTime - (exitAt - window.to) * 1000,
        ROOT,
      );
    }
  }
  server.child.kill("SIGKILL");
  await sleep(200);
  rmSync(server.dataDir, { recursive: true, force: true });
  return profile;
}

/** Register the users over HTTP, honouring `retryAfterMs` when the server limits registrations. */
export async function registerUsers(port: number, count: number): Promise<PlannedClient[]> {
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

/** The clients of a run: Haetae's or ejabberd's registered users, or numbered users for a peer. */
export async function clientsFor(server: ServerHandle, count: number): Promise<PlannedClient[]> {
  if (server.target === "haetae") return await registerUsers(server.port, count);
  if (isEjabberd(server.target)) return await registerXmppUsers(server.port, count);
  return Array.from({ length: count }, (_, index) => ({ index, userId: `u${index}`, token: "" }));
}

/** Event-loop delay of a server since the last read, seconds. */
export interface Lag {
  p50: number;
  p99: number;
  max: number;
}

/** A server's /metrics text (Haetae) — undefined when it does not answer within `timeoutMs`. */
export async function readMetrics(port: number, timeoutMs = 2000): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return await res.text();
  } catch {
    return undefined;
  }
}

/** One gauge's value from Prometheus text (NaN when absent). */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name} ([0-9.eE+-]+)$`, "m").exec(text)?.[1] ?? Number.NaN);
}

/** The lag gauges of Haetae's /metrics text. */
export function lagOfMetrics(text: string): Lag {
  return {
    p50: metricValue(text, "haetae_nodejs_eventloop_lag_p50_seconds"),
    p99: metricValue(text, "haetae_nodejs_eventloop_lag_p99_seconds"),
    max: metricValue(text, "haetae_nodejs_eventloop_lag_max_seconds"),
  };
}

/** The server's event-loop delay since the last read (seconds); reading resets it. */
export async function readLag(target: Target, port: number): Promise<Lag | undefined> {
  // The Erlang VM has no single event loop to measure: its schedulers preempt every process.
  if (isEjabberd(target)) return undefined;
  if (target === "haetae") {
    const text = await readMetrics(port);
    return text === undefined ? undefined : lagOfMetrics(text);
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/lag`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as Lag;
  } catch {
    return undefined;
  }
}
