/** @module Alerts from outside over real HTTP: Alertmanager's webhook and PagerDuty's Events API v2 open, dedupe, group and resolve incidents. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, Incident } from "../../src/ops/tower/model.js";
import { ALERT_TOKEN, declare, eventually, type OpsNode, opsNode } from "./ops-helpers.js";

let node: OpsNode;
beforeAll(async () => {
  node = await opsNode();
});
afterAll(async () => {
  await node.server.stop();
});

/** Alertmanager's documented version 4 webhook body, with a `component` label for the tower. */
function alertmanagerPayload(status: "firing" | "resolved", groupKey: string) {
  return {
    receiver: "haetae",
    status,
    alerts: [
      {
        status,
        labels: {
          alertname: "ProbeFailure",
          instance: "https://chat.example.org",
          job: "http_checks",
          severity: "critical",
          component: "messaging",
        },
        annotations: { description: "Sends have failed for over 5m.", summary: "Probe failure: messages are not sent" },
        startsAt: "2026-02-06T13:08:45.828Z",
        endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-02-06T13:20:00.000Z",
        generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0",
        fingerprint: "1a30ba71cca2921f",
      },
    ],
    groupLabels: { alertname: "ProbeFailure" },
    commonLabels: {
      alertname: "ProbeFailure",
      instance: "https://chat.example.org",
      job: "http_checks",
      severity: "critical",
      component: "messaging",
    },
    commonAnnotations: {
      description: "Sends have failed for over 5m.",
      summary: "Probe failure: messages are not sent",
    },
    externalURL: "http://prometheus.example.org:9093",
    version: "4",
    groupKey,
    truncatedAlerts: 0,
  };
}

const incidents = async () =>
  (await node.call<{ incidents: Incident[] }>("GET", "/incidents?status=all")).json.incidents;

describe("Alertmanager webhook", () => {
  it("opens an incident, counts a repeat of the group instead of opening another, and resolves it", async () => {
    const before = (await incidents()).length;
    const groupKey = '{}/{severity="critical"}:{alertname="ProbeFailure"}';
    const first = await node.call<{ alert: Alert }>("POST", "/alerts/alertmanager", {
      body: alertmanagerPayload("firing", groupKey),
      token: ALERT_TOKEN,
    });
    expect(first.status).toBe(200);
    expect(first.json.alert).toMatchObject({ source: "alertmanager", name: "ProbeFailure", urgency: "page", count: 1 });
    expect(first.json.alert.components).toEqual(["messaging"]);
    const again = await node.call<{ alert: Alert }>("POST", "/alerts/alertmanager", {
      body: alertmanagerPayload("firing", groupKey),
      token: ALERT_TOKEN,
    });
    expect(again.json.alert).toMatchObject({ id: first.json.alert.id, count: 2 });
    const all = await incidents();
    expect(all.length).toBe(before + 1);
    const incident = all[0] as Incident;
    expect(incident).toMatchObject({
      origin: "alert",
      status: "investigating",
      title: "Probe failure: messages are not sent",
    });
    expect(incident.alertIds).toEqual([first.json.alert.id]);
    expect(incident.components.map((c) => c.id)).toEqual(["messaging"]);
    expect(incident.timeline.some((t) => t.kind === "alert" && t.by === "alertmanager")).toBe(true);

    await node.call("POST", "/alerts/alertmanager", {
      body: alertmanagerPayload("resolved", groupKey),
      token: ALERT_TOKEN,
    });
    const monitoring = (await node.call<{ incident: Incident }>("GET", `/incidents/${incident.id}`)).json.incident;
    expect(monitoring.status).toBe("monitoring");
    // Quiet for resolveQuietMs (300 ms in tests) with nothing firing again: resolved by the tower itself.
    await eventually(async () => {
      const now = (await node.call<{ incident: Incident }>("GET", `/incidents/${incident.id}`)).json.incident;
      expect(now.status).toBe("resolved");
      expect(now.timeline.filter((t) => t.kind === "status").map((t) => `${t.data?.to}:${t.by}`)).toEqual([
        "monitoring:system",
        "resolved:system",
      ]);
      expect(now.log.measured).toBeDefined();
    });
  });

  it("moves an incident in monitoring back to investigating when its alert fires again", async () => {
    // A long quiet time, so the incident cannot resolve by itself before the alert fires again.
    const node = await opsNode({ resolveQuietMs: 60_000 });
    const incidents = async () =>
      (await node.call<{ incidents: Incident[] }>("GET", "/incidents?status=all")).json.incidents;
    const groupKey = '{}:{alertname="Refire"}';
    const payload = alertmanagerPayload("firing", groupKey);
    payload.commonLabels.alertname = "Refire";
    payload.commonLabels.component = "history";
    await node.call("POST", "/alerts/alertmanager", { body: payload, token: ALERT_TOKEN });
    const incident = (await incidents())[0] as Incident;
    await node.call("POST", "/alerts/alertmanager", { body: { ...payload, status: "resolved" }, token: ALERT_TOKEN });
    expect((await node.call<{ incident: Incident }>("GET", `/incidents/${incident.id}`)).json.incident.status).toBe(
      "monitoring",
    );
    const refire = await node.call<{ alert: Alert }>("POST", "/alerts/alertmanager", {
      body: payload,
      token: ALERT_TOKEN,
    });
    expect(refire.json.alert).toMatchObject({ state: "firing", count: 2 });
    const back = (await node.call<{ incident: Incident }>("GET", `/incidents/${incident.id}`)).json.incident;
    expect(back.status).toBe("investigating");
    expect(back.updates.at(-1)?.body).toMatch(/come back/);
    await node.server.stop();
  });

  it("refuses a wrong or missing token and a bad payload, and stays up", async () => {
    const body = alertmanagerPayload("firing", "{}:{x=1}");
    expect((await node.call("POST", "/alerts/alertmanager", { body, token: null })).status).toBe(401);
    expect((await node.call("POST", "/alerts/alertmanager", { body, token: "wrong" })).status).toBe(401);
    // A staff user's session token is not the alert token.
    expect((await node.call("POST", "/alerts/alertmanager", { body, token: node.staff.token })).status).toBe(401);
    for (const bad of [{ ...body, version: "3" }, { ...body, alerts: "no" }, { version: "4" }, [], "text"]) {
      const res = await node.call("POST", "/alerts/alertmanager", { body: bad, token: ALERT_TOKEN });
      expect({ bad, res }).toMatchObject({ res: { status: 400, json: { error: { code: "invalid_request" } } } });
    }
    const garbage = await node.call("POST", "/alerts/alertmanager", { raw: "{{{", token: ALERT_TOKEN });
    expect(garbage.json).toMatchObject({ error: { code: "invalid_json" } });
    expect((await fetch(`${node.server.url}/healthz`)).status).toBe(200);
  });

  it("is closed on a node without an alert token", async () => {
    const closed = await opsNode({ alertToken: "" });
    try {
      const res = await closed.call("POST", "/alerts/alertmanager", {
        body: alertmanagerPayload("firing", "k"),
        token: "anything",
      });
      expect(res).toMatchObject({ status: 403, json: { error: { code: "forbidden" } } });
      const pd = await closed.call("POST", "/alerts/pagerduty", { body: { event_action: "trigger" }, token: null });
      expect(pd.status).toBe(403);
    } finally {
      await closed.server.stop();
    }
  });
});

