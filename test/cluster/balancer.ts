/** @module The load-balancer checks shared by the HAProxy and nginx tests: three nodes behind the deploy/ config, one killed, its clients timed back, every status path read through the balancer. */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { expect } from "vitest";
import { STATUS_DOCUMENT_PATHS } from "../../src/ops/status/status-routes.js";
import type { Message } from "../../src/protocol/index.js";
import { type Cluster, eventually, fullHistory, RecordingClient, registerOn, startCluster } from "./cluster.js";

/** The promise of docs/scale-out.md: a killed node's clients are back, synced, within this. */
export const RECONNECT_BUDGET_MS = 2000;

/** Logins and registrations one address may attempt per minute on each node of the balanced cluster. */
const LOGINS_PER_MINUTE = 20;

/**
 * Three nodes on PostgreSQL and NATS, each believing X-Forwarded-For from the balancer on
 * 127.0.0.1, with a per-address login limit low enough to reach. Node 0 runs the control tower
 * (and serves the status page); the others do not, so a status path routed to them answers 503
 * instead of the page.
 */
export async function startBalancedCluster(): Promise<Cluster> {
  const proxies = ["--trusted-proxies", "127.0.0.1", "--logins-per-minute-per-ip", String(LOGINS_PER_MINUTE)];
  return startCluster(3, [
    { flags: proxies },
    { flags: [...proxies, "--tower", "off"] },
    { flags: [...proxies, "--tower", "off"] },
  ]);
}

/**
 * A deploy/ config with the test's addresses: the example nodes 10.0.0.1–3:8081 become the
 * cluster's ports (10.0.0.1 is the tower node in both files), and `listen`/`bind` the balancer's.
 */
export function renderDeployConfig(file: string, cluster: Cluster, listen: (text: string) => string): string {
  let text = readFileSync(new URL(`../../deploy/${file}`, import.meta.url), "utf8");
  for (const [i, port] of cluster.ports.entries()) {
    text = text.replaceAll(`10.0.0.${i + 1}:8081`, `127.0.0.1:${port}`);
  }
  expect(text, "every example node is replaced").not.toMatch(/10\.0\.0\.\d/);
  return listen(text);
}

/** The clients of a scenario, for the caller to close. */
export const openClients: RecordingClient[] = [];

/** Read every status path through `front` (several times: a path that reaches a node without the tower is a 503). */
export async function expectStatusPathsServed(front: string): Promise<void> {
  expect(STATUS_DOCUMENT_PATHS).toEqual(
    expect.arrayContaining(["/status", "/api/v2/components.json", "/api/v2/scheduled-maintenances/active.json"]),
  );
  for (let round = 0; round < 3; round++) {
    for (const path of STATUS_DOCUMENT_PATHS) {
      const res = await fetch(`${front}${path}`);
      expect(`${path} ${res.status}`).toBe(`${path} 200`);
      await res.arrayBuffer();
    }
    // An unknown incident is the page's own 404; the ops API is the tower's (a token is needed).
    const incident = await fetch(`${front}/status/incidents/nothing-here`);
    expect(incident.status).toBe(404);
    expect(await incident.text()).toContain("<html");
    const ops = await fetch(`${front}/api/v1/ops/incidents`);
    expect(ops.status).toBe(401);
    await ops.arrayBuffer();
  }
}

/** When a client was open (connected and synced) again after `since`. */
function reopenedAt(times: { state: string; at: number }[], since: number): number | undefined {
  return times.find((t) => t.at > since && t.state === "open")?.at;
}

/**
 * Six SDK clients (the SDK's own backoff, as users have it) on `front`, a group among them, node
 * 1 killed with SIGKILL: every client that was on it is reconnected and synced within the
 * budget (printed), and no message is lost or reordered. Returns the slowest reconnect in ms.
 */
