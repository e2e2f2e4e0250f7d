/**
 * @module Recovery measured, not remembered, with a real fault of a set length: PostgreSQL cut by
 * a proxy for the scaled two minutes; one incident lists the three components the store took
 * down (messaging, login, and files: a file is a row in the store as well as a blob),
 * reaches monitoring and resolves within the scaled five minutes of the fault's end, and records
 * the fault's length within the scaled 30 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/ops/tower/model.js";
import { startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../services.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { eventually } from "./ops-helpers.js";

/**
 * Every time of the promise divided by 20: probes every 10 s are 500 ms, the burn-rate windows
 * 5 min / 30 min / 1 h are 15 s / 90 s / 180 s, the recovery window 60 s is 3 s, the quiet time
 * 120 s is 6 s, the grouping window 5 min is 15 s. At this scale the 30 min window alone would
 * keep the page firing 90 s after the fault: the old behaviour cannot pass the bounds below.
 */
const SCALE = 20;
const FAULT_MS = 120_000 / SCALE;
const RESOLVE_BOUND_MS = 300_000 / SCALE;
const IMPACT_TOLERANCE_MS = 30_000 / SCALE;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a two-minute database fault (scaled by 1/20)", () => {
  const schema = freshSchema();
  let proxy: TcpProxy;
  let server: TestServer;
  let cutAt = 0;
  let healedAt = 0;
  let incidentsBefore: string[] = [];

  beforeAll(async () => {
    const pg = new URL(POSTGRES_URL);
    proxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
    const viaProxy = new URL(postgresUrlWithSchema(schema));
    viaProxy.port = String(proxy.port);
    server = await startTestServer({
      store: viaProxy.toString(),
      probeIntervalMs: 10_000 / SCALE,
      probeTimeoutMs: 5000,
      sloWindowScale: 1 / SCALE,
      sloEvalMs: 100,
      sloRecoveryWindowMs: 60_000 / SCALE,
      resolveQuietMs: 120_000 / SCALE,
      alertGroupWindowMs: 300_000 / SCALE,
      towerTickMs: 100,
      // The staff chat posts through the store this test cuts; its failures are not the probes'.
      staffChatConversation: "",
    });
    const probes = server.app.monitoring.probes;
    if (!probes) throw new Error("probes are off");
    await eventually(
      () => expect(probes.recentRuns().filter((r) => r.results.every((x) => x.ok)).length).toBeGreaterThanOrEqual(6),
      30_000,
    );
    incidentsBefore = (server.app.tower?.listIncidents() ?? []).map((i) => i.id);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await dropSchema(schema);
  });

  const tower = () => {
    const t = server.app.tower;
    if (!t) throw new Error("the tower is off");
    return t;
  };
  const opened = (): Incident[] =>
    tower()
      .listIncidents({ status: "all" })
      .filter((i) => !incidentsBefore.includes(i.id));

  it("opens one incident on every component the store took down, and keeps it while the fault lasts", async () => {
    expect(incidentsBefore).toEqual([]);
    proxy.refuse = true;
    proxy.cut();
    cutAt = Date.now();
    await sleep(FAULT_MS);
    // During the fault: the send, login and upload SLOs all paged, into one incident.
    const during = opened();
    const alerts = tower().listAlerts({ source: "slo" });
    proxy.refuse = false;
    healedAt = Date.now();

    const send = alerts.find((a) => a.dedupKey === "slo:send:page");
    const login = alerts.find((a) => a.dedupKey === "slo:login:page");
    expect(send?.state, JSON.stringify(alerts)).toBe("firing");
    expect(login?.state, JSON.stringify(alerts)).toBe("firing");
    expect(during.map((i) => i.id)).toHaveLength(1);
    const incident = during[0] as Incident;
    expect(incident).toMatchObject({ origin: "alert", status: "investigating" });
    expect(send?.incidentId).toBe(incident.id);
    expect(login?.incidentId).toBe(incident.id);
    // Uploads fail too (the file's row cannot be written): the upload SLO's page joins the same incident.
    expect(incident.components.map((c) => c.id).sort()).toEqual(["files", "login", "messaging"]);
    expect(incident.timeline.some((t) => t.kind === "component" && t.text.includes("login"))).toBe(true);
    // The public view names both components as affected.
    const snapshot = tower().snapshot();
    expect(snapshot.incidents.map((i) => i.id)).toEqual([incident.id]);
    for (const id of ["messaging", "login", "files"]) {
      expect(snapshot.components.find((c) => c.id === id)?.status).not.toBe("operational");
    }
  }, 30_000);

  it(
    "moves to monitoring once the probes pass again, and resolves within the bound of the fault's end",
    async () => {
      await eventually(() => expect(opened()[0]?.status).toBe("resolved"), RESOLVE_BOUND_MS + 5000);
      const incident = opened()[0] as Incident;
      const monitoringAt = Date.parse(incident.monitoringAt as string);
      const resolvedAt = Date.parse(incident.resolvedAt as string);
      // Monitoring only after the fault's end (the probes had to pass first), resolved well within
      // the bound: about a recovery window and a quiet time after it.
      expect(monitoringAt).toBeGreaterThan(healedAt);
      expect(monitoringAt - healedAt).toBeLessThan(RESOLVE_BOUND_MS);
      expect(resolvedAt - healedAt).toBeLessThanOrEqual(RESOLVE_BOUND_MS);
      expect(resolvedAt - monitoringAt).toBeGreaterThanOrEqual(120_000 / SCALE - 100);
      // Straight through: it did not flap back to investigating while the windows remembered the fault.
      const statuses = incident.timeline.filter((t) => t.kind === "status").map((t) => t.data?.to);
      expect(statuses).toEqual(["monitoring", "resolved"]);
      // Still one incident, and nothing open on the public page.
      expect(opened()).toHaveLength(1);
      expect(tower().snapshot().incidents).toEqual([]);
      // The burn-rate windows still remember the fault: recovery did not wait for them.
      const send = server.app.monitoring.slos.status().find((s) => s.name === "send");
      expect(send?.burnRates["30m"]).toBeGreaterThan(6);
      expect(send?.firing.page).toBe(false);
    },
    RESOLVE_BOUND_MS + 10_000,
  );

  it("records the fault's length as its impact, within the tolerance", () => {
    const incident = opened()[0] as Incident;
    const measured = incident.measured;
    const real = healedAt - cutAt;
    const started = Date.parse(measured.impactStartedAt as string);
    const ended = Date.parse(measured.impactEndedAt as string);
    const report = JSON.stringify({ cutAt, healedAt, measured, resolvedAt: incident.resolvedAt });
    expect(Math.abs(started - cutAt), report).toBeLessThanOrEqual(IMPACT_TOLERANCE_MS);
    expect(Math.abs(ended - healedAt), report).toBeLessThanOrEqual(IMPACT_TOLERANCE_MS);
    expect(Math.abs(measured.durationMs - real), report).toBeLessThanOrEqual(IMPACT_TOLERANCE_MS);
    expect(measured.durationMs).toBe(ended - started);
    // The log holds the same figures, and both functions were counted.
    expect(incident.log.measured).toEqual(measured);
    expect(measured.sendsFailed).toBeGreaterThan(0);
    expect(measured.loginsFailed).toBeGreaterThan(0);
  });
});
