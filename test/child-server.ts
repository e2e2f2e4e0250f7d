/** @module Run `haetae serve` as a real child process for tests that kill it. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

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

export interface ChildServer {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  output(): string;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

/** Start the CLI from source (through tsx) on `port` with `dataDir`, and wait until it listens. */
export async function startChildServer(port: number, dataDir: string, extraArgs: string[] = []): Promise<ChildServer> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "serve",
      "--port",
      String(port),
      "--data",
      dataDir,
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
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "test" } },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    process: child,
    url,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`,
    output: () => output,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}
