/**
 * @module The control tower end to end with a real fault: PostgreSQL cut by a proxy while probes
 * run; the probe fails, the send SLO pages, an incident opens on `messaging` graded by the
 * documented severity table, and the banner, status page, `/summary.json` and the staff webhook
 * all show it; the proxy heals, the alerts resolve, the incident goes to monitoring and resolved,
 * and its log holds the measured impact.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, Incident, MeasuredImpact, Severity } from "../../src/ops/tower/model.js";
import type { AuthReply, IncidentEvent } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../services.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { eventually } from "./ops-helpers.js";
import { type Receiver, startReceiver } from "./receiver.js";

/** A row of the severity table as docs/config.md publishes it (its JSON form). */
interface DocumentedRule {
  severity: Severity;
  functions?: string[];
  anyOf?: Record<string, number>;
  minDurationMs?: number;
}

/**
 * The default severity table, read from docs/config.md rather than from the code, so the grade
 * the tower gives is checked against what operators are told it gives.
 */
function documentedRules(): DocumentedRule[] {
  const doc = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Severity rules"));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (!json) throw new Error("docs/config.md has no JSON severity table");
  return JSON.parse(json) as DocumentedRule[];
}

/** The documented grade for an incident on components of `functions`, written apart from src/. */
function documentedGrade(rules: DocumentedRule[], functions: string[], m: MeasuredImpact): Severity {
  const shares: Record<string, number> = {
    userShare: m.userShare,
    sendFailureShare: m.sendFailureShare,
    loginFailureShare: m.loginsAttempted ? (m.loginsFailed ?? 0) / m.loginsAttempted : 0,
    probeFailureShare: m.probesRun > 0 ? m.probesFailed / m.probesRun : 0,
  };
  const order: Severity[] = ["SEV1", "SEV2", "SEV3", "SEV4"];
  let best: Severity = "SEV4";
  for (const rule of rules) {
    if (rule.functions && !rule.functions.some((f) => functions.includes(f))) continue;
    if (rule.minDurationMs !== undefined && m.durationMs < rule.minDurationMs) continue;
    const thresholds = Object.entries(rule.anyOf ?? {});
    if (thresholds.length > 0 && !thresholds.some(([name, min]) => (shares[name] ?? 0) >= min)) continue;
    if (order.indexOf(rule.severity) < order.indexOf(best)) best = rule.severity;
  }
  return best;
}

/** Whether a staff webhook body is this change of this incident. */
function hookOf(json: unknown, kind: string, id: string): boolean {
  const body = json as { kind?: string; incident?: { id?: string } } | undefined;
  return body?.kind === kind && body.incident?.id === id;
}

interface Summary {
  status: { indicator: string };
  components: { id: string; status: string }[];
  incidents: { id: string; name: string; status: string; impact: string; incident_updates: { body: string }[] }[];
}