export async function killNodeBehind(front: string, cluster: Cluster, label: string): Promise<number> {
  const users: Awaited<ReturnType<typeof registerOn>>[] = [];
  for (let i = 0; i < 6; i++) users.push(await registerOn(front, `${label}${i}`));
  const times = new Map<RecordingClient, { state: string; at: number }[]>();
  // One at a time, so least-connections puts two on each node.
  for (const u of users) {
    const client = new RecordingClient([front], u.token, { baseMs: undefined, maxMs: undefined });
    const list: { state: string; at: number }[] = [];
    client.client.on("state", (change) => list.push({ state: change.state, at: performance.now() }));
    times.set(client, list);
    openClients.push(client);
    await client.client.connect();
  }
  const clients = [...times.keys()];
  const first = clients[0] as RecordingClient;
  await Promise.all(clients.slice(1).map((c) => c.client.request("contact.add", { userId: users[0]?.userId ?? "" })));
  const group = (
    await first.client.request("conversation.create", { kind: "group", memberIds: users.slice(1).map((u) => u.userId) })
  ).conversation.id;
  const sends: Promise<Message>[] = [];
  for (let i = 0; i < 5; i++)
    for (const [k, c] of clients.entries()) sends.push(c.client.send(group, `before ${k}.${i}`));
  await Promise.all(sends);

  const killedAt = performance.now();
  await cluster.nodes[1]?.kill();
  // The clients that lost their node are those that went to "reconnecting" after the kill.
  const moved = () => clients.filter((c) => times.get(c)?.some((t) => t.at > killedAt && t.state === "reconnecting"));
  await eventually(() => {
    expect(moved().length, "node 1 had clients and they noticed").toBeGreaterThan(0);
    for (const c of moved()) expect(reopenedAt(times.get(c) ?? [], killedAt)).toBeDefined();
  }, 10_000);
  const delays = moved().map((c) => Math.round((reopenedAt(times.get(c) ?? [], killedAt) ?? 0) - killedAt));
  console.log(`${label}: ${delays.length} clients of the killed node back and synced after ${delays.join(", ")} ms`);
  const slowest = Math.max(...delays);
  expect(slowest).toBeLessThanOrEqual(RECONNECT_BUDGET_MS);

  for (let i = 0; i < 5; i++)
    for (const [k, c] of clients.entries()) sends.push(c.client.send(group, `after ${k}.${i}`));
  await Promise.all(sends);
  const history = await fullHistory(first.client, group);
  expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  await eventually(() => {
    for (const c of clients) expect(c.seqs(group)).toEqual(history.map((m) => m.seq));
  });
  return slowest;
}

/**
 * A POST through the balancer from a client at `from`, one of the loopback addresses besides
 * 127.0.0.1 (all of 127.0.0.0/8 is this host on Linux): the balancer sees that address, and
 * connects to the nodes from 127.0.0.1 itself. Returns the status code.
 */
function postFrom(
  front: string,
  from: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${front}${path}`,
      {
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.once("error", reject);
    req.end(payload);
  });
}

/**
 * The nodes behind `front` key their per-address limits by the real client's address, not by
 * the balancer's and not by what a client writes in X-Forwarded-For:
 * - a client that writes a new X-Forwarded-For on every attempt is still limited (a node that
 *   believed what the client wrote would give it a fresh budget each time), on every node;
 * - meanwhile another client, and the balancer's own address, are not limited at all (a node
 *   that keyed by its TCP peer would have put all three in one exhausted bucket);
 * - the address a node logs for a failed login is the client's, not the one it claimed.
 */
export async function expectClientAddressesBelieved(front: string, cluster: Cluster): Promise<void> {
  // An empty body is refused (400) after the address has paid for the attempt: no account is made.
  const attempt = (from: string, headers?: Record<string, string>) =>
    postFrom(front, from, "/api/v1/auth/register", {}, headers);
  let inARow = 0;
  let sent = 0;
  // Six refusals in a row: every node (the balancer takes them in turn) has used up this
  // client's budget, LOGINS_PER_MINUTE each, however the attempts were spread.
  while (inARow < 6) {
    expect(sent, "the spoofing client is limited").toBeLessThan(LOGINS_PER_MINUTE * cluster.nodes.length * 3);
    const status = await attempt("127.0.0.2", { "x-forwarded-for": `198.51.100.${sent % 250}, 203.0.113.${sent % 7}` });
    expect([400, 429]).toContain(status);
    inARow = status === 429 ? inARow + 1 : 0;
    sent += 1;
  }
  expect(sent).toBeGreaterThan(LOGINS_PER_MINUTE);
  for (const from of ["127.0.0.3", "127.0.0.1"]) {
    for (let i = 0; i < 6; i++) expect(`${from} ${await attempt(from)}`).toBe(`${from} 400`);
  }

  const username = `nobody_${Date.now() % 1_000_000}`;
  const login = await postFrom(
    front,
    "127.0.0.4",
    "/api/v1/auth/login",
    { username, password: "not the password" },
    { "x-forwarded-for": "192.0.2.44" },
  );
  expect(login).toBe(401);
  const logged = () =>
    cluster.nodes
      .flatMap((node) => node.output().split("\n"))
      .filter((line) => line.includes(`for ${JSON.stringify(username)}`));
  await eventually(() => expect(logged()).toEqual([expect.stringMatching(/ from 127\.0\.0\.4$/)]));
}
