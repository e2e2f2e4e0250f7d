/**
 * @module The tower of a scale-out cluster moves between nodes (`--tower-lead lease`): real
 * `haetae serve` processes on one PostgreSQL and one NATS. Every node serves the same status
 * documents; the leader killed with SIGKILL is replaced within 15 s with every incident and
 * update intact and none doubled; a PostgreSQL cut leaves the pages answering with the incident
 * about the store, whose timeline is written once the database is back.
 *
 * The store cut lasts `STORE_CUT_MS` (6 s here, with the SLO windows scaled by 1/20 as in
 * test/ops/recovery.test.ts); `npm run soak:tower-lease` runs the same file with a 2-minute cut.
 */

import { Kvm } from "@nats-io/kv";
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import { connectTowerNats, towerNames } from "../../src/ops/link/nats-tower-link.js";
import type { Incident } from "../../src/ops/tower/model.js";
import type { IncidentEvent } from "../../src/protocol/index.js";
import type { ChildServer } from "../child-server.js";
import { RawClient } from "../harness.js";
import { POSTGRES_URL } from "../services.js";
import { startTcpProxy } from "../tcp-proxy.js";
import { type Cluster, eventually, startCluster } from "./cluster.js";

const STORE_CUT_MS = Number(process.env.STORE_CUT_MS ?? 6000);
const ALERT_TOKEN = "lease-alert-token";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LEASE = [
  "--tower-lead",
  "lease",
  "--tower-lease-ttl-ms",
  "6000",
  "--alert-token",
  ALERT_TOKEN,
  "--subscriber-private-urls",
  "true",
];

/** Flags of a node whose admin is `admin`. */
function leaseFlags(admin: string, extra: string[] = []): string[] {
  return [...LEASE, "--admin-usernames", admin, "--tower-tick-ms", "200", ...extra];
}

interface Summary {
  page: { id: string };
  components: { id: string; status: string }[];
  incidents: { id: string; name: string; status: string; incident_updates: { body: string }[] }[];
}

/** Register `username` (named in `--admin-usernames`, so an admin) through node `url`. */
async function register(url: string, username: string): Promise<{ token: string }> {
  const res = await fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "cluster password" }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { token: string };
}

async function summary(url: string): Promise<Summary> {
  const res = await fetch(`${url}/api/v2/summary.json`, { signal: AbortSignal.timeout(3000) });
  expect(res.status).toBe(200);
  return (await res.json()) as Summary;
}

/** The ops API of one node, as staff `token`. */
function opsOn(url: string, token: string) {
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1/ops${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, json: (await res.json()) as T };
  };
}

/** Remove the cluster's tower buckets from NATS once it is stopped (the schema is dropped by `stop`). */
function dropBuckets(cluster: Cluster): void {
  cleanups.push(async () => {
    const names = towerNames(cluster.busUrl);
    const nc = await connectTowerNats(cluster.busUrl, "lease-test-cleanup");
    const kvm = new Kvm(nc);
    for (const bucket of [names.leaseBucket, names.feedBucket, names.docsBucket]) {
      await kvm
        .open(bucket)
        .then((kv) => kv.destroy())
        .catch(() => false);
    }
    await nc.close();
  });
}

/** On failure, print the end of what each node printed (why it died, what it logged). */
function explainFailure(cluster: Cluster): void {
  onTestFailed(() => {
    for (const [i, node] of cluster.nodes.entries()) {
      console.error(`--- node ${i} (${node.hasExited() ? "exited" : "running"}) ---\n${node.output().slice(-4000)}`);
    }
  });
}

/** The node that says it leads (its log line), waiting for one. */
async function leaderOf(cluster: Cluster, among: number[]): Promise<number> {
  let found = -1;
  await eventually(() => {
    const leading = among.filter((i) => {
      const out = (cluster.nodes[i] as ChildServer).output();
      return out.lastIndexOf("leads the control tower (") > out.lastIndexOf("no longer leads");
    });
    expect(leading).toHaveLength(1);
    found = leading[0] as number;
  }, 20_000);
  return found;
}