describe("the control tower end to end, PostgreSQL cut for real", () => {
  const schema = freshSchema();
  let proxy: TcpProxy;
  let server: TestServer;
  let receiver: Receiver;
  let staff: AuthReply;
  let alice: RawClient;
  let bob: RawClient;
  let conversationId: string;
  let incidentId: string;

  const ops = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1/ops${path}`, { headers: { authorization: `Bearer ${staff.token}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const incident = async () => (await ops<{ incident: Incident }>(`/incidents/${incidentId}`)).incident;
  const summary = async () => (await (await fetch(`${server.url}/summary.json`)).json()) as Summary;
  const banners = () => (alice.eventsOf("incident") as IncidentEvent[]).filter((e) => e.incident.id === incidentId);

  beforeAll(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const store = new URL(postgresUrlWithSchema(schema));
    store.port = String(proxy.port);
    receiver = await startReceiver();
    // Burn-rate windows at 1/500 of the workbook's (5 min is 0.6 s, 1 h is 7.2 s); a probe run
    // every 100 ms; the tower grades every 100 ms and resolves after 1 s quiet in monitoring.
    // The staff chat is off: it posts through the store this test cuts, and its system
    // account's failed posts are not what the grade should be measured on (chat-down.test.ts
    // covers it during a cut).
    server = await startTestServer({
      store: store.toString(),
      probeIntervalMs: 100,
      probeTimeoutMs: 5000,
      sloWindowScale: 0.002,
      sloEvalMs: 100,
      towerTickMs: 100,
      resolveQuietMs: 1000,
      staffWebhookUrls: `${receiver.url}/hook`,
      webhookRetryBaseMs: 100,
      staffChatConversation: "",
      // The login SLO off: this test follows the messaging chain and grades it by the messaging
      // rows of the table; a login page would join the incident (recovery.test.ts covers that).
      sloLoginTarget: 0,
      // The files SLOs off for the same reason: files store in the database this test cuts, so
      // their page would join the incident too (files-component.test.ts covers that).
      sloUploadTarget: 0,
      sloDownloadTarget: 0,
    });
    const register = (username: string) =>
      postJson<AuthReply>(server.url, "/api/v1/auth/register", { username, password: "correct horse" }, 201);
    staff = await register("e2e_oncall");
    await server.app.ctx.store.setRole(staff.user.username, "staff");
    const aliceAuth = await register("e2e_alice");
    const bobAuth = await register("e2e_bob");
    alice = await RawClient.connect(server.wsUrl, aliceAuth.token);
    bob = await RawClient.connect(server.wsUrl, bobAuth.token);
    const { conversation } = await alice.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [bobAuth.user.id],
    });
    conversationId = conversation.id;
    for (const n of [1, 2, 3]) {
      await alice.ok("message.send", { conversationId, clientMsgId: `before-${n}`, text: `hello ${n}` });
    }
    await bob.until(() => bob.eventsOf("message.new").length === 3);
    await bob.ok("message.send", { conversationId, clientMsgId: "before-bob", text: "hi" });
    // A few healthy probe runs first, read as staff (which also proves the staff token while the
    // store answers, so the console keeps working during the cut).
    await eventually(async () => {
      const { runs } = await ops<{ runs: { results: { ok: boolean }[] }[] }>("/probes");
      expect(runs.filter((r) => r.results.every((x) => x.ok)).length).toBeGreaterThanOrEqual(5);
    }, 30_000);
  }, 45_000);

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.stop();
    await proxy?.close();
    await receiver?.close();
    await dropSchema(schema);
  });

  it("healthy: no incident, no firing alert, indicator none", async () => {
    const { incidents } = await ops<{ incidents: Incident[] }>("/incidents?status=all");
    expect(incidents).toEqual([]);
    const { alerts } = await ops<{ alerts: Alert[] }>("/alerts?state=firing");
    expect(alerts).toEqual([]);
    const body = await summary();
    expect(body.status.indicator).toBe("none");
    expect(body.incidents).toEqual([]);
    expect(body.components.find((c) => c.id === "messaging")?.status).toBe("operational");
    expect(banners()).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it("the store is cut: probe fails, the send SLO pages, a SEV1 opens on messaging and reaches everyone", async () => {
    proxy.refuse = true;
    proxy.cut();
    const cutAt = Date.now();
    // A real user's send fails with a retryable error: a user affected.
    const failed = await bob.request("message.send", { conversationId, clientMsgId: "during", text: "fails" });
    expect(failed).toMatchObject({ type: "error", code: "unavailable" });

    // The probe records failures.
    await eventually(async () => {
      const { latest, runs } = await ops<{
        latest: { send?: { ok: boolean; error?: string } };
        runs: { results: { probe: string; ok: boolean }[] }[];
      }>("/probes");
      expect(latest.send?.ok).toBe(false);
      expect(runs.some((r) => r.results.some((x) => x.probe === "send" && !x.ok))).toBe(true);
    }, 15_000);

    // The send SLO's page alert fires and opens an incident on messaging.
    let pageAlert: Alert | undefined;
    await eventually(async () => {
      const { alerts } = await ops<{ alerts: Alert[] }>("/alerts?source=slo");
      pageAlert = alerts.find((a) => a.dedupKey === "slo:send:page");
      expect(pageAlert).toMatchObject({ source: "slo", state: "firing", urgency: "page", components: ["messaging"] });
      expect(pageAlert?.incidentId).toBeDefined();
    }, 20_000);
    incidentId = pageAlert?.incidentId as string;
    const detectedMs = Date.now() - cutAt;
    const opened = await incident();
    // The files component stores in the same database: its probe may fail, and join, first.
    expect(opened).toMatchObject({
      origin: "alert",
      components: expect.arrayContaining([expect.objectContaining({ id: "messaging" })]),
    });
    expect(opened.status).not.toBe("resolved");

    // Graded by the documented table from the measured impact, on the tower's tick. Alice and
    // Bob are the real users active in the lookback and Bob's send failed: a user share of 1/2,
    // past SEV1's first row (userShare ≥ 0.25); probe traffic is no user. (The failed sends'
    // share stays far lower: the lookback holds every healthy send since the node started, and
    // the cut lasts about a second.)
    const rules = documentedRules();
    await eventually(async () => {
      const now = await incident();
      expect(documentedGrade(rules, ["messaging"], now.measured)).toBe("SEV1");
      expect(now.severity).toBe("SEV1");
    }, 15_000);
    const graded = await incident();
    expect(graded).toMatchObject({
      gradedSeverity: "SEV1",
      impact: "critical",
      components: [{ status: "major_outage" }],
    });
    expect(graded.measured).toMatchObject({ usersAffected: 1, userShare: 0.5 });
    // Every automatic grade on the timeline is the documented one for the figures it recorded.
    const grades = graded.timeline.filter((t) => t.kind === "severity");
    expect(grades.at(-1)?.data?.to).toBe("SEV1");
    for (const entry of grades) {
      expect(documentedGrade(rules, ["messaging"], entry.data?.measured as MeasuredImpact)).toBe(entry.data?.to);
    }

    // The connected client got the banner, and its latest one carries the grade's public impact.
    await alice.until(() => banners().some((e) => e.incident.impact === "critical"), 10_000);
    expect(banners()[0]?.incident).toMatchObject({
      id: incidentId,
      status: "investigating",
      url: `${server.url}/status/incidents/${incidentId}`,
    });

    // The status page and /summary.json show it, answered while the store is down.
    const page = await fetch(`${server.url}/status`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(incidentId);
    const body = await summary();
    const shown = body.incidents.find((i) => i.id === incidentId);
    // In public words: what fails for users at this grade, not the SLO's burn rates.
    expect(shown).toMatchObject({ status: "investigating", impact: "critical", name: "Messages cannot be sent" });
    expect(shown?.incident_updates.map((u) => u.body)).toContain(
      "Our monitoring caught this problem and we are investigating.",
    );
    expect(banners().findLast((e) => e.incident.impact === "critical")?.incident.titles).toEqual({
      en: "Messages cannot be sent",
      ko: "메시지를 보낼 수 없습니다",
    });
    expect(body.components.find((c) => c.id === "messaging")?.status).toBe("major_outage");
    expect(body.status.indicator).toBe("critical");

    // The staff webhook receiver got the opening, naming the incident.
    await eventually(() => {
      const hook = receiver.received.find((r) => hookOf(r.json, "incident.opened", incidentId));
      expect(hook?.path).toBe("/hook");
      expect(hook?.json).toMatchObject({ incident: { id: incidentId, components: [{ id: "messaging" }] } });
    }, 10_000);
    console.log(`fault detected (page alert with incident) ${detectedMs} ms after the cut`);
  }, 45_000);

  it("the store is back: alerts resolve, the incident goes to monitoring and resolved, its log holds the impact", async () => {
    proxy.refuse = false;
    const healedAt = Date.now();

    await eventually(async () => {
      const { alerts } = await ops<{ alerts: Alert[] }>("/alerts?source=slo");
      expect(alerts.find((a) => a.dedupKey === "slo:send:page")?.state).toBe("resolved");
    }, 30_000);
    await eventually(async () => expect((await incident()).status).toBe("resolved"), 20_000);
    const recoveredMs = Date.now() - healedAt;
    const resolved = await incident();
    const { alerts } = await ops<{ alerts: Alert[] }>("/alerts?source=slo");
    for (const id of resolved.alertIds) expect(alerts.find((a) => a.id === id)?.state).toBe("resolved");

    // Both steps are on the timeline, in order.
    const moves = resolved.timeline.filter((t) => t.kind === "status").map((t) => `${t.data?.from} → ${t.data?.to}`);
    expect(moves).toEqual(["investigating → monitoring", "monitoring → resolved"]);
    expect(Date.parse(resolved.monitoringAt as string)).toBeLessThanOrEqual(Date.parse(resolved.resolvedAt as string));

    // The client saw it go to monitoring, then resolved.
    await alice.until(() => banners().some((e) => e.incident.status === "resolved"), 10_000);
    const statuses = banners().map((e) => e.incident.status);
    expect(statuses.indexOf("monitoring")).toBeGreaterThan(-1);
    expect(statuses.lastIndexOf("monitoring")).toBeLessThan(statuses.indexOf("resolved"));

    // Nothing open any more on the public page.
    await eventually(async () => {
      const body = await summary();
      expect(body.incidents).toEqual([]);
      expect(body.status.indicator).toBe("none");
      expect(body.components.find((c) => c.id === "messaging")?.status).toBe("operational");
    }, 20_000);

    // The log has the measured impact filled from the incident's own figures.
    const measured = resolved.log.measured as MeasuredImpact;
    expect(measured).toBeDefined();
    expect(measured.durationMs).toBeGreaterThan(0);
    // Timed from the failures (first to last), not from the incident's opening to its resolution.
    const impactEnd = Date.parse(measured.impactEndedAt as string);
    expect(measured.durationMs).toBe(impactEnd - Date.parse(measured.impactStartedAt as string));
    expect(Date.parse(measured.impactStartedAt as string)).toBeLessThan(Date.parse(resolved.createdAt));
    expect(impactEnd).toBeLessThan(Date.parse(resolved.monitoringAt as string));
    // Bob's send and at least one probe send (seen failing above) failed while it was open.
    expect(measured.sendsFailed).toBeGreaterThanOrEqual(2);
    expect(measured.probesFailed).toBeGreaterThan(0);
    expect(measured.usersAffected).toBeGreaterThanOrEqual(1);
    expect(resolved.measured).toEqual(measured);

    // Staff heard of the resolution too, and the chat path works again.
    await eventually(() => {
      const hook = receiver.received.find((r) => hookOf(r.json, "incident.resolved", incidentId));
      expect(hook?.json).toMatchObject({ incident: { id: incidentId, status: "resolved" } });
    }, 10_000);
    await bob.ok("message.send", { conversationId, clientMsgId: "after", text: "works again" });
    const { incidents } = await ops<{ incidents: Incident[] }>("/incidents?status=all");
    console.log(
      `recovered ${recoveredMs} ms after the fix; measured: ${JSON.stringify(measured)}; banner: ${statuses.join(" → ")}; ` +
        `incidents: ${incidents.map((i) => `${i.id} ${i.components.map((c) => c.id)} ${i.severity} ${i.status}`).join(", ")}`,
    );
  }, 45_000);
});
