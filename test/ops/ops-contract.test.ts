/** @module The ops API answers what src/protocol says it answers: every route, driven on a real node, its body validated against the protocol's strict schemas. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProbeRunner } from "../../src/ops/monitoring/probe-runner.js";
import { describeIssue, type OpsReply, type OpsRoute } from "../../src/protocol/index.js";
import { OPS_REPLIES, subscriptionSchema } from "../../src/protocol/ops-replies.js";
import { addContactOf, RawClient } from "../harness.js";
import { ALERT_TOKEN, eventually, type OpsNode, opsNode } from "./ops-helpers.js";
import { startReceiver } from "./receiver.js";
import { subscribe, untilConfirmed } from "./subscribers.js";

let node: OpsNode;
beforeAll(async () => {
  // Probes on, so `/probes` answers runs; private webhook targets allowed, for a subscription to a local receiver.
  node = await opsNode({ probeIntervalMs: 200, probeTimeoutMs: 2000, subscriberPrivateUrls: true });
});
afterAll(async () => {
  await node.server.stop();
});

/** Routes whose answer was checked in this file. */
const checked = new Set<OpsRoute>();

/**
 * Call `route` at `path` (its `:params` filled in) and check the answer: a 2xx whose body the
 * protocol's schema for that route accepts. A field the schema does not describe fails too:
 * the schemas are strict.
 */
