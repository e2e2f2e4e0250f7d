/**
 * @module End to end: probes run, the chat path breaks (PostgreSQL cut by a proxy; history shed
 * at load level 3 on SQLite), the SLO's page alert reaches the sink and opens an incident in the
 * node's tower; the fault is removed and the alert and the incident resolve by themselves.
 */
import { afterEach, expect, it } from "vitest";
import type { AlertInput } from "../../src/ops/tower/model.js";
import { eventually } from "../cluster/cluster.js";
import { startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../services.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node on PostgreSQL through a proxy the test can cut, with probes and short SLO windows. */
async function probedNodeOnCuttablePostgres(overrides: Record<string, unknown> = {}) {
  const pg = new URL(POSTGRES_URL);
  const proxy: TcpProxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
  cleanups.push(() => proxy.close());
  const schema = freshSchema();
  cleanups.push(() => dropSchema(schema));
  const viaProxy = new URL(postgresUrlWithSchema(schema));
  viaProxy.port = String(proxy.port);
  // Windows at 1/500 of the workbook's: 5 min is 0.6 s, 30 min 3.6 s, 1 h 7.2 s, 6 h 43 s.
  const server: TestServer = await startTestServer({
    store: viaProxy.toString(),
    probeIntervalMs: 100,
    // Long enough that a slow probe on a busy test machine is not a failure: during the cut,
    // refused connections fail at once.
    probeTimeoutMs: 5000,
    sloWindowScale: 0.002,
    sloEvalMs: 100,
    ...overrides,
  });
  cleanups.push(() => server.stop());
  const probes = server.app.monitoring.probes;
  if (!probes) throw new Error("probes are off");
  // Healthy for a while first: probes succeed. (Slowly when other PostgreSQL users hold the
  // store's commit lock, so a few healthy runs suffice.)
  await eventually(
    () => expect(probes.recentRuns().filter((r) => r.results.every((x) => x.ok)).length).toBeGreaterThanOrEqual(5),
    30_000,
  );
  const cut = () => {
    proxy.refuse = true;
    proxy.cut();
  };
  const heal = () => {
    proxy.refuse = false;
  };
  return { server, probes, cut, heal };
}

it("pages through the sink when the chat path breaks, and resolves after the fix", async () => {
  const { server, probes, cut, heal } = await probedNodeOnCuttablePostgres({ tower: "off" });
  const alerts: AlertInput[] = [];
  server.app.monitoring.setAlertSink((alert) => alerts.push(alert));
  const page = (action: string) => alerts.find((a) => a.dedupKey === "slo:send:page" && a.action === action);
  expect(alerts.filter((a) => a.urgency === "page")).toEqual([]);

  // The store is cut: sends fail, and within seconds the page alert reaches the sink.
  cut();
  const cutAt = Date.now();
  await eventually(() => expect(page("trigger")).toBeDefined(), 20_000);
  const trigger = page("trigger") as AlertInput;
  expect(trigger).toMatchObject({
    source: "slo",
    urgency: "page",
    components: ["messaging"],
    labels: { slo: "send", severity: "page", component: "messaging" },
  });
  expect(trigger.summary).toMatch(/SLO send .* burning its error budget at [\d.]+× over 1h and [\d.]+× over 5m/);
  expect(Date.now() - cutAt).toBeLessThan(15_000);
  const send = server.app.monitoring.slos.status().find((s) => s.name === "send");
  expect(send?.firing.page).toBe(true);
  expect(send?.burnRates["5m"]).toBeGreaterThanOrEqual(14.4);
  expect(send?.budgetRemaining).toBeLessThan(1);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toContain('haetae_slo_alert_firing{slo="send",urgency="page"} 1');
  expect(metrics).toMatch(/haetae_sli_events_total\{sli="send",source="probe",outcome="failed"\} [1-9]/);
  // No repeats while it keeps firing.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(alerts.filter((a) => a.dedupKey === "slo:send:page" && a.action === "trigger")).toHaveLength(1);

  // Fixed: once the short windows are clean again the alert resolves by itself.
  heal();
  await eventually(
    () => expect(page("resolve"), JSON.stringify(server.app.monitoring.slos.status())).toBeDefined(),
    45_000,
  );
  expect(
    probes
      .recentRuns()
      .at(-1)
      ?.results.every((r) => r.ok),
  ).toBe(true);
  expect(server.app.monitoring.slos.status().find((s) => s.name === "send")?.firing.page).toBe(false);
}, 90_000);

it("opens an incident on messaging in the node's own tower, which follows the alert to monitoring and resolved", async () => {
  const { server, cut, heal } = await probedNodeOnCuttablePostgres({ resolveQuietMs: 1000, towerTickMs: 200 });
  const tower = server.app.tower;
  if (!tower) throw new Error("the tower is off");
  const incidentOnMessaging = () =>
    tower.listIncidents({ status: "all" }).find((i) => i.components.some((c) => c.id === "messaging"));
  expect(incidentOnMessaging()).toBeUndefined();

  cut();
  await eventually(() => expect(incidentOnMessaging()).toBeDefined(), 20_000);
  const opened = incidentOnMessaging();
  expect(opened).toMatchObject({ origin: "alert", status: "investigating" });
  const alert = tower.listAlerts({ source: "slo" }).find((a) => a.dedupKey === "slo:send:page");
  expect(alert).toMatchObject({ state: "firing", urgency: "page", incidentId: opened?.id });

  heal();
  await eventually(() => expect(incidentOnMessaging()?.status).toBe("resolved"), 45_000);
  const resolved = incidentOnMessaging();
  expect(resolved?.monitoringAt).toBeDefined();
  expect(tower.listAlerts({ source: "slo" }).find((a) => a.dedupKey === "slo:send:page")?.state).toBe("resolved");
  // Probe traffic is not users: the measured impact counts failed sends, but no user affected.
  expect(resolved?.measured.sendsFailed).toBeGreaterThan(0);
  expect(resolved?.measured.usersAffected).toBe(0);
}, 90_000);

it("pages on the history SLO when load shedding defers history reads, on SQLite, and resolves when it stops", async () => {
  // Level 3 answers history with `overloaded` (G5): deliberate, and still a failed read for users.
  const server = await startTestServer({
    probeIntervalMs: 100,
    probeTimeoutMs: 5000,
    sloWindowScale: 0.002,
    sloEvalMs: 100,
    resolveQuietMs: 500,
    towerTickMs: 200,
  });
  cleanups.push(() => server.stop());
  const probes = server.app.monitoring.probes;
  const tower = server.app.tower;
  if (!probes || !tower) throw new Error("probes or tower off");
  await eventually(() =>
    expect(probes.recentRuns().filter((r) => r.results.every((x) => x.ok)).length).toBeGreaterThan(5),
  );
  server.app.load.pin(3);
  await eventually(() =>
    expect(tower.listAlerts({ source: "slo" }).find((a) => a.dedupKey === "slo:history:page")?.state).toBe("firing"),
  );
  expect(probes.latest().history).toMatchObject({ ok: false, error: "overloaded" });
  expect(probes.latest().send?.ok).toBe(true); // sends are never shed
  const incident = tower.listIncidents({ status: "open" }).find((i) => i.components.some((c) => c.id === "messaging"));
  expect(incident?.origin).toBe("alert");
  server.app.load.pin(0);
  await eventually(
    () => expect(tower.listIncidents({ status: "all" }).find((i) => i.id === incident?.id)?.status).toBe("resolved"),
    45_000,
  );
}, 90_000);