describe("PagerDuty Events API v2", () => {
  const trigger = (dedup_key?: string) => ({
    routing_key: ALERT_TOKEN,
    event_action: "trigger",
    ...(dedup_key ? { dedup_key } : {}),
    payload: {
      summary: "Login failures above threshold",
      source: "auth-probe-1",
      severity: "critical",
      component: "login",
      class: "login failure",
      custom_details: { failed: 42 },
    },
  });

  it("triggers with the routing key, dedupes on dedup_key, acknowledges (MTTA) and resolves", async () => {
    const first = await node.call("POST", "/alerts/pagerduty", { body: trigger("pd-login-1"), token: null });
    expect(first).toEqual({
      status: 202,
      json: { status: "success", message: "Event processed", dedup_key: "pd-login-1" },
    });
    await node.call("POST", "/alerts/pagerduty", { body: trigger("pd-login-1"), token: null });
    const alerts = (await node.call<{ alerts: Alert[] }>("GET", "/alerts?source=pagerduty")).json.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 2, components: ["login"], urgency: "page", name: "login failure" });
    const incidentId = alerts[0]?.incidentId as string;
    expect(
      (await node.call<{ incident: Incident }>("GET", `/incidents/${incidentId}`)).json.incident.acknowledgedAt,
    ).toBeUndefined();

    const ack = await node.call("POST", "/alerts/pagerduty", {
      body: { routing_key: ALERT_TOKEN, event_action: "acknowledge", dedup_key: "pd-login-1" },
      token: null,
    });
    expect(ack.status).toBe(202);
    const acked = (await node.call<{ incident: Incident }>("GET", `/incidents/${incidentId}`)).json.incident;
    expect(acked.acknowledgedAt).toBeDefined();
    // A bearer header works as well as routing_key.
    const resolve = await node.call("POST", "/alerts/pagerduty", {
      body: { event_action: "resolve", dedup_key: "pd-login-1" },
      token: ALERT_TOKEN,
    });
    expect(resolve.status).toBe(202);
    expect((await node.call<{ incident: Incident }>("GET", `/incidents/${incidentId}`)).json.incident.status).toBe(
      "monitoring",
    );
  });

  it("generates a dedup_key for a trigger without one, ignores unknown keys, and refuses bad events", async () => {
    const res = await node.call<{ dedup_key: string }>("POST", "/alerts/pagerduty", { body: trigger(), token: null });
    expect(res.status).toBe(202);
    expect(res.json.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    const resolve = await node.call("POST", "/alerts/pagerduty", {
      body: { routing_key: ALERT_TOKEN, event_action: "resolve", dedup_key: res.json.dedup_key },
      token: null,
    });
    expect(resolve.status).toBe(202);
    const unknown = await node.call("POST", "/alerts/pagerduty", {
      body: { routing_key: ALERT_TOKEN, event_action: "resolve", dedup_key: "never-seen" },
      token: null,
    });
    expect(unknown.status).toBe(202);
    const wrongKey = await node.call("POST", "/alerts/pagerduty", {
      body: { ...trigger(), routing_key: "nope" },
      token: null,
    });
    expect(wrongKey.status).toBe(401);
    for (const bad of [
      { routing_key: ALERT_TOKEN, event_action: "trigger" },
      { routing_key: ALERT_TOKEN, event_action: "resolve" },
      { routing_key: ALERT_TOKEN, event_action: "explode", dedup_key: "x" },
      { ...trigger(), payload: { summary: "x", source: "y", severity: "apocalyptic" } },
    ]) {
      const r = await node.call("POST", "/alerts/pagerduty", { body: bad, token: null });
      expect({ bad, r }).toMatchObject({ r: { status: 400, json: { error: { code: "invalid_request" } } } });
    }
  });

  it("records a warning as a ticket alert that opens no incident", async () => {
    const before = (await incidents()).length;
    const warning = {
      ...trigger("pd-warn-1"),
      payload: { ...trigger().payload, severity: "warning", component: "files" },
    };
    await node.call("POST", "/alerts/pagerduty", { body: warning, token: null });
    const alert = (await node.call<{ alerts: Alert[] }>("GET", "/alerts?source=pagerduty")).json.alerts.find(
      (a) => a.dedupKey === "pagerduty:pd-warn-1",
    );
    expect(alert).toMatchObject({ urgency: "ticket", state: "firing" });
    expect(alert?.incidentId).toBeUndefined();
    expect((await incidents()).length).toBe(before);
  });
});

