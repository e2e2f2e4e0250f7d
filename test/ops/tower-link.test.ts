/** @module A node whose tower runs elsewhere: the ops API, the status page, the banner, sign-ups and SLI events all cross the link (here through JSON in one process; the watcher's IPC and the cluster's NATS carry the same messages). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type App, startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import { memoryLink } from "../../src/ops/link/tower-host.js";
import { startTowerService } from "../../src/ops/link/tower-service.js";
import { type SliEvent, SliRecorder } from "../../src/ops/sli-recorder.js";
import type { Incident } from "../../src/ops/tower/model.js";
import type { AuthReply, IncidentEvent } from "../../src/protocol/index.js";
import { postJson, RawClient, TEST_DEFAULTS } from "../harness.js";
import { eventually } from "./ops-helpers.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "haetae-link-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A tower with its own folder, sign-ups and status listener, as the watcher holds them, and a node linked to it. */
async function linkedPair() {
  const towerDir = folder();
  const towerConfig = makeConfig({ data: towerDir, towerTickMs: 50, statusPort: 0, subscriberPrivateUrls: true });
  const sli = new SliRecorder();
  const service = await startTowerService(towerConfig, {
    sli,
    identity: { pageId: "abcdefghijkl", componentsCreatedAt: new Map() },
  });
  const { tower, host, propagation } = service;
  tower.setPage({ url: "http://status.example" });
  const link = memoryLink(host);
  const app: App = await startApp(
    makeConfig({
      port: 0,
      data: folder(),
      ...TEST_DEFAULTS,
      adminUsernames: "chief_link",
      subscriberPrivateUrls: true,
    }),
    { towerLink: link },
  );
  cleanups.push(async () => {
    await app.stop();
    await link.close();
    await service.close();
  });
  const chief = await postJson<AuthReply>(
    app.url,
    "/api/v1/auth/register",
    { username: "chief_link", password: "correct horse" },
    201,
  );
  const ops = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}/api/v1/ops${path}`, {
      method,
      headers: { authorization: `Bearer ${chief.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { tower, sli, app, chief, ops, propagation };
}

describe("a node linked to a tower elsewhere", () => {
  it("keeps no tower of its own: the ops API acts on the linked tower, and its errors keep their codes", async () => {
    const { tower, app, ops } = await linkedPair();
    expect(app.tower).toBeNull();
    const declared = await ops("POST", "/incidents", { title: "Sending fails", components: ["messaging"] });
    expect(declared.status).toBe(201);
    const incident = declared.json.incident as Incident;
    expect(tower.getIncident(incident.id).title).toBe("Sending fails");
    const listed = await ops("GET", "/incidents?status=open");
    expect((listed.json.incidents as Incident[]).map((i) => i.id)).toEqual([incident.id]);
    const missing = await ops("GET", "/incidents/INC-404");
    expect(missing.status).toBe(404);
    expect((missing.json.error as { code: string }).code).toBe("incident_not_found");
    const resolved = await ops("POST", `/incidents/${incident.id}/updates`, { status: "resolved", body: "Fixed." });
    expect(resolved.status).toBe(200);
    const again = await ops("POST", `/incidents/${incident.id}/severity`, { severity: "SEV1", reason: "late" });
    expect(again.status).toBe(409);
    expect((again.json.error as { code: string }).code).toBe("incident_resolved");
  });

  it("serves the linked tower's status on the chat port and greets sessions with its open incidents", async () => {
    const { tower, app, chief } = await linkedPair();
    const client = await RawClient.connect(`${app.url.replace("http", "ws")}/api/v1/ws`, chief.token);
    cleanups.push(() => client.close());
    const { incident } = tower.declare(
      { title: "Logins are slow", components: ["login"] },
      { username: "chief_link", role: "admin" },
    );
    // Live: the connected session hears it; the page on the chat port shows it.
    await client.until(() => client.eventsOf("incident").length === 1);
    expect((client.eventsOf("incident")[0] as IncidentEvent).incident.id).toBe(incident.id);
    await eventually(async () => {
      const summary = (await (await fetch(`${app.url}/api/v2/summary.json`)).json()) as {
        incidents: { id: string }[];
        page: { id: string };
      };
      expect(summary.incidents.map((i) => i.id)).toEqual([incident.id]);
      expect(summary.page.id).toBe("abcdefghijkl");
    });
    // On connect: a new session is greeted with it.
    const late = await RawClient.connect(`${app.url.replace("http", "ws")}/api/v1/ws`, chief.token);
    cleanups.push(() => late.close());
    await late.until(() => late.eventsOf("incident").length === 1);
  });

  it("hands sign-ups to the tower's subscriber file and its SLI events to the tower's recorder", async () => {
    const { app, propagation, sli } = await linkedPair();
    await eventually(async () => {
      expect((await fetch(`${app.url}/summary.json`)).status).toBe(200);
    });
    const signup = await fetch(`${app.url}/status/subscribers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: "http://127.0.0.1:9/hook" }),
    });
    expect(signup.status).toBe(202);
    const { id } = (await signup.json()) as { id: string };
    expect(propagation.subscribers?.pendingCount).toBe(1);
    // The node's own subscriber file is not there: the tower's is the only one.
    expect(app.propagation.subscribers).toBeUndefined();

    const heard: SliEvent[] = [];
    sli.subscribe((event) => heard.push(event));
    app.sli.record({ sli: "send", ok: false, source: "traffic" });
    await eventually(() => expect(heard.some((e) => e.sli === "send" && !e.ok)).toBe(true), 3000);
    expect(id).toMatch(/./);
  });
});
