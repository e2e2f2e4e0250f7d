/** @module Probes against a real node: canaries message each other through the public API; a broken store makes them fail, never crash the node. */
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CANARY_FILE } from "../../src/ops/monitoring/canary-accounts.js";
import type { ProbeRunner } from "../../src/ops/monitoring/probe-runner.js";
import type { SliEvent } from "../../src/ops/sli-recorder.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { eventually } from "../cluster/cluster.js";
import { postJson, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function probed(overrides: Record<string, unknown> = {}) {
  const server = await startTestServer({ probeIntervalMs: 200, probeTimeoutMs: 2000, ...overrides });
  servers.push(server);
  const events: SliEvent[] = [];
  server.app.sli.subscribe((e) => events.push(e));
  return { server, events, probes: server.app.monitoring.probes as ProbeRunner };
}

const outcomes = (run: { results: { probe: string; ok: boolean }[] }) =>
  run.results.map((r) => `${r.probe}:${r.ok ? "ok" : "failed"}`);

describe("probes", () => {
  it("log in, send, deliver and read history through the node's own sockets, and record each as a probe SLI", async () => {
    const { server, events, probes } = await probed();
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThanOrEqual(3), 15_000);
    for (const run of probes.recentRuns()) {
      expect(outcomes(run)).toEqual(["login:ok", "upload:ok", "download:ok", "send:ok", "delivery:ok", "history:ok"]);
    }
    const latest = probes.latest();
    expect(latest.delivery).toMatchObject({ ok: true, latencyMs: expect.any(Number) });
    expect(latest.send?.latencyMs).toBeGreaterThan(0);

    const fromProbes = events.filter((e) => e.source === "probe");
    expect(new Set(fromProbes.map((e) => e.sli))).toEqual(
      new Set(["login", "send", "delivery", "history", "upload", "download"]),
    );
    expect(fromProbes.every((e) => e.ok && e.userId === undefined)).toBe(true);
    // The canaries' own requests pass through the gateway, but they are not real users' traffic.
    expect(events.filter((e) => e.source === "traffic")).toEqual([]);

    // Canaries are real accounts, kept across restarts in the data folder, private to the node.
    expect(probes.canaryUserIds()).toHaveLength(2);
    expect(statSync(join(server.dataDir, CANARY_FILE)).mode & 0o777).toBe(0o600);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_sli_events_total\{sli="send",source="probe",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/haetae_probe_latency_seconds_bucket\{le="1",probe="delivery"\} [1-9]/);
    expect(metrics).toMatch(/haetae_probe_latency_seconds_count\{probe="login"\} [1-9]/);
  }, 30_000);

  it("counts real users' sends, reads and logins as traffic SLIs beside the probes", async () => {
    const { server, events } = await probed({ probeIntervalMs: 0 });
    const alice = await registerUser(server.url, "traffic");
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: alice.user.username, password: "wrong password" }),
    });
    expect(login.status).toBe(401);
    const client = await RawClient.connect(server.wsUrl, alice.token);
    const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [],
    });
    await client.ok("message.send", { conversationId: conversation.id, clientMsgId: "t1", text: "hi" });
    await client.request("message.send", { conversationId: "nope", clientMsgId: "t2", text: "hi" }); // client's error
    await client.ok("history", { conversationId: conversation.id });
    await client.close();
    expect(events.map((e) => `${e.sli} ${e.ok} ${e.source} ${e.userId ?? "-"}`)).toEqual([
      "login true traffic -", // a wrong password is the service working
      `send true traffic ${alice.user.id}`,
      `history true traffic ${alice.user.id}`,
    ]);
  });

  it("fail, without crashing the node, when the store is gone, and record bad events", async () => {
    const { server, events, probes } = await probed();
    // Once the canaries are set up (their registration may outlast a probe's timeout on a busy machine).
    await eventually(() => expect(probes.latest().send?.ok).toBe(true), 15_000);
    // The store goes away under the running node: writes and reads throw from then on.
    await server.app.ctx.store.close();
    const since = probes.recentRuns().length;
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThanOrEqual(since + 3), 15_000);
    const broken = probes.recentRuns().slice(since + 1);
    for (const run of broken) {
      const byProbe = Object.fromEntries(run.results.map((r) => [r.probe, r]));
      expect(byProbe.login?.ok).toBe(false);
      // A send reads nothing before its write, and the closed store refuses the write: unavailable.
      expect(byProbe.send).toMatchObject({ ok: false, error: "unavailable" });
      expect(byProbe.history?.ok).toBe(false);
      expect(byProbe.delivery).toBeUndefined(); // nothing was acknowledged, so nothing was due to arrive
    }
    expect(events.some((e) => e.source === "probe" && e.sli === "send" && !e.ok)).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_sli_events_total\{sli="send",source="probe",outcome="failed"\} [1-9]/);
  }, 30_000);

  it("count an answer later than probeTimeoutMs as a failure", async () => {
    const { server, probes } = await probed({ probeTimeoutMs: 300 });
    // Once the canaries are set up: registering one (a password strength check, a hash, a
    // write) may itself take longer than 300 ms on a busy machine, until it has gone through once.
    await eventually(() => expect(probes.latest().send?.ok).toBe(true), 15_000);
    // Sends wait in the store's queue for longer than the probe waits (a stalled commit).
    const store = server.app.ctx.store as unknown as { appendMessage: (...args: unknown[]) => Promise<unknown> };
    const original = store.appendMessage.bind(store);
    store.appendMessage = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      return original(...args);
    };
    const since = probes.recentRuns().length;
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThanOrEqual(since + 2), 15_000);
    const slow = probes.recentRuns().at(-1);
    expect(slow?.results.find((r) => r.probe === "send")).toMatchObject({ ok: false, error: "timeout" });
    store.appendMessage = original;
  }, 30_000);
});

describe("probes and SLOs in the ops API", () => {
  it("shows staff the probes' last runs and every SLO's burn rates, and refuses everyone else", async () => {
    const { server, probes } = await probed({ adminUsernames: "probe_admin" });
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThanOrEqual(2), 15_000);
    const admin = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "probe_admin", password: "correct horse" },
      201,
    );
    const plain = await registerUser(server.url, "plain");
    const get = (path: string, token: string) =>
      fetch(`${server.url}/api/v1/ops${path}`, { headers: { authorization: `Bearer ${token}` } });

    const probeReply = await get("/probes", admin.token);
    expect(probeReply.status).toBe(200);
    const body = (await probeReply.json()) as { enabled: boolean; latest: Record<string, unknown>; runs: unknown[] };
    expect(body.enabled).toBe(true);
    expect(body.runs.length).toBeGreaterThanOrEqual(2);
    expect(body.latest.delivery).toMatchObject({ probe: "delivery", ok: true });

    const sloReply = await get("/slos", admin.token);
    const { slos } = (await sloReply.json()) as { slos: { name: string; component: string; burnRates: object }[] };
    expect(slos.map((s) => `${s.name}:${s.component}`)).toEqual([
      "send:messaging",
      "delivery:messaging",
      "login:login",
      "history:messaging",
      "upload:files",
      "download:files",
    ]);
    expect(Object.keys(slos[0]?.burnRates ?? {})).toEqual(["5m", "30m", "1h", "6h", "3d"]);

    for (const path of ["/probes", "/slos"]) expect((await get(path, plain.token)).status).toBe(403);
  }, 30_000);
});
