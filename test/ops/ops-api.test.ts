/** @module The ops API over real HTTP: staff only, the incident lifecycle and its timeline, components, maintenance, a restart. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import type { Component, Incident, StatusSnapshot, TowerChange } from "../../src/ops/tower/model.js";
import { TEST_DEFAULTS } from "../harness.js";
import { declare, type OpsNode, opsNode } from "./ops-helpers.js";

let node: OpsNode;
beforeAll(async () => {
  node = await opsNode();
});
afterAll(async () => {
  await node.server.stop();
});

/** Every staff endpoint, with a body good enough to pass validation (so forbidden comes from the role). */
const ENDPOINTS: [string, string, unknown?][] = [
  ["GET", "/me"],
  ["GET", "/alerts"],
  ["POST", "/alerts/x/acknowledge"],
  ["GET", "/incidents"],
  ["POST", "/incidents", { title: "t" }],
  ["GET", "/incidents/INC-1"],
  ["POST", "/incidents/INC-1/updates", { body: "b" }],
  ["POST", "/incidents/INC-1/severity", { severity: "SEV1", reason: "r" }],
  ["POST", "/incidents/INC-1/roles", { commander: "a" }],
  ["POST", "/incidents/INC-1/acknowledge"],
  ["PUT", "/incidents/INC-1/components", { components: [] }],
  ["PATCH", "/incidents/INC-1/log", { cause: "c" }],
  ["POST", "/incidents/INC-1/follow-ups", { title: "t", owner: "o", dueDate: "2030-01-01" }],
  ["PATCH", "/incidents/INC-1/follow-ups/f", { status: "done" }],
  ["POST", "/incidents/INC-1/close"],
  ["GET", "/incidents/INC-1/similar"],
  ["GET", "/follow-ups/overdue"],
  ["GET", "/logs/search?q=abc"],
  ["GET", "/stats"],
  ["GET", "/components"],
  ["PUT", "/components/messaging", { status: "operational" }],
  ["GET", "/maintenances"],
  [
    "POST",
    "/maintenances",
    { title: "t", components: ["files"], startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-01T01:00:00Z" },
  ],
  ["POST", "/maintenances/x/cancel"],
  ["PUT", "/users/someone/role", { role: "staff" }],
];

describe("access", () => {
  it("answers unauthorized without a valid token and forbidden to a signed-in user without staff role, on every endpoint", async () => {
    for (const [method, path, body] of ENDPOINTS) {
      const none = await node.call(method, path, { body, token: null });
      expect({ method, path, status: none.status, json: none.json }).toMatchObject({
        status: 401,
        json: { error: { code: "unauthorized" } },
      });
      const bad = await node.call(method, path, { body, token: "ht_not_a_token" });
      expect({ method, path, status: bad.status }).toMatchObject({ status: 401 });
      const plain = await node.call(method, path, { body, token: node.plain.token });
      expect({ method, path, status: plain.status, json: plain.json }).toMatchObject({
        status: 403,
        json: { error: { code: "forbidden" } },
      });
    }
    // Nothing was created by the refused calls.
    expect((await node.call<{ incidents: Incident[] }>("GET", "/incidents")).json.incidents).toEqual([]);
  });

  it("lets staff and admins in, lets only admins set roles, and answers unknown routes and methods", async () => {
    expect((await node.call("GET", "/me")).json).toEqual({
      user: { username: node.staff.user.username, role: "staff" },
    });
    expect((await node.call("GET", "/me", { token: node.admin.token })).json).toMatchObject({
      user: { role: "admin" },
    });
    const byStaff = await node.call("PUT", `/users/${node.plain.user.username}/role`, { body: { role: "staff" } });
    expect(byStaff.status).toBe(403);
    const byAdmin = await node.call("PUT", `/users/${node.plain.user.username}/role`, {
      body: { role: "staff" },
      token: node.admin.token,
    });
    expect(byAdmin).toMatchObject({ status: 200, json: { user: { role: "staff" } } });
    expect((await node.call("GET", "/me", { token: node.plain.token })).status).toBe(200);
    await node.server.app.ctx.store.setRole(node.plain.user.username, "user");
    expect((await node.call("GET", "/me", { token: node.plain.token })).status).toBe(403);
    expect((await node.call("GET", "/nothing-here")).json).toMatchObject({ error: { code: "route_not_found" } });
    expect((await node.call("DELETE", "/incidents")).json).toMatchObject({ error: { code: "method_not_allowed" } });
    expect((await node.call("POST", "/incidents", { raw: "{nope" })).json).toMatchObject({
      error: { code: "invalid_json" },
    });
    expect((await node.call("POST", "/incidents", { body: { title: "" } })).json).toMatchObject({
      error: { code: "invalid_request" },
    });
    expect((await node.call("GET", "/incidents/INC-999")).json).toMatchObject({
      error: { code: "incident_not_found" },
    });
  });
});

describe("incident lifecycle", () => {
  it("walks investigating → identified → monitoring → resolved with public updates and a timeline naming who did what", async () => {
    const changes: TowerChange[] = [];
    const unsubscribe = node.server.app.tower?.subscribe((change) => changes.push(change)) ?? (() => undefined);
    const incident = await declare(node, {
      title: "Messages are slow to arrive",
      components: ["messaging"],
      message: "We are looking into slow delivery.",
    });
    expect(incident).toMatchObject({
      id: expect.stringMatching(/^INC-\d+$/),
      status: "investigating",
      origin: "declared",
    });
    expect(incident.updates).toHaveLength(1);
    const path = `/incidents/${incident.id}`;
    const actor = node.staff.user.username;

    await node.call("POST", `${path}/roles`, { body: { commander: actor, communications: "comms_person" } });
    await node.call("POST", `${path}/acknowledge`);
    await node.call("POST", `${path}/updates`, {
      body: { status: "identified", body: "A full disk on the database host." },
    });
    await node.call("POST", `${path}/updates`, { body: { status: "monitoring", body: "Space freed; watching." } });
    const resolved = await node.call<{ incident: Incident }>("POST", `${path}/updates`, {
      body: { status: "resolved", body: "Delivery is back to normal." },
    });
    unsubscribe();
    const done = resolved.json.incident;
    expect(done.status).toBe("resolved");
    expect(done.acknowledgedAt).toBeDefined();
    const times = [done.createdAt, done.identifiedAt, done.monitoringAt, done.resolvedAt];
    expect(times.every((t) => typeof t === "string")).toBe(true);
    expect([...times].sort()).toEqual(times);
    expect(done.updates.map((u) => u.status)).toEqual(["investigating", "identified", "monitoring", "resolved"]);
    expect(done.commander).toBe(actor);
    expect(done.log.measured).toEqual(done.measured);
    const kinds = done.timeline.map((t) => `${t.kind}:${t.by}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        `opened:${actor}`,
        `role:${actor}`,
        `alert:${actor}`,
        `status:${actor}`,
        `update:${actor}`,
      ]),
    );
    expect(done.timeline.filter((t) => t.kind === "status").map((t) => t.data?.to)).toEqual([
      "identified",
      "monitoring",
      "resolved",
    ]);
    // Listeners heard the public changes, the resolution last, and nothing for the staff-only ones.
    expect(changes.filter((c) => c.kind.startsWith("incident.")).map((c) => c.kind)).toEqual([
      "incident.opened",
      "incident.updated",
      "incident.updated",
      "incident.resolved",
    ]);
    const again = await node.call("POST", `${path}/updates`, { body: { status: "investigating" } });
    expect(again).toMatchObject({ status: 409, json: { error: { code: "incident_resolved" } } });
    const severity = await node.call("POST", `${path}/severity`, { body: { severity: "SEV1", reason: "late" } });
    expect(severity.json).toMatchObject({ error: { code: "incident_resolved" } });
  });

  it("shows each component the worst status of its open incidents, and operational when none is left", async () => {
    const status = async (id: string) =>
      (await node.call<{ components: Component[] }>("GET", "/components")).json.components.find((c) => c.id === id)
        ?.status;
    const minor = await declare(node, { title: "Attachments slow", components: ["files"], severity: "SEV3" });
    expect(await status("files")).toBe("degraded_performance");
    const major = await declare(node, { title: "Uploads failing", components: ["files", "web"], severity: "SEV1" });
    expect(await status("files")).toBe("major_outage");
    expect(await status("web")).toBe("major_outage");
    const snapshot = node.server.app.tower?.snapshot() as StatusSnapshot;
    expect(snapshot.indicator).toBe("critical");
    expect(snapshot.incidents.map((i) => i.id)).toEqual([major.id, minor.id]);
    expect(snapshot.incidents[0]?.timeline).toEqual([]); // the public view carries no staff timeline
    await node.call("POST", `/incidents/${major.id}/updates`, { body: { status: "resolved", body: "Fixed." } });
    expect(await status("files")).toBe("degraded_performance");
    expect(await status("web")).toBe("operational");
    // A status pinned by staff wins over the one the severity gives.
    await node.call("PUT", `/incidents/${minor.id}/components`, {
      body: { components: [{ id: "files", status: "partial_outage" }] },
    });
    expect(await status("files")).toBe("partial_outage");
    await node.call("POST", `/incidents/${minor.id}/updates`, { body: { status: "resolved", body: "Fixed." } });
    expect(await status("files")).toBe("operational");
    // By hand, and back.
    await node.call("PUT", "/components/history", { body: { status: "degraded_performance" } });
    expect(await status("history")).toBe("degraded_performance");
    await node.call("PUT", "/components/history", { body: { status: "operational" } });
    expect(await status("history")).toBe("operational");
    expect((await node.call("PUT", "/components/nope", { body: { status: "operational" } })).json).toMatchObject({
      error: { code: "component_not_found" },
    });
  });

  it("puts components under maintenance while a window runs, and announces it", async () => {
    const changes: TowerChange[] = [];
    const unsubscribe = node.server.app.tower?.subscribe((change) => changes.push(change)) ?? (() => undefined);
    const startsAt = new Date(Date.now() - 1000).toISOString();
    const endsAt = new Date(Date.now() + 60_000).toISOString();
    const created = await node.call<{ maintenance: { id: string } }>("POST", "/maintenances", {
      body: { title: "Database upgrade", components: ["history"], startsAt, endsAt },
    });
    expect(created.status).toBe(201);
    const components = (await node.call<{ components: Component[] }>("GET", "/components")).json.components;
    expect(components.find((c) => c.id === "history")?.status).toBe("under_maintenance");
    expect(node.server.app.tower?.snapshot().indicator).toBe("maintenance");
    await node.call("POST", `/maintenances/${created.json.maintenance.id}/cancel`);
    const after = (await node.call<{ components: Component[] }>("GET", "/components")).json.components;
    expect(after.find((c) => c.id === "history")?.status).toBe("operational");
    unsubscribe();
    // The window began a second ago: a tick may post "in progress" before the cancel ends it.
    const kinds = changes.map((c) => c.kind);
    expect([
      ["maintenance.scheduled", "component.changed", "maintenance.updated", "component.changed"],
      ["maintenance.scheduled", "component.changed", "maintenance.updated", "maintenance.updated", "component.changed"],
    ]).toContainEqual(kinds);
    const ended = changes.at(-2);
    expect(ended && "maintenance" in ended ? ended.maintenance.updates?.map((u) => u.status) : []).toEqual([
      "scheduled",
      "in_progress",
      "completed",
    ]);
    const bad = await node.call("POST", "/maintenances", {
      body: { title: "x", components: ["history"], startsAt: endsAt, endsAt: startsAt },
    });
    expect(bad.json).toMatchObject({ error: { code: "invalid_request" } });
  });
});

it("keeps incidents, logs and component statuses across a restart of the node", async () => {
  const first = await opsNode();
  const dataDir = first.server.dataDir;
  const incident = await declare(first, { title: "재시작 후에도 남는 장애", components: ["login"], severity: "SEV2" });
  await first.call("PATCH", `/incidents/${incident.id}/log`, { body: { cause: "인증서 만료" } });
  await first.call("PUT", "/components/files", { body: { status: "partial_outage" } });
  await first.server.app.stop();
  const app = await startApp(
    makeConfig({
      port: 0,
      data: dataDir,
      ...TEST_DEFAULTS,
      adminUsernames: first.admin.user.username,
      towerTickMs: 50,
    }),
  );
  try {
    const res = await fetch(`${app.url}/api/v1/ops/incidents/${incident.id}`, {
      headers: { authorization: `Bearer ${first.admin.token}` },
    });
    const body = (await res.json()) as { incident: Incident };
    expect(body.incident).toMatchObject({
      title: "재시작 후에도 남는 장애",
      status: "investigating",
      severity: "SEV2",
    });
    expect(body.incident.log.cause).toBe("인증서 만료");
    const components = app.tower?.listComponents() ?? [];
    expect(components.find((c) => c.id === "login")?.status).toBe("partial_outage");
    expect(components.find((c) => c.id === "files")?.status).toBe("partial_outage");
    const next = app.tower?.declare({ title: "after restart" }, { username: "x", role: "staff" });
    expect(Number(next?.incident.id.slice(4))).toBe(Number(incident.id.slice(4)) + 1);
  } finally {
    await app.stop();
    await first.server.stop();
  }
});
