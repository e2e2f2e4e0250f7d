/** @module Severity from measured impact, the closing rule, follow-ups, search in Korean and English, similar incidents and MTTA/MTTR, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/ops/tower/model.js";
import { declare, eventually, type OpsNode, opsNode } from "./ops-helpers.js";

let node: OpsNode;
beforeAll(async () => {
  node = await opsNode();
});
afterAll(async () => {
  await node.server.stop();
});

const get = async (id: string) => (await node.call<{ incident: Incident }>("GET", `/incidents/${id}`)).json.incident;

describe("severity from measured impact", () => {
  it("rises by itself as failures grow, never falls while open, and a recorded override wins", async () => {
    const incident = await declare(node, { title: "Sends failing for some users", components: ["messaging"] });
    expect(incident.severity).toBe("SEV4"); // nothing measured yet
    const sli = node.server.app.sli;
    // 100 users active; 10 of them see their sends fail: 10% of users → SEV2.
    for (let i = 0; i < 100; i++) sli.record({ sli: "send", ok: i >= 10, source: "traffic", userId: `u${i}` });
    await eventually(async () => expect((await get(incident.id)).severity).toBe("SEV2"));
    // 30 more fail: 40% of users → SEV1.
    for (let i = 10; i < 40; i++) sli.record({ sli: "send", ok: false, source: "traffic", userId: `u${i}` });
    await eventually(async () => expect((await get(incident.id)).severity).toBe("SEV1"));
    // Many good sends afterwards lower the shares, but the grade does not fall while open.
    for (let i = 0; i < 2000; i++) sli.record({ sli: "send", ok: true, source: "traffic", userId: `v${i}` });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const graded = await get(incident.id);
    expect(graded).toMatchObject({ severity: "SEV1", gradedSeverity: "SEV1", impact: "critical" });
    expect(graded.measured.usersAffected).toBe(40);
    expect(graded.measured.sendsFailed).toBe(40);
    expect(graded.components[0]?.status).toBe("major_outage");
    const grades = graded.timeline.filter((t) => t.kind === "severity").map((t) => `${t.data?.from}→${t.data?.to}`);
    expect(grades).toEqual(["SEV4→SEV2", "SEV2→SEV1"]);

    const override = await node.call<{ incident: Incident }>("POST", `/incidents/${incident.id}/severity`, {
      body: { severity: "SEV2", reason: "Only one region; the rest is fine" },
    });
    expect(override.json.incident).toMatchObject({
      severity: "SEV2",
      gradedSeverity: "SEV1",
      override: { severity: "SEV2", by: node.staff.user.username, reason: "Only one region; the rest is fine" },
    });
    expect(override.json.incident.timeline.at(-1)).toMatchObject({
      kind: "severity_override",
      by: node.staff.user.username,
    });
    await new Promise((resolve) => setTimeout(resolve, 150)); // ticks pass; the override stays
    expect((await get(incident.id)).severity).toBe("SEV2");
    // With a commander named, someone else (not admin) may not override.
    await node.call("POST", `/incidents/${incident.id}/roles`, { body: { commander: "somebody_else" } });
    const refused = await node.call("POST", `/incidents/${incident.id}/severity`, {
      body: { severity: null, reason: "x" },
    });
    expect(refused.status).toBe(403);
    const byAdmin = await node.call<{ incident: Incident }>("POST", `/incidents/${incident.id}/severity`, {
      body: { severity: null, reason: "back to the rules" },
      token: node.admin.token,
    });
    expect(byAdmin.json.incident.severity).toBe("SEV1");
    await node.call("POST", `/incidents/${incident.id}/updates`, { body: { status: "resolved", body: "Fixed." } });
  });
});

describe("incident logs", () => {
  it("refuses to close a SEV1–SEV2 review without cause, fix and a follow-up, and lists overdue follow-ups", async () => {
    const incident = await declare(node, { title: "DB failover", components: ["messaging"], severity: "SEV2" });
    const path = `/incidents/${incident.id}`;
    expect((await node.call("POST", `${path}/close`)).json).toMatchObject({ error: { code: "incident_not_resolved" } });
    await node.call("POST", `${path}/updates`, { body: { status: "resolved", body: "Back." } });
    const early = await node.call("POST", `${path}/close`);
    expect(early).toMatchObject({ status: 409, json: { error: { code: "incident_log_incomplete" } } });
    expect((early.json as { error: { message: string } }).error.message).toMatch(/cause, fix, a follow-up/);
    await node.call("PATCH", `${path}/log`, {
      body: { cause: "Primary disk full", fix: "Failed over; grew the disk" },
    });
    expect((await node.call("POST", `${path}/close`)).json).toMatchObject({
      error: { code: "incident_log_incomplete" },
    });
    const late = await node.call<{ followUp: { id: string } }>("POST", `${path}/follow-ups`, {
      body: { title: "Alert on disk usage at 80%", owner: "dba_kim", dueDate: "2020-01-01" },
    });
    expect(late.status).toBe(201);
    await node.call("POST", `${path}/follow-ups`, { body: { title: "Later", owner: "x", dueDate: "2999-01-01" } });
    const closed = await node.call<{ incident: Incident }>("POST", `${path}/close`);
    expect(closed.json.incident.closedAt).toBeDefined();
    // A closed SEV2 log cannot lose its cause.
    expect((await node.call("PATCH", `${path}/log`, { body: { cause: " " } })).json).toMatchObject({
      error: { code: "incident_log_incomplete" },
    });
    const overdue = (
      await node.call<{ followUps: { incidentId: string; followUp: { id: string } }[] }>("GET", "/follow-ups/overdue")
    ).json.followUps;
    expect(overdue.map((o) => o.followUp.id)).toEqual([late.json.followUp.id]);
    await node.call("PATCH", `${path}/follow-ups/${late.json.followUp.id}`, { body: { status: "done" } });
    expect((await node.call<{ followUps: unknown[] }>("GET", "/follow-ups/overdue")).json.followUps).toEqual([]);
    const timeline = (await get(incident.id)).timeline.map((t) => t.kind);
    expect(timeline).toEqual(expect.arrayContaining(["log", "follow_up"]));
    // A SEV4 closes without them.
    const small = await declare(node, { title: "Typo on the login page", components: ["web"], severity: "SEV4" });
    await node.call("POST", `/incidents/${small.id}/updates`, { body: { status: "resolved" } });
    expect((await node.call("POST", `/incidents/${small.id}/close`)).status).toBe(200);
  });

  it("searches every log in Korean and English, short terms included, and suggests similar past incidents", async () => {
    const past = await declare(node, {
      title: "메시지 전송 실패: 데이터베이스 잠금",
      components: ["messaging"],
      severity: "SEV2",
    });
    await node.call("PATCH", `/incidents/${past.id}/log`, {
      body: {
        cause: "배포 후 데이터베이스 잠금 경합으로 메시지가 저장되지 않음",
        fix: "Rolled back the deploy and raised the lock timeout",
      },
    });
    await node.call("POST", `/incidents/${past.id}/follow-ups`, {
      body: { title: "잠금 대기 시간 경보 추가", owner: "park", dueDate: "2999-01-01" },
    });
    await node.call("POST", `/incidents/${past.id}/updates`, { body: { status: "resolved", body: "복구되었습니다." } });
    const other = await declare(node, { title: "Avatar images blurry", components: ["files"], severity: "SEV4" });
    await node.call("PATCH", `/incidents/${other.id}/log`, { body: { cause: "CDN resized images twice" } });

    const search = async (q: string) =>
      (
        await node.call<{ results: { incident: { id: string }; snippet: string }[] }>(
          "GET",
          `/logs/search?q=${encodeURIComponent(q)}`,
        )
      ).json.results;
    expect((await search("데이터베이스 잠금")).map((r) => r.incident.id)).toEqual([past.id]);
    expect((await search("잠금")).map((r) => r.incident.id)).toEqual([past.id]); // two syllables: the LIKE path
    expect((await search("lock timeout")).map((r) => r.incident.id)).toEqual([past.id]);
    expect((await search("CDN")).map((r) => r.incident.id)).toEqual([other.id]);
    expect((await search("resized")).at(0)?.snippet).toMatch(/resized/);
    expect(await search("전혀없는말")).toEqual([]);
    expect((await node.call("GET", "/logs/search")).json).toMatchObject({ error: { code: "invalid_request" } });

    const now = await node.call<{
      incident: Incident;
      similar: { incident: { id: string }; fix: string; followUps: unknown[] }[];
    }>("POST", "/incidents", { body: { title: "메시지 전송 지연과 데이터베이스 잠금", components: ["messaging"] } });
    expect(now.json.similar[0]).toMatchObject({
      incident: { id: past.id },
      fix: "Rolled back the deploy and raised the lock timeout",
    });
    expect(now.json.similar[0]?.followUps).toHaveLength(1);
    expect(now.json.similar.map((s) => s.incident.id)).not.toContain(other.id);
    const similar = await node.call<{ similar: { incident: { id: string } }[] }>(
      "GET",
      `/incidents/${now.json.incident.id}/similar`,
    );
    expect(similar.json.similar[0]?.incident.id).toBe(past.id);
    expect(now.json.incident.timeline.some((t) => t.kind === "opened" && t.text.includes(past.id))).toBe(true);
  });

  it("reports MTTA and MTTR per severity and per month, as figures and as metrics", async () => {
    const fresh = await opsNode();
    try {
      const a = await declare(fresh, { title: "A", components: ["login"], severity: "SEV2" });
      await new Promise((resolve) => setTimeout(resolve, 120));
      await fresh.call("POST", `/incidents/${a.id}/acknowledge`);
      await new Promise((resolve) => setTimeout(resolve, 120));
      await fresh.call("POST", `/incidents/${a.id}/updates`, { body: { status: "resolved" } });
      await declare(fresh, { title: "B", components: ["files"], severity: "SEV4" });
      const stats = (
        await fresh.call<{
          overall: { incidents: number };
          bySeverity: Record<string, { incidents: number; mttaSeconds: number | null; mttrSeconds: number | null }>;
          byMonth: { month: string; incidents: number }[];
        }>("GET", "/stats")
      ).json;
      expect(stats.overall.incidents).toBe(2);
      const sev2 = stats.bySeverity.SEV2;
      expect(sev2?.incidents).toBe(1);
      expect(sev2?.mttaSeconds).toBeGreaterThanOrEqual(0.1);
      expect(sev2?.mttrSeconds).toBeGreaterThanOrEqual(sev2?.mttaSeconds ?? 0);
      expect(stats.bySeverity.SEV4).toMatchObject({ incidents: 1, mttaSeconds: null, mttrSeconds: null });
      const month = new Date().toISOString().slice(0, 7);
      expect(stats.byMonth).toEqual([expect.objectContaining({ month, incidents: 2 })]);
      const metrics = await (await fetch(`${fresh.server.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`haetae_incident_mttr_seconds\\{severity="SEV2",month="${month}"\\} \\d`));
      expect(metrics).toMatch(new RegExp(`haetae_incident_mtta_seconds\\{severity="SEV2",month="${month}"\\} \\d`));
      expect(metrics).toMatch(/haetae_incidents_open\{severity="SEV4"\} 1/);
    } finally {
      await fresh.server.stop();
    }
  });
});
