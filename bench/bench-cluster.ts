/**
 * @module BenchCluster: several `haetae serve` processes in the scale-out mode (one PostgreSQL
 * schema and one NATS prefix of their own) for the benchmarks that need more connections than one
 * process may hold, and the accounts those benchmarks register on them.
 */

import { type ChildProcess, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, ROOT, type ServerChild, startServe } from "../test/child-server.js";
import { LOOPBACK_ADDRESS_FLAGS, SETUP_FLAGS } from "./bench-flags.js";
import { sleep } from "./proc-stats.js";
import { SERVER_NODE_FLAGS, serverEnv } from "./server-node-flags.js";

/** Where the scale-out benchmarks find PostgreSQL and NATS; the same defaults as the tests. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Open file descriptors of a process. */
export function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** One node of the cluster: its port and, while it runs, its process. */
export interface BenchNode {
  index: number;
  port: number;
  child: ChildProcess;
  output: () => string;
  server: ServerChild;
}

/** Options of {@link startBenchCluster}. */
export interface BenchClusterOptions {
  nodes: number;
  /** Extra `haetae serve` flags for every node. */
  serverArgs?: string[];
  /** Write a V8 CPU profile of each node into this folder (written when a node exits normally). */
  profileDir?: string;
  /** Run the nodes from the bundle (`npm run build`), as `npm start` does, not from the sources through tsx. */
  bundle?: boolean;
}

/** For a `--bundle` run: build the bundle first when a source is newer than it, as `npm start` does. */
export function buildIfStale(): void {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-if-stale.mjs")], { stdio: "inherit" });
}

/** N Haetae nodes on one fresh schema and NATS prefix; `stop()` kills them and drops the schema. */
export class BenchCluster {
  readonly nodes: BenchNode[] = [];
  readonly schema = `haetae_b_${randomBytes(6).toString("hex")}`;
  private readonly dataDir = mkdtempSync(join(tmpdir(), "haetae-bench-cluster-"));
  private ports: number[] = [];
  /** Children this cluster itself is stopping: their exit is expected. */
  private readonly stopping = new Set<ChildProcess>();

  private constructor(private readonly options: BenchClusterOptions) {}