async function answer<R extends OpsRoute>(
  route: R,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<OpsReply<R>> {
  const method = route.slice(0, route.indexOf(" "));
  const { status, json } = await node.call(method, path, options);
  expect({ route, status, json }).toMatchObject({ status: expect.toSatisfy((s: number) => s >= 200 && s < 300) });
  const parsed = OPS_REPLIES[route].safeParse(json);
  if (!parsed.success)
    expect.fail(`${route} answered a shape the protocol does not describe: ${describeIssue(parsed.error)}`);
  checked.add(route);
  return parsed.data as OpsReply<R>;
}

describe("the ops API against its protocol", () => {
  it("answers alerts, incidents, logs, follow-ups, components and maintenance as the schemas describe them", async () => {
    await answer("GET /me", "/me");

    const fired = await answer("POST /alerts/alertmanager", "/alerts/alertmanager", {
      token: ALERT_TOKEN,
      body: {
        version: "4",
        groupKey: "{}:{alertname=ContractCheck}",
        status: "firing",
        receiver: "haetae",
        groupLabels: { alertname: "ContractCheck" },
        commonLabels: { alertname: "ContractCheck", component: "files", severity: "critical" },
        commonAnnotations: { summary: "Uploads fail" },
        externalURL: "http://alertmanager.invalid",
        alerts: [{ status: "firing", labels: { alertname: "ContractCheck" }, startsAt: new Date().toISOString() }],
      },
    });
    expect(fired.alert?.incidentId).toBeDefined();
    await answer("POST /alerts/pagerduty", "/alerts/pagerduty", {
      token: ALERT_TOKEN,
      body: {
        event_action: "trigger",
        payload: { summary: "Disk almost full", source: "db-1", severity: "warning", component: "history" },
      },
    });
    expect((await answer("GET /alerts", "/alerts")).alerts.length).toBeGreaterThanOrEqual(2);
    await answer("POST /alerts/:id/acknowledge", `/alerts/${encodeURIComponent(fired.alert?.id ?? "")}/acknowledge`);

    const staff = node.staff.user.username;
    const declared = await answer("POST /incidents", "/incidents", {
      body: {
        title: "Uploads fail again",
        components: ["files"],
        severity: "SEV2",
        message: "Looking.",
        commander: staff,
      },
    });
    expect(declared.similar.length).toBeGreaterThan(0); // the alert's incident shares the component
    const path = `/incidents/${declared.incident.id}`;
    await answer("GET /incidents", "/incidents?status=all");
    await answer("GET /incidents/:id", path);
    await answer("POST /incidents/:id/roles", `${path}/roles`, { body: { communications: "comms_person" } });
    await answer("POST /incidents/:id/acknowledge", `${path}/acknowledge`);
    await answer("POST /incidents/:id/severity", `${path}/severity`, {
      body: { severity: "SEV1", reason: "all users" },
    });
    await answer("PUT /incidents/:id/components", `${path}/components`, {
      body: { components: [{ id: "files", status: "partial_outage" }, { id: "web" }] },
    });
    await answer("POST /incidents/:id/updates", `${path}/updates`, {
      body: { status: "identified", body: "A bad disk." },
    });
    await answer("PATCH /incidents/:id/log", `${path}/log`, {
      body: { summary: "Uploads failed.", cause: "A bad disk.", fix: "Replaced it.", publicSummary: "A disk failed." },
    });
    const { followUp } = await answer("POST /incidents/:id/follow-ups", `${path}/follow-ups`, {
      body: { title: "Alert on disk errors", owner: staff, dueDate: "2020-01-01" },
    });
    await answer("GET /follow-ups/overdue", "/follow-ups/overdue");
    await answer("POST /incidents/:id/follow-ups", `${path}/follow-ups`, {
      body: { title: "Spare disks on hand", owner: staff, dueDate: "2099-01-01" },
    });
    await answer("PATCH /incidents/:id/follow-ups/:followUpId", `${path}/follow-ups/${followUp.id}`, {
      body: { status: "done" },
    });
    const resolved = await answer("POST /incidents/:id/updates", `${path}/updates`, {
      body: { status: "resolved", body: "Uploads work." },
    });
    expect(resolved.incident.log.measured).toBeDefined();
    expect((await answer("POST /incidents/:id/close", `${path}/close`)).incident.closedAt).toBeDefined();
    await answer("GET /incidents/:id/similar", `${path}/similar`);
    expect((await answer("GET /logs/search", "/logs/search?q=disk")).results.length).toBeGreaterThan(0);
    expect((await answer("GET /stats", "/stats?months=2")).overall.incidents).toBeGreaterThanOrEqual(2);

    await answer("GET /components", "/components");
    await answer("PUT /components/:id", "/components/login", { body: { status: "degraded_performance" } });
    const startsAt = new Date(Date.now() - 1000).toISOString();
    const endsAt = new Date(Date.now() + 60_000).toISOString();
    const { maintenance } = await answer("POST /maintenances", "/maintenances", {
      body: { title: "Database upgrade", body: "Reads may be slow.", components: ["history"], startsAt, endsAt },
    });
    await answer("GET /maintenances", "/maintenances");
    const ended = await answer("POST /maintenances/:id/cancel", `/maintenances/${maintenance.id}/cancel`);
    // Staff's words carry no phrase; the tower's own updates do, and the strict schema must know the field.
    expect(ended.maintenance.updates?.map((u) => u.phrase)).toEqual([undefined, "in_progress", "ended_early"]);
  });

  it("answers probes, SLOs, reports and the staff actions on users as the schemas describe them", async () => {
    const probes = node.server.app.monitoring.probes as ProbeRunner;
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThanOrEqual(1), 15_000);
    expect((await answer("GET /probes", "/probes")).enabled).toBe(true);
    expect((await answer("GET /slos", "/slos")).slos.length).toBeGreaterThan(0);

    // A group the plain user reports, so the report list has one to check.
    const owner = await RawClient.connect(node.server.wsUrl, node.staff.token);
    const member = await RawClient.connect(node.server.wsUrl, node.plain.token);
    await addContactOf(node.server, node.staff.user.id, [node.plain.user.id]);
    const { conversation } = await owner.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "group",
      memberIds: [node.plain.user.id],
      title: "links",
    });
    await member.ok("conversation.report", { conversationId: conversation.id, reason: "spam" });
    await Promise.all([owner.close(), member.close()]);
    expect((await answer("GET /reports", "/reports")).reports).toHaveLength(1);

    const plain = node.plain.user.username;
    await answer("PUT /users/:username/role", `/users/${plain}/role`, {
      body: { role: "user" },
      token: node.admin.token,
    });
    await answer("POST /users/:username/password-reset", `/users/${plain}/password-reset`);
  }, 30_000);

  it("answers a status subscription, pending and confirmed, as the subscription schema describes it", async () => {
    const receiver = await startReceiver();
    try {
      const signUp = await subscribe(node.server.url, `${receiver.url}/hook`, ["files"]);
      expect(signUp.status).toBe(202);
      expect(subscriptionSchema.safeParse(signUp.body).error).toBeUndefined();
      const confirmed = await untilConfirmed(node.server.url, signUp.body.id as string, signUp.body.secret as string);
      expect(subscriptionSchema.safeParse(confirmed).error).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it("checked every route of the protocol, and the schemas refuse a field they do not describe", async () => {
    expect([...checked].sort()).toEqual(Object.keys(OPS_REPLIES).sort());
    const { incidents } = await answer("GET /incidents", "/incidents?status=all");
    const withExtra = { incidents: [{ ...incidents[0], internalNote: "x" }] };
    expect(OPS_REPLIES["GET /incidents"].safeParse(withExtra).success).toBe(false);
  });
});