describe("one fault, one incident", () => {
  it("joins paging alerts that arrive together into one incident listing every component, but not after the window, and never into a declared one", async () => {
    const grouped = await opsNode({ alertGroupWindowMs: 1500, resolveQuietMs: 60_000 });
    try {
      const all = async () =>
        (await grouped.call<{ incidents: Incident[] }>("GET", "/incidents?status=all")).json.incidents;
      const pagerduty = (key: string, component: string) =>
        grouped.call("POST", "/alerts/pagerduty", {
          token: null,
          body: {
            routing_key: ALERT_TOKEN,
            event_action: "trigger",
            dedup_key: key,
            payload: { summary: `${component} is failing`, source: "probe", severity: "critical", component },
          },
        });
      const declared = await declare(grouped, { title: "Uploads are slow", components: ["files"] });

      const messaging = alertmanagerPayload("firing", '{}:{alertname="StoreDown"}');
      const first = await grouped.call<{ alert: Alert }>("POST", "/alerts/alertmanager", {
        body: messaging,
        token: ALERT_TOKEN,
      });
      await pagerduty("store-login", "login");
      const incidents = await all();
      expect(incidents).toHaveLength(2); // the declared one, and one for the fault
      const fault = incidents.find((i) => i.origin === "alert") as Incident;
      expect(fault.components.map((c) => c.id)).toEqual(["messaging", "login"]);
      expect(fault.alertIds).toHaveLength(2);
      expect(fault.alertIds[0]).toBe(first.json.alert.id);
      expect(fault.timeline.some((t) => t.kind === "component" && t.by === "pagerduty")).toBe(true);
      const components = (await grouped.call<{ components: { id: string; status: string }[] }>("GET", "/components"))
        .json.components;
      for (const id of ["messaging", "login"]) {
        expect(components.find((c) => c.id === id)?.status).not.toBe("operational");
      }
      // Staff's incident kept its own scope.
      const mine = (await grouped.call<{ incident: Incident }>("GET", `/incidents/${declared.id}`)).json.incident;
      expect(mine.components.map((c) => c.id)).toEqual(["files"]);
      expect(mine.alertIds).toEqual([]);

      // Past the window an alert on another component is another fault: its own incident.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await pagerduty("web-later", "web");
      const later = await all();
      expect(later).toHaveLength(3);
      expect(later[0]?.components.map((c) => c.id)).toEqual(["web"]);
      expect((later.find((i) => i.id === fault.id) as Incident).components).toHaveLength(2);
    } finally {
      await grouped.server.stop();
    }
  });
});
