/**
 * @module Child processes for tests and benchmarks: `haetae serve` from source, a peer server or
 * HAProxy, a one-shot `haetae` command. Each start waits until the child is ready and keeps what
 * it printed, so a failure says why; each child is stopped by SIGTERM or SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The repository's root: children run from there. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** When a child counts as started: it printed `line`, or `url` answers 2xx. */
export type Readiness = { line: string } | { url: string };

/** How to start a child with {@link startChild}. */
export interface ChildOptions {
  /** Names the child in messages ("haetae did not start: …"). */
  name: string;
  /** The program; Node itself unless given. */
  command?: string;
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  ready: Readiness;
  /** How long to wait for readiness; 20 s unless given. */
  timeoutMs?: number;
  /** Copy the child's stderr to ours with a prefix, up to `upTo` characters: a benchmark shows a server's warnings as they come. */
  echoStderr?: { prefix: string; upTo: number };
}

/** A started child. */
export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** What it printed on stdout and stderr, in order (the middle left out past 200,000 characters). */
  output(): string;
  hasExited(): boolean;
  /** SIGKILL (an outage: no drain, no goodbye) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a normal exit, which is when `--cpu-prof` writes its profile); SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** A long-running child prints without end: keep its start (why it started so) and its end (why it stopped). */
const KEEP = 100_000;

function outputRecorder(): { append(chunk: Buffer | string): void; text(): string } {
  let head = "";
  let tail = "";
  let leftOut = 0;
  return {
    append(chunk) {
      const text = String(chunk);
      const room = Math.max(0, KEEP - head.length);
      head += text.slice(0, room);
      const rest = text.slice(room);
      if (rest === "") return;
      tail += rest;
      if (tail.length > KEEP) {
        leftOut += tail.length - KEEP;
        tail = tail.slice(-KEEP);
      }
    },
    text: () => (leftOut > 0 ? `${head}\n[… ${leftOut} characters left out …]\n${tail}` : head + tail),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** Start a child and wait until it is ready; rejects with what it printed when it exits or times out first. */
export async function startChild(options: ChildOptions): Promise<Child> {
  const { name, ready, echoStderr } = options;
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  const recorder = outputRecorder();
  let echoed = 0;
  child.stdout?.on("data", recorder.append);
  child.stderr?.on("data", (chunk: Buffer) => {
    recorder.append(chunk);
    if (echoStderr && echoed < echoStderr.upTo) {
      echoed += chunk.length;
      process.stderr.write(`${echoStderr.prefix}${chunk}`);
    }
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let started = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${name} ${why}:\n${recorder.text()}`));
      const timer = setTimeout(() => fail("did not start"), options.timeoutMs ?? 20_000);
      const done = () => {
        started = true;
        clearTimeout(timer);
        resolve();
      };
      child.once("error", (error) => fail(`could not run (${error.message})`));
      child.once("exit", (code, signal) => {
        if (started) return;
        clearTimeout(timer);
        fail(`exited with ${code ?? signal}`);
      });
      if ("line" in ready) {
        const onData = () => {
          if (!recorder.text().includes(ready.line)) return;
          child.stdout?.off("data", onData);
          child.stderr?.off("data", onData);
          done();
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", onData);
      } else {
        void (async () => {
          while (!started && !hasExited()) {
            if (await answers(ready.url)) return done();
            await sleep(100);
          }
        })();
      }
    });
  } catch (error) {
    if (!hasExited()) child.kill("SIGKILL");
    throw error;
  }
  // A child that dies on its own says why where the run's log keeps it: a test that fails later
  // on a refused connection does not.
  let asked = false;
  child.once("exit", (code, signal) => {
    if (asked || code === 0) return;
    process.stderr.write(
      `${name} (pid ${child.pid}) exited with ${code ?? signal}, unasked; it printed last:\n${recorder.text().slice(-4000)}\n`,
    );
  });
  const kill = async () => {
    asked = true;
    if (hasExited()) return;
    child.kill("SIGKILL");
    await exited;
  };
  return {
    name,
    process: child,
    pid: child.pid as number,
    output: recorder.text,
    hasExited,
    kill,
    async stop(timeoutMs = 20_000) {
      asked = true;
      if (hasExited()) return;
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(timeoutMs)]);
      await kill();
    },
  };
}

/** How to start `haetae serve` with {@link startServe}. */
export interface ServeOptions {
  port: number;
  dataDir: string;
  /** More `haetae serve` flags, after `--port` and `--data`. */
  flags?: string[];
  /** Node's own flags, before the entry point (V8 flags, `--cpu-prof`). */
  nodeArgs?: string[];
  /** Run the bundle `npm run build` made (dist/bundle/cli.js), as `npm start` does, instead of the sources through tsx. */
  bundle?: boolean;
  env?: Record<string, string>;
  name?: string;
  timeoutMs?: number;
  echoStderr?: ChildOptions["echoStderr"];
}

/** A running `haetae serve`. */
export interface ServerChild extends Child {
  port: number;
  /** HTTP base URL. */
  url: string;
  /** The WebSocket endpoint. */
  wsUrl: string;
}

/**
 * Start `haetae serve` from source (through tsx, or the bundle when `bundle` is set) and wait
 * until it says it listens. Unless the flags say `--supervise`, the node runs alone
 * (`--supervise false`): the process a test kills is the one that holds the store, and no
 * watcher takes the status port 8081. Tests of the watcher pass `--supervise true`.
 */
export async function startServe(options: ServeOptions): Promise<ServerChild> {
  const { port } = options;
  const alone = options.flags?.includes("--supervise") ? [] : ["--supervise", "false"];
  const child = await startChild({
    name: options.name ?? "haetae",
    args: [
      ...(options.nodeArgs ?? []),
      ...(options.bundle ? ["dist/bundle/cli.js"] : ["--import", "tsx", "src/cli.ts"]),
      "serve",
      "--port",
      String(port),
      "--data",
      options.dataDir,
      ...alone,
      ...(options.flags ?? []),
    ],
    ready: { line: "listening on" },
    ...(options.env ? { env: options.env } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.echoStderr ? { echoStderr: options.echoStderr } : {}),
  });
  return { ...child, port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws` };
}

/** The server a test kills and restarts. */
export type ChildServer = ServerChild;

/**
 * Limits a test would otherwise measure instead of the server: cheap password hashes, and rate
 * limits and load levels far above what a test sends from its one address.
 */
const TEST_FLAGS = [
  "--scrypt-log-n",
  "10",
  "--logins-per-minute-per-ip",
  "1000000",
  "--degrade-lag-ms",
  "60000",
  "--user-sends-per-second",
  "1000000",
  "--user-send-burst",
  "1000000",
  "--user-requests-per-second",
  "1000000",
  "--user-request-burst",
  "1000000",
];

/** `haetae serve` for a test, on `port` with `dataDir` and the test flags, then `extraArgs`. */
export async function startChildServer(port: number, dataDir: string, extraArgs: string[] = []): Promise<ChildServer> {
  // 45 s: on a shared 2-core machine under load, compiling and migrating can pass 20 s.
  return startServe({
    port,
    dataDir,
    flags: [...TEST_FLAGS, ...extraArgs],
    env: { NODE_ENV: "test" },
    timeoutMs: 45_000,
  });
}

/** What a one-shot command printed, and its exit status. */
export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `haetae <args>` from source and collect what it prints. Asynchronous, so a node serving in
 * the test's own process keeps answering (and finishing its write transactions, which the command
 * may wait on) while the command runs.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}
