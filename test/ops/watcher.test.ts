/**
 * @module The watcher, with real processes: `haetae serve` runs the node in a child under a watcher
 * that holds the tower and the status page. The child killed with SIGKILL: the status port shows
 * the incident with its cause, the node comes back on the same port with its messages, and the
 * incident resolves itself with a timeline and a duration that match. A crash loop stops the
 * restarts, shows a major outage and pages staff. SIGTERM stops both; `--supervise false` is one
 * process; `haetae tower` sees a node die and come back from outside.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { type Child, freePort, type ServerChild, startChild, startChildServer, startServe } from "../child-server.js";
import { postJson, RawClient, registerUser } from "../harness.js";
import { eventually } from "./ops-helpers.js";
import { type Receiver, startReceiver } from "./receiver.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Settings that make the watcher's clocks run in seconds. */
const FAST = [
  "--scrypt-log-n",
  "10",
  "--probe-interval-ms",
  "0",
  "--tower-tick-ms",
  "200",
  "--resolve-quiet-ms",
  "1500",
  "--restart-backoff-ms",
  "200",
  "--watch-interval-ms",
  "250",
];

interface StatusIncident {
  id: string;
  name: string;
  status: string;
  resolved_at: string | null;
  incident_updates: { body: string }[];
  components: { id: string; status: string }[];
}
interface Summary {
  page: { url: string };
  status: { indicator: string };
  components: { id: string; status: string }[];
  incidents: StatusIncident[];
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

/** Whether a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The haetae processes (`src/cli.ts`) among a process's children (Linux `ps`; tsx's esbuild service is not one). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes("src/cli.ts"))
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

/** The node's pid, from the last "listening on … (pid N" line of the watcher's output. */
function nodePid(server: Child): number {
  const all = [...server.output().matchAll(/listening on \S+ \(pid (\d+)/g)];
  return Number(all.at(-1)?.[1]);
}

async function supervised(
  dataDir: string,
  statusPort: number,
  extra: string[] = [],
  port?: number,
): Promise<ServerChild> {
  const server = await startServe({
    port: port ?? (await freePort()),
    dataDir,
    flags: ["--supervise", "true", "--status-port", String(statusPort), ...FAST, ...extra],
    env: { NODE_ENV: "test" },
    name: "haetae (supervised)",
  });
  cleanups.push(() => server.kill());
  // The node listens first; the watcher's status listener comes up after it (cli.ts, "The node
  // starts first"), and says so.
  await eventually(async () => expect(server.output()).toMatch(/haetae watcher \(pid \d+\): status page on/), 30_000);
  return server;
}

describe("haetae serve under its watcher", () => {
  it("a SIGKILLed node: the status port shows the cause within 15 s, the node returns with its messages, the incident resolves with its timeline and duration", async () => {
    const dataDir = tempDir("haetae-watch-");
    const statusPort = await freePort();
    const status = `http://127.0.0.1:${statusPort}`;
    const server = await supervised(dataDir, statusPort, ["--admin-usernames", "watch_admin"]);
    const firstPid = nodePid(server);
    expect(firstPid).not.toBe(server.pid);
    expect(childrenOf(server.pid)).toContain(firstPid);
    // The web client served by the node is told the watcher's status port, to ask when the node is gone.
    const index = await (await fetch(`${server.url}/`)).text();
    const meta = /<meta name="haetae-settings" content="([^"]*)"/.exec(index)?.[1] ?? "";
    expect(meta.replaceAll("&#34;", '"')).toContain(`"statusPort":${statusPort}`);

    const admin = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "watch_admin", password: "correct horse" },
      201,
    );
    expect(admin.user.role).toBe("admin");
    const bob = await registerUser(server.url, "watchb");
    const client = await RawClient.connect(server.wsUrl, admin.token);
    const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [bob.user.id],
    });
    await client.ok("message.send", { conversationId: conversation.id, clientMsgId: "before-crash", text: "kept" });
    await client.close();
    // Nothing open before the fault; the page's links point at the status listener.
    const before = await getJson<Summary>(`${status}/api/v2/summary.json`);
    expect(before.incidents).toEqual([]);
    expect(before.page.url).toBe(status);

    const killedAt = Date.now();
    process.kill(firstPid, "SIGKILL");
    let seenAt = 0;
    await eventually(async () => {
      const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
      const incident = summary.incidents[0];
      expect(incident?.status).toBe("investigating");
      expect(incident?.incident_updates.map((u) => u.body).join(" ")).toMatch(/process exited with signal SIGKILL/);
      expect(incident?.components.map((c) => c.id).sort()).toEqual(summary.components.map((c) => c.id).sort());
      seenAt = Date.now();
    }, 15_000);
    expect(seenAt - killedAt).toBeLessThan(15_000);

    // The node is back on the same port; a client reconnects and finds the message sent before.
    let backAt = 0;
    await eventually(async () => {
      const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(1000) });
      expect(response.status).toBe(200);
      backAt = Date.now();
    }, 30_000);
    const secondPid = nodePid(server);
    expect(secondPid).not.toBe(firstPid);
    expect(alive(secondPid)).toBe(true);
    // Both the first node and the restarted one run with one malloc arena (cli.ts, nodeEnvironment).
    expect(readFileSync(`/proc/${secondPid}/environ`, "utf8").split("\0")).toContain("MALLOC_ARENA_MAX=1");
    const again = await RawClient.connect(server.wsUrl, admin.token);
    const page = await again.ok<{ messages: { clientMsgId: string; text: string }[] }>("history", {
      conversationId: conversation.id,
      afterSeq: 0,
      limit: 10,
    });
    expect(page.messages.map((m) => m.clientMsgId)).toEqual(["before-crash"]);
    await again.close();

    // It resolves by itself (monitoring, then quiet for resolveQuietMs).
    let resolved: StatusIncident | undefined;
    await eventually(async () => {
      const { incidents } = await getJson<{ incidents: StatusIncident[] }>(`${status}/api/v2/incidents.json`);
      expect(incidents[0]?.status).toBe("resolved");
      resolved = incidents[0];
    }, 30_000);
    const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
    expect(summary.incidents).toEqual([]);
    expect(summary.status.indicator).toBe("none");

    // Staff's view (the ops API on the chat port, over the IPC link to the watcher's tower).
    const { incident } = await getJson<{
      incident: {
        timeline: { kind: string; text: string; data?: { event?: string } }[];
        measured: { durationMs: number };
        createdAt: string;
        monitoringAt: string;
      };
    }>(`${server.url}/api/v1/ops/incidents/${resolved?.id}`, { authorization: `Bearer ${admin.token}` });
    const events = incident.timeline.map((t) => t.data?.event).filter((e) => e !== undefined);
    expect(events).toEqual(["exit", "restart", "ready"]);
    expect(incident.timeline.find((t) => t.data?.event === "exit")?.text).toMatch(/SIGKILL/);
    // The duration is the outage, from the exit to the first good probe: not the quiet time after.
    const outage = backAt - killedAt;
    console.log(
      `watcher: incident on the status port ${seenAt - killedAt} ms after SIGKILL; node ready again after ${outage} ms; ` +
        `recorded duration ${incident.measured.durationMs} ms`,
    );
    expect(incident.measured.durationMs).toBe(Date.parse(incident.monitoringAt) - Date.parse(incident.createdAt));
    expect(Math.abs(incident.measured.durationMs - outage)).toBeLessThan(2000);
  }, 120_000);

  it("a node that stops answering /readyz (SIGSTOP) is an outage; answering again resolves it", async () => {
    const dataDir = tempDir("haetae-watch-hung-");
    const statusPort = await freePort();
    const status = `http://127.0.0.1:${statusPort}`;
    const server = await supervised(dataDir, statusPort, ["--probe-timeout-ms", "300", "--watch-failures", "3"]);
    const node = nodePid(server);
    const stoppedAt = Date.now();
    process.kill(node, "SIGSTOP");
    cleanups.push(() => void (alive(node) && process.kill(node, "SIGCONT")));
    await eventually(async () => {
      const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
      expect(summary.incidents[0]?.status).toBe("investigating");
    }, 15_000);
    console.log(`watcher: hung node seen on the status port ${Date.now() - stoppedAt} ms after SIGSTOP`);
    expect(server.output()).toMatch(/failed 3 \/readyz checks in a row/);
    expect(nodePid(server)).toBe(node); // alerted, not restarted
    process.kill(node, "SIGCONT");
    await eventually(async () => {
      const { incidents } = await getJson<{ incidents: StatusIncident[] }>(`${status}/api/v2/incidents.json`);
      expect(incidents[0]?.status).toBe("resolved");
    }, 20_000);
  }, 90_000);

  it("SIGTERM to the watcher stops the node and itself with exit code 0, leaving no process", async () => {
    const dataDir = tempDir("haetae-watch-term-");
    const server = await supervised(dataDir, await freePort());
    const node = nodePid(server);
    expect(alive(node)).toBe(true);
    const exited = new Promise<number | null>((resolve) => server.process.once("exit", (code) => resolve(code)));
    server.process.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(alive(node)).toBe(false);
    expect(server.output()).toMatch(/haetae: SIGTERM, shutting down/); // the node drained, not killed
  }, 60_000);

  it("the node stops by itself when its watcher is killed, so a new watcher can start", async () => {
    const dataDir = tempDir("haetae-watch-orphan-");
    const statusPort = await freePort();
    const server = await supervised(dataDir, statusPort);
    const node = nodePid(server);
    await server.kill();
    await eventually(() => expect(alive(node)).toBe(false), 15_000);
    const next = await supervised(dataDir, statusPort);
    await eventually(async () => {
      const response = await fetch(`${next.url}/readyz`);
      expect(response.status, await response.text()).toBe(200);
    }, 10_000);
    await next.stop();
  }, 90_000);

  it("a crash loop stops restarting after 5 deaths, shows a major outage and pages staff", async () => {
    const dataDir = tempDir("haetae-watch-loop-");
    const receiver: Receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    // The chat port is taken: every start of the node fails.
    const taken: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => (taken.listening ? taken.close(() => resolve()) : resolve())));
    const statusPort = await freePort();
    const status = `http://127.0.0.1:${statusPort}`;
    const watcher = await startChild({
      name: "haetae (crash loop)",
      args: [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--port",
        String(port),
        "--data",
        dataDir,
        "--status-port",
        String(statusPort),
        "--staff-webhook-urls",
        receiver.url,
        ...FAST,
        "--restart-backoff-ms",
        "50",
      ],
      env: { NODE_ENV: "test" },
      ready: { url: `${status}/api/v2/status.json` },
    });
    cleanups.push(() => watcher.kill());
    await eventually(() => expect(watcher.output()).toMatch(/crash loop: 5 exits/), 60_000);
    const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
    expect(summary.components.every((c) => c.status === "major_outage")).toBe(true);
    expect(summary.status.indicator).toBe("critical");
    expect(summary.incidents[0]?.incident_updates.map((u) => u.body).join(" ")).toMatch(/exited with code 1/);
    await eventually(() => {
      const paged = receiver.received.some((r) => {
        const body = r.json as { incident?: { urgency?: string; severity?: string } };
        return body.incident?.urgency === "page" && body.incident.severity === "SEV1";
      });
      expect(paged).toBe(true);
    }, 10_000);
    // No more restarts: five starts, five exits, and nothing after.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([...watcher.output().matchAll(/node started/g)].length).toBe(5);
    expect(childrenOf(watcher.pid)).toEqual([]);
    expect(watcher.hasExited()).toBe(false); // the status page stays up to say so

    // The operator fixes the cause and restarts haetae: the new watcher's node passes its first
    // probe, which ends the outage the last one left open.
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await watcher.stop();
    await supervised(dataDir, statusPort, [], port);
    await eventually(async () => {
      const { incidents } = await getJson<{ incidents: StatusIncident[] }>(`${status}/api/v2/incidents.json`);
      expect(incidents[0]?.status).toBe("resolved");
    }, 30_000);
    expect((await getJson<Summary>(`${status}/api/v2/summary.json`)).status.indicator).toBe("none");
  }, 90_000);

  it("--supervise false runs one process, with no status listener of a watcher", async () => {
    const dataDir = tempDir("haetae-alone-");
    const statusPort = await freePort();
    const server = await startChildServer(await freePort(), dataDir, ["--status-port", "0"]);
    cleanups.push(() => server.kill());
    expect(nodePidOrNone(server)).toBeUndefined();
    expect(childrenOf(server.pid)).toEqual([]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${statusPort}/status`)).rejects.toThrow();
  }, 60_000);
});

function nodePidOrNone(server: Child): number | undefined {
  return /under the watcher/.test(server.output()) ? nodePid(server) : undefined;
}

describe("haetae tower, watching a node from outside", () => {
  it("opens an incident within 15 s of the node's death and resolves it when the node is back", async () => {
    const nodeDir = tempDir("haetae-watched-");
    const towerDir = tempDir("haetae-tower-");
    const port = await freePort();
    let node = await startChildServer(port, nodeDir);
    cleanups.push(() => node.kill());
    const statusPort = await freePort();
    const status = `http://127.0.0.1:${statusPort}`;
    const tower = await startChild({
      name: "haetae tower",
      args: [
        "--import",
        "tsx",
        "src/cli.ts",
        "tower",
        "--watch-urls",
        node.url,
        "--data",
        towerDir,
        "--status-port",
        String(statusPort),
        "--watch-interval-ms",
        "300",
        "--watch-failures",
        "2",
        "--tower-tick-ms",
        "200",
        "--resolve-quiet-ms",
        "1000",
      ],
      ready: { url: `${status}/api/v2/status.json` },
    });
    cleanups.push(() => tower.kill());
    expect(tower.output()).toMatch(/public API probes are off \(set probeUsernamePrefix and probePassword/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await getJson<Summary>(`${status}/api/v2/summary.json`)).incidents).toEqual([]);

    const killedAt = Date.now();
    await node.kill();
    await eventually(async () => {
      const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
      expect(summary.incidents[0]?.status).toBe("investigating");
    }, 15_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(tower.output()).toMatch(new RegExp(`${node.url} is down: /readyz did not answer \\(ECONNREFUSED\\)`));

    node = await startChildServer(port, nodeDir);
    await eventually(async () => {
      const { incidents } = await getJson<{ incidents: StatusIncident[] }>(`${status}/api/v2/incidents.json`);
      expect(incidents[0]?.status).toBe("resolved");
    }, 20_000);
    expect((await getJson<Summary>(`${status}/api/v2/summary.json`)).status.indicator).toBe("none");
    const exited = new Promise<number | null>((resolve) => tower.process.once("exit", (code) => resolve(code)));
    tower.process.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 90_000);

  it("probes each node's public API as its canaries and opens an incident when sends fail while the node is up", async () => {
    const nodeDir = tempDir("haetae-probed-");
    const towerDir = tempDir("haetae-tower-");
    const canaries = ["--probe-username-prefix", "outside_canary", "--probe-password", "canary password 17"];
    const node = await startChildServer(await freePort(), nodeDir, ["--probe-interval-ms", "300", ...canaries]);
    cleanups.push(() => node.kill());
    // The node makes the canaries on its first probe run; the tower only logs in as them.
    await eventually(async () => {
      const login = { username: "outside_canary_a", password: "canary password 17", deviceName: "test" };
      await postJson(node.url, "/api/v1/auth/login", login, 200);
    }, 15_000);
    const statusPort = await freePort();
    const status = `http://127.0.0.1:${statusPort}`;
    const tower = await startChild({
      name: "haetae tower",
      args: [
        "--import",
        "tsx",
        "src/cli.ts",
        "tower",
        "--watch-urls",
        node.url,
        "--data",
        towerDir,
        "--status-port",
        String(statusPort),
        ...canaries,
        "--probe-interval-ms",
        "300",
        "--probe-timeout-ms",
        "1000",
        "--slo-window-scale",
        "0.02",
        "--slo-eval-ms",
        "100",
        "--slo-min-events",
        "1",
        // /readyz is asked once at the start and not again during the test: an incident can only come from the probes.
        "--watch-interval-ms",
        "600000",
        "--tower-tick-ms",
        "200",
      ],
      ready: { url: `${status}/api/v2/status.json` },
    });
    cleanups.push(() => tower.kill());
    expect(tower.output()).toMatch(/public API probes every 300 ms as outside_canary_a/);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const fine = await getJson<Summary>(`${status}/api/v2/summary.json`);
    expect(fine.incidents).toEqual([]);
    expect(fine.status.indicator).toBe("none");

    // The node stops answering its public API: logins, sends and history reads time out.
    process.kill(node.pid, "SIGSTOP");
    cleanups.push(() => {
      process.kill(node.pid, "SIGCONT");
    });
    const stoppedAt = Date.now();
    let incident: StatusIncident | undefined;
    await eventually(async () => {
      const summary = await getJson<Summary>(`${status}/api/v2/summary.json`);
      incident = summary.incidents[0];
      expect(incident?.status).toBe("investigating");
    }, 20_000);
    expect(Date.now() - stoppedAt).toBeLessThan(20_000);
    // The burn-rate alerts name the SLOs' components (messaging, login, files), not every component as the watcher's do.
    const ids = (incident as StatusIncident).components.map((c) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => ["messaging", "login", "history", "files"].includes(id))).toBe(true);
    expect(ids.length).toBeLessThan(fine.components.length);
    expect(tower.output()).not.toMatch(/is down/);
  }, 90_000);
});