  /** Start the nodes: the first migrates the schema, the others start beside it. */
  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const cluster = new BenchCluster(options);
    cluster.ports = await Promise.all(Array.from({ length: options.nodes }, () => freePort()));
    await cluster.startNode(0);
    await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => cluster.startNode(i + 1)));
    return cluster;
  }

  /** HTTP base URLs of the nodes, by index. */
  get urls(): string[] {
    return this.ports.map((port) => `http://127.0.0.1:${port}`);
  }

  /** Start (or restart, on the same port) node `i`; resolves once it listens. */
  async startNode(i: number): Promise<BenchNode> {
    const store = new URL(POSTGRES_URL);
    store.searchParams.set("schema", this.schema);
    // One folder per node start: --cpu-prof writes a profile per thread (tsx's loader has one).
    const profile = this.options.profileDir
      ? ["--cpu-prof", "--cpu-prof-dir", join(this.options.profileDir, `node${i}-${Date.now()}`)]
      : [];
    const server = await startServe({
      name: `node ${i}`,
      port: this.ports[i] as number,
      dataDir: join(this.dataDir, `node${i}`),
      nodeArgs: [...profile, ...SERVER_NODE_FLAGS],
      ...(this.options.bundle ? { bundle: true } : {}),
      env: serverEnv(),
      flags: [
        "--store",
        store.toString(),
        "--bus",
        `${NATS_URL}?prefix=${this.schema}`,
        ...SETUP_FLAGS,
        ...LOOPBACK_ADDRESS_FLAGS,
        ...(this.options.serverArgs ?? []),
      ],
      timeoutMs: 60_000,
    });
    const child = server.process;
    // A node that dies by itself mid-run is a finding: say so, with the end of what it printed.
    child.once("exit", (code, signal) => {
      if (!this.stopping.has(child)) {
        console.error(
          `node ${i} exited by itself (code ${code}, signal ${signal}); its last output:\n${server.output().slice(-3000)}`,
        );
      }
    });
    const node: BenchNode = { index: i, port: server.port, child, output: server.output, server };
    this.nodes[i] = node;
    return node;
  }

  /** SIGKILL node `i` (no drain, no goodbye: an outage) and wait for its exit. */
  async killNode(i: number): Promise<void> {
    const server = this.nodes[i]?.server;
    if (!server) return;
    this.stopping.add(server.process);
    await server.kill();
  }

  /**
   * The main-thread CPU profile of each node start, by folder name (`node<i>-<start ms>`): the
   * one that sampled Haetae's own code, not the module loader's thread.
   */
  profiles(): { name: string; file: string }[] {
    const dir = this.options.profileDir;
    if (!dir) return [];
    return readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const files = readdirSync(join(dir, name)).filter((f) => f.endsWith(".cpuprofile"));
        // From the sources, the main thread's profile names ws-gateway.ts; from the bundle, the
        // gateway's WebSocketServer (the writer thread and tsx's loader name neither).
        const main = files.find((f) => /ws-gateway|handleUpgrade/.test(readFileSync(join(dir, name, f), "utf8")));
        return main ? [{ name, file: join(dir, name, main) }] : [];
      });
  }

  /** SIGTERM node `i` (a normal exit, which is when --cpu-prof writes its profile); SIGKILL after `timeoutMs`. */
  async stopNode(i: number, timeoutMs = 20_000): Promise<void> {
    const server = this.nodes[i]?.server;
    if (!server) return;
    this.stopping.add(server.process);
    await server.stop(timeoutMs);
  }

  /** A counter summed over its labels, read from node `i`'s /metrics (NaN when unreachable). */
  async metric(i: number, name: string, labels = ""): Promise<number> {
    try {
      const text = await (await fetch(`${this.urls[i]}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
          if (labels && !line.includes(labels)) continue;
          sum += Number(line.slice(line.lastIndexOf(" ") + 1));
        }
      }
      return sum;
    } catch (error) {
      console.error(`  node ${i}: /metrics not read: ${(error as Error).message}`);
      return Number.NaN;
    }
  }

  /** Node `i`'s samples of these metrics, as `name{labels} value` lines (none when unreachable). */
  async counters(i: number, names: string[]): Promise<string[]> {
    try {
      const text = await (await fetch(`${this.urls[i]}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      return text
        .split("\n")
        .filter((line) => names.some((name) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)))
        .map((line) => line.replace(/^haetae_/, ""));
    } catch (error) {
      console.error(`  node ${i}: /metrics not read: ${(error as Error).message}`);
      return [];
    }
  }

  /** Kill every node, drop the schema, remove the data folders. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.killNode(i)));
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } finally {
      await client.end();
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** An account made for a benchmark: its id and the token of its one device. */
export interface BenchAccount {
  userId: string;
  token: string;
}

/**
 * Register `count` accounts over HTTP, spread over the nodes, `concurrency` at a time, honouring
 * `retryAfterMs` when a node limits registrations. Each costs one scrypt hash on the server.
 */
export async function registerAccounts(
  urls: string[],
  count: number,
  prefix: string,
  concurrency = 16,
): Promise<BenchAccount[]> {
  const accounts: BenchAccount[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const url = urls[index % urls.length] as string;
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`${url}/api/v1/auth/register`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username: `${prefix}_${index}`, password: "bench password" }),
          });
          const body = (await res.json()) as {
            user?: { id: string };
            token?: string;
            error?: { retryAfterMs?: number };
          };
          if (res.ok && body.user && body.token) {
            accounts[index] = { userId: body.user.id, token: body.token };
            break;
          }
          if (attempt >= 50) throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
          await sleep(body.error?.retryAfterMs ?? 200);
        }
      }
    }),
  );
  return accounts;
}

/**
 * Sample PostgreSQL's client backends of the benchmark's database every `everyMs` until `stop()`,
 * which returns the average number of backends per state and wait event: whether the store's
 * connections were busy, waiting for a lock, or idle while the nodes waited for them.
 */
export function watchPostgres(everyMs = 500): { stop(): Promise<string> } {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  const totals = new Map<string, number>();
  let samples = 0;
  let timer: NodeJS.Timeout | undefined;
  const ready = client.connect().then(() => {
    timer = setInterval(() => {
      client
        .query<{ what: string; n: number }>(
          `SELECT state || coalesce(' / ' || wait_event_type || ':' || wait_event, '') AS what, count(*)::int AS n
           FROM pg_stat_activity
           WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
           GROUP BY 1`,
        )
        .then(({ rows }) => {
          samples += 1;
          for (const row of rows) totals.set(row.what, (totals.get(row.what) ?? 0) + row.n);
        })
        .catch(() => undefined);
    }, everyMs);
  });
  return {
    async stop() {
      await ready.catch(() => undefined);
      clearInterval(timer);
      await client.end().catch(() => undefined);
      if (samples === 0) return "no samples";
      return [...totals.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([what, n]) => `${(n / samples).toFixed(1)} ${what}`)
        .join(", ");
    },
  };
}