function alertmanager(status: "firing" | "resolved", name: string) {
  const labels = { alertname: name, severity: "critical", component: "messaging", job: "lease" };
  return {
    receiver: "haetae",
    status,
    alerts: [
      {
        status,
        labels,
        annotations: { summary: `${name}: messages are not sent` },
        startsAt: new Date().toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        fingerprint: `fp-${name}`,
      },
    ],
    groupLabels: { alertname: name },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://alertmanager.example",
    version: "4",
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
  };
}

async function postAlert(url: string, status: "firing" | "resolved", name: string) {
  const res = await fetch(`${url}/api/v1/ops/alerts/alertmanager`, {
    method: "POST",
    headers: { authorization: `Bearer ${ALERT_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(alertmanager(status, name)),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as { alert: { id: string; incidentId?: string } } };
}

describe("a tower that moves between nodes (towerLead lease)", () => {
  it("serves the same status from every node, and survives its leader killed with SIGKILL or stalled by SIGSTOP: nothing lost, nothing doubled", async () => {
    const admin = "lease_chief";
    const cluster = await startCluster(3, [
      { flags: leaseFlags(admin) },
      { flags: leaseFlags(admin) },
      { flags: leaseFlags(admin) },
    ]);
    dropBuckets(cluster);
    cleanups.push(() => cluster.stop());
    explainFailure(cluster);
    const urls = () => cluster.nodes.map((n) => n.url);
    const chief = await register(urls()[0] as string, admin);
    const ops = (i: number) => opsOn(urls()[i] as string, chief.token);

    const first = await leaderOf(cluster, [0, 1, 2]);
    // The ops API works through every node, whichever leads.
    for (const i of [0, 1, 2]) expect((await ops(i)("GET", "/incidents")).status).toBe(200);

    // An alert opens an incident; an incident is declared by hand through another node, and updated.
    const fired = await postAlert(urls()[(first + 1) % 3] as string, "firing", "LeaseProbeFailure");
    expect(fired.status).toBe(200);
    const alerted = fired.json.alert.incidentId as string;
    expect(alerted).toMatch(/^INC-\d+$/);
    const declared = await ops((first + 2) % 3)("POST", "/incidents", {
      title: "Sending is slow for some",
      components: ["messaging"],
    });
    expect(declared.status).toBe(201);
    const incident = (declared.json as { incident: Incident }).incident;
    const updated = await ops(first)("POST", `/incidents/${incident.id}/updates`, {
      status: "identified",
      body: "A queue is backed up; draining it.",
    });
    expect(updated.status).toBe(200);

    // Every node serves the same summary.json, with both incidents and the update.
    await eventually(async () => {
      const docs = await Promise.all(urls().map((u) => summary(u)));
      expect(docs[0]?.incidents.map((i) => i.id).sort()).toEqual([alerted, incident.id].sort());
      expect(JSON.stringify(docs[0]?.incidents)).toContain("A queue is backed up");
      expect(docs[1]).toEqual(docs[0]);
      expect(docs[2]).toEqual(docs[0]);
    }, 15_000);
    const before = await summary(urls()[0] as string);
    // A status subscriber signs up through a follower (its row lives with the leader's tower).
    const signedUp = await fetch(`${urls()[(first + 1) % 3]}/status/subscribers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "http://127.0.0.1:9/lease-hook", components: ["messaging"] }),
    });
    expect(signedUp.status).toBe(202);
    const subscriber = (await signedUp.json()) as { id: string; secret: string };

    // Kill the leader outright.
    await (cluster.nodes[first] as ChildServer).kill();
    const killedAt = Date.now();
    const survivors = [0, 1, 2].filter((i) => i !== first);
    await eventually(async () => {
      expect((await ops(survivors[0] as number)("GET", "/incidents")).status).toBe(200);
    }, 20_000);
    const second = await leaderOf(cluster, survivors);
    const failoverMs = Date.now() - killedAt;
    console.log(`tower failover: ${failoverMs} ms from SIGKILL to a new leader answering`);
    expect(failoverMs).toBeLessThan(15_000);

    // Every incident and update intact, none doubled (by id and by number).
    for (const i of survivors) {
      const listed = await ops(i)<{ incidents: Incident[] }>("GET", "/incidents?status=all");
      expect(listed.status).toBe(200);
      const ids = listed.json.incidents.map((x) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining([alerted, incident.id]));
      const again = await ops(i)<{ incident: Incident }>("GET", `/incidents/${incident.id}`);
      expect(again.json.incident.status).toBe("identified");
      expect(JSON.stringify(again.json.incident.timeline)).toContain("A queue is backed up");
    }
    // The subscriber is still known: the new leader's subscriber file has it.
    const kept = await fetch(`${urls()[survivors[0] as number]}/status/subscribers/${subscriber.id}`, {
      headers: { authorization: `Bearer ${subscriber.secret}` },
    });
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { url: string }).url).toBe("http://127.0.0.1:9/lease-hook");
    // The same alert again joins its incident (dedup survived the failover) instead of opening one.
    const refired = await postAlert(urls()[survivors[1] as number] as string, "firing", "LeaseProbeFailure");
    expect(refired.json.alert.id).toBe(fired.json.alert.id);
    expect(refired.json.alert.incidentId).toBe(alerted);
    // A new incident takes the next number: none is reused.
    const next = await ops(second)<{ incident: Incident }>("POST", "/incidents", {
      title: "Logins are slow",
      components: ["login"],
    });
    expect(next.status).toBe(201);
    const numbers = [alerted, incident.id].map((id) => Number(id.slice(4)));
    expect(Number(next.json.incident.id.slice(4))).toBe(Math.max(...numbers) + 1);

    // The survivors serve the same page as before the kill, plus the new incident.
    await eventually(async () => {
      const docs = await Promise.all(survivors.map((i) => summary(urls()[i] as string)));
      expect(docs[0]?.page.id).toBe(before.page.id);
      expect(docs[0]?.incidents.map((i) => i.id).sort()).toEqual([alerted, incident.id, next.json.incident.id].sort());
      expect(docs[1]).toEqual(docs[0]);
    }, 15_000);

    // A session that connects to any survivor is greeted with every open incident (the banner).
    const open = [alerted, incident.id, next.json.incident.id].sort();
    for (const i of survivors) {
      const session = await RawClient.connect(cluster.nodes[i]?.wsUrl as string, chief.token);
      cleanups.push(() => session.close());
      await session.until(() => session.eventsOf("incident").length >= open.length);
      expect(
        session
          .eventsOf("incident")
          .map((e) => (e as IncidentEvent).incident.id)
          .sort(),
      ).toEqual(open);
    }

    // The killed node comes back as a follower and serves the same page.
    await cluster.startNode(first, { flags: leaseFlags(admin) });
    await eventually(async () => {
      const back = await summary(urls()[first] as string);
      expect(back).toEqual(await summary(urls()[second] as string));
    }, 15_000);
    const listed = await ops(first)<{ incidents: Incident[] }>("GET", "/incidents?status=all");
    expect(listed.json.incidents.map((x) => x.id).sort()).toEqual([alerted, incident.id, next.json.incident.id].sort());

    // The leader stalls (SIGSTOP) past its lease: another takes over, and when the stalled one
    // wakes it finds itself fenced: it steps down and nothing it held back overwrites the new
    // leader's work.
    const stalled = cluster.nodes[second] as ChildServer;
    process.kill(stalled.pid, "SIGSTOP");
    const others = [0, 1, 2].filter((i) => i !== second);
    await eventually(async () => {
      expect((await ops(others[0] as number)("GET", "/incidents")).status).toBe(200);
    }, 20_000);
    const third = await leaderOf(cluster, others);
    const during = await ops(third)<{ incident: Incident }>("POST", "/incidents", {
      title: "Search is slow",
      components: ["messaging"],
    });
    expect(during.status).toBe(201);
    expect(Number(during.json.incident.id.slice(4))).toBe(Number(next.json.incident.id.slice(4)) + 1);
    process.kill(stalled.pid, "SIGCONT");
    await eventually(() => {
      const out = stalled.output();
      expect(out.lastIndexOf("no longer leads")).toBeGreaterThan(out.lastIndexOf("leads the control tower ("));
    }, 10_000);
    await leaderOf(cluster, [0, 1, 2]).then((now) => expect(now).toBe(third));
    const expected = [alerted, incident.id, next.json.incident.id, during.json.incident.id].sort();
    for (const i of [0, 1, 2]) {
      const all = await ops(i)<{ incidents: Incident[] }>("GET", "/incidents?status=all");
      expect(all.json.incidents.map((x) => x.id).sort()).toEqual(expected);
    }
    await eventually(async () => {
      const docs = await Promise.all(urls().map((u) => summary(u)));
      expect(docs[0]?.incidents.map((i) => i.id).sort()).toEqual(expected);
      expect(docs[1]).toEqual(docs[0]);
      expect(docs[2]).toEqual(docs[0]);
    }, 15_000);
  }, 200_000);

  it(
    `keeps every status page answering through a ${STORE_CUT_MS / 1000} s PostgreSQL cut, with the incident about the store, and writes its timeline once the store is back`,
    async () => {
      const pg = new URL(POSTGRES_URL);
      const proxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
      cleanups.push(() => proxy.close());
      const viaProxy = new URL(POSTGRES_URL);
      viaProxy.port = String(proxy.port);
      const admin = "lease_storecut";
      // Probes and SLO windows scaled by 1/20, as in test/ops/recovery.test.ts.
      const scaled = [
        "--probe-interval-ms",
        "500",
        "--probe-timeout-ms",
        "3000",
        "--slo-window-scale",
        "0.05",
        "--slo-eval-ms",
        "100",
        "--slo-recovery-window-ms",
        "3000",
        "--resolve-quiet-ms",
        "6000",
        "--alert-group-window-ms",
        "15000",
      ];
      const node = { store: viaProxy.toString(), flags: leaseFlags(admin, scaled) };
      const cluster = await startCluster(3, [node, node, node]);
      dropBuckets(cluster);
      cleanups.push(() => cluster.stop());
      explainFailure(cluster);
      const urls = cluster.nodes.map((n) => n.url);
      const chief = await register(urls[0] as string, admin);
      await leaderOf(cluster, [0, 1, 2]);
      await eventually(async () => {
        for (const url of urls) expect((await summary(url)).incidents).toEqual([]);
      }, 20_000);
      const before = await summary(urls[0] as string);
      expect(before.components.length).toBeGreaterThan(0);

      proxy.refuse = true;
      proxy.cut();
      const cutAt = Date.now();
      // While the store is away every node keeps answering its status documents, and they come to
      // show an incident about the store's effects (sends and logins failing).
      let during: Summary | undefined;
      await eventually(async () => {
        const docs = await Promise.all(urls.map((u) => summary(u)));
        expect(docs[0]?.incidents.length).toBeGreaterThan(0);
        expect(docs[0]?.components.find((c) => c.id === "messaging")?.status).not.toBe("operational");
        expect(docs[1]).toEqual(docs[0]);
        expect(docs[2]).toEqual(docs[0]);
        during = docs[0];
      }, STORE_CUT_MS);
      console.log(`store cut: incident on every page after ${Date.now() - cutAt} ms`);
      const rest = STORE_CUT_MS - (Date.now() - cutAt);
      for (let waited = 0; waited < rest; waited += 1000) {
        for (const url of urls) {
          const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(3000) });
          expect(res.status).toBe(200);
          const feed = await fetch(`${url}/status/history.atom`, { signal: AbortSignal.timeout(3000) });
          expect(feed.status).toBe(200);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, rest - waited)));
      }
      proxy.refuse = false;
      const healedAt = Date.now();
      const storeIncident = (during as Summary).incidents[0]?.id as string;

      // Once the store is back: the incident is resolved with its timeline, read through any node.
      await eventually(async () => {
        for (const url of urls) expect((await summary(url)).incidents).toEqual([]);
      }, 60_000);
      console.log(`store cut: pages clear ${Date.now() - healedAt} ms after the store came back`);
      const ops = opsOn(urls[2] as string, chief.token);
      const got = await ops<{ incident: Incident }>("GET", `/incidents/${storeIncident}`);
      expect(got.status).toBe(200);
      const statuses = got.json.incident.timeline.filter((t) => t.kind === "status").map((t) => t.data?.to);
      expect(statuses).toContain("resolved");
      const all = await ops<{ incidents: Incident[] }>("GET", "/incidents?status=all");
      expect(all.json.incidents.map((i) => i.id)).toEqual([storeIncident]); // one fault, one incident
    },
    120_000 + STORE_CUT_MS,
  );
});
