/** @module Statuspage's public API v2 on a real node: every route against the documented shapes, `page.url` from publicUrl, a page id and component creation times that survive restarts and are shared by nodes, and maintenance that posts its own "in progress" and "completed". */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import { TEST_DEFAULTS } from "../harness.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";
import { declare, eventually, type OpsNode, opsNode } from "./ops-helpers.js";
import {
  type MaintenanceDoc,
  STATUSPAGE_ROUTES,
  type StatuspageDocument,
  type StatuspageRoute,
} from "./statuspage-schema.js";

const PUBLIC_URL = "https://status.example.test";

/** GET a Statuspage route and parse it with its documented schema (a mismatch fails with the path of the bad field). */
async function fetchDoc<R extends StatuspageRoute>(base: string, route: R): Promise<StatuspageDocument<R>> {
  const res = await fetch(`${base}${route}`);
  expect(res.status, route).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const parsed = STATUSPAGE_ROUTES[route].safeParse(await res.json());
  if (!parsed.success) throw new Error(`${route}: ${parsed.error.message}`);
  return parsed.data as StatuspageDocument<R>;
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const ids = (list: { id: string }[]) => list.map((x) => x.id);

describe("Statuspage v2 on a node", () => {
  let node: OpsNode;
  let open: string;
  let resolved: string;
  let upcoming: string;
  let active: string;

  beforeAll(async () => {
    // A trailing slash as operators type it: page.url is given without it, as Statuspage's are.
    node = await opsNode({ publicUrl: `${PUBLIC_URL}/` });
    resolved = (await declare(node, { title: "Logins were slow", components: ["login"] })).id;
    const done = await node.call("POST", `/incidents/${resolved}/updates`, {
      body: { status: "resolved", body: "Logins are fast again." },
    });
    expect(done.status).toBe(200);
    open = (await declare(node, { title: "Messages are delayed", components: ["messaging"], severity: "SEV2" })).id;
    const plan = async (title: string, startsAt: string, endsAt: string) => {
      const res = await node.call<{ maintenance: { id: string } }>("POST", "/maintenances", {
        body: { title, body: `${title}: sending may pause.`, components: ["files"], startsAt, endsAt },
      });
      expect(res.status).toBe(201);
      return res.json.maintenance.id;
    };
    upcoming = await plan("Storage upgrade", inMs(3_600_000), inMs(7_200_000));
    active = await plan("Index rebuild", inMs(-1000), inMs(3_600_000));
  });
  afterAll(async () => {
    await node.server.stop();
  });

  it("answers every route in the documented shape, from the public URL, with one page id throughout", async () => {
    // The running window's "in progress" is posted by the tower's tick.
    await eventually(async () => {
      const doc = await fetchDoc(node.server.url, "/api/v2/scheduled-maintenances/active.json");
      expect(ids(doc.scheduled_maintenances)).toEqual([active]);
    });
    const docs = Object.fromEntries(
      await Promise.all(
        (Object.keys(STATUSPAGE_ROUTES) as StatuspageRoute[]).map(async (r) => [r, await fetchDoc(node.server.url, r)]),
      ),
    ) as { [R in StatuspageRoute]: StatuspageDocument<R> };

    const page = docs["/api/v2/summary.json"].page;
    expect(page.url).toBe(PUBLIC_URL);
    expect(page.id).toMatch(/^[a-z0-9]{12}$/);
    for (const doc of Object.values(docs)) expect(doc.page).toEqual(page);

    const summary = docs["/api/v2/summary.json"];
    const everyObject = [
      ...summary.components,
      ...docs["/api/v2/incidents.json"].incidents.flatMap((i) => [i, ...i.components]),
      ...docs["/api/v2/scheduled-maintenances.json"].scheduled_maintenances.flatMap((m) => [m, ...m.components]),
    ];
    for (const o of everyObject) expect(o.page_id).toBe(page.id);

    // Components: the same list in the summary and on their own route, numbered from 1.
    expect(docs["/api/v2/components.json"].components).toEqual(summary.components);
    expect(summary.components.map((c) => c.position)).toEqual(summary.components.map((_, i) => i + 1));
    const status = Object.fromEntries(summary.components.map((c) => [c.id, c.status]));
    expect(status.files).toBe("under_maintenance");
    expect(status.messaging).not.toBe("operational");

    // Incidents: all (the resolved one too), newest first; unresolved and the summary only the open one.
    const all = docs["/api/v2/incidents.json"].incidents;
    expect(ids(all)).toEqual([open, resolved]);
    expect(all[1]).toMatchObject({ status: "resolved" });
    expect(all[1]?.resolved_at).not.toBeNull();
    expect(all[1]?.incident_updates[0]).toMatchObject({ status: "resolved", body: "Logins are fast again." });
    expect(ids(docs["/api/v2/incidents/unresolved.json"].incidents)).toEqual([open]);
    expect(summary.incidents).toEqual(docs["/api/v2/incidents/unresolved.json"].incidents);
    for (const i of all) expect(i.shortlink).toBe(`${PUBLIC_URL}/status/incidents/${i.id}`);

    // Maintenances: every one (latest first), the upcoming one, the running one.
    expect(ids(docs["/api/v2/scheduled-maintenances.json"].scheduled_maintenances)).toEqual([upcoming, active]);
    const soon = docs["/api/v2/scheduled-maintenances/upcoming.json"].scheduled_maintenances;
    expect(ids(soon)).toEqual([upcoming]);
    expect(soon[0]).toMatchObject({ status: "scheduled", impact: "maintenance", resolved_at: null });
    expect(soon[0]?.incident_updates.map((u) => u.status)).toEqual(["scheduled"]);
    expect(soon[0]?.incident_updates[0]?.body).toBe("Storage upgrade: sending may pause.");
    const running = docs["/api/v2/scheduled-maintenances/active.json"].scheduled_maintenances[0];
    expect(running?.status).toBe("in_progress");
    expect(running?.incident_updates.map((u) => u.status)).toEqual(["in_progress", "scheduled"]);
    expect(ids(running?.components ?? [])).toEqual(["files"]);
    expect(ids(summary.scheduled_maintenances).sort()).toEqual([upcoming, active].sort());
  });

  it("posts 'in progress' when a window starts and 'completed' when it ends, then lists it only among all maintenances", async () => {
    const startsAt = inMs(400);
    const endsAt = inMs(1400);
    const res = await node.call<{ maintenance: { id: string } }>("POST", "/maintenances", {
      body: { title: "Quick restart", components: ["messaging"], startsAt, endsAt },
    });
    const id = res.json.maintenance.id;
    const find = async (route: StatuspageRoute & `/api/v2/scheduled-maintenances${string}`) =>
      (await fetchDoc(node.server.url, route)).scheduled_maintenances.find((m) => m.id === id);

    expect((await find("/api/v2/scheduled-maintenances/upcoming.json"))?.status).toBe("scheduled");
    let started: MaintenanceDoc | undefined;
    await eventually(async () => {
      started = await find("/api/v2/scheduled-maintenances/active.json");
      expect(started?.status).toBe("in_progress");
    }, 3000);
    const inProgress = started?.incident_updates[0];
    expect(inProgress?.status).toBe("in_progress");
    expect(inProgress?.body).toMatch(/in progress/);
    expect(Date.parse(inProgress?.created_at ?? "")).toBeGreaterThanOrEqual(Date.parse(startsAt));
    expect(await find("/api/v2/scheduled-maintenances/upcoming.json")).toBeUndefined();

    let ended: MaintenanceDoc | undefined;
    await eventually(async () => {
      ended = await find("/api/v2/scheduled-maintenances.json");
      expect(ended?.status).toBe("completed");
    }, 5000);
    expect(ended?.incident_updates.map((u) => u.status)).toEqual(["completed", "in_progress", "scheduled"]);
    const completedAt = Date.parse(ended?.incident_updates[0]?.created_at ?? "");
    expect(completedAt).toBeGreaterThanOrEqual(Date.parse(endsAt));
    // Posted within a few ticks of the end, not minutes later.
    expect(completedAt - Date.parse(endsAt)).toBeLessThan(2000);
    expect(ended?.resolved_at).toBe(ended?.incident_updates[0]?.created_at);
    expect(ended?.scheduled_for).toBe(startsAt);
    expect(ended?.scheduled_until).toBe(endsAt);
    expect(await find("/api/v2/scheduled-maintenances/active.json")).toBeUndefined();
    const summary = await fetchDoc(node.server.url, "/api/v2/summary.json");
    expect(ids(summary.scheduled_maintenances)).not.toContain(id);
    expect(summary.components.find((c) => c.id === "messaging")?.status).not.toBe("under_maintenance");
  });

  it("ends a running window early when it is cancelled, and withdraws one cancelled before it began", async () => {
    const plan = async (startsAt: string) =>
      (
        await node.call<{ maintenance: { id: string } }>("POST", "/maintenances", {
          body: { title: "Cancelled later", components: ["login"], startsAt, endsAt: inMs(3_600_000) },
        })
      ).json.maintenance.id;
    const running = await plan(inMs(-1000));
    const later = await plan(inMs(1_800_000));
    expect((await node.call("POST", `/maintenances/${running}/cancel`)).status).toBe(200);
    expect((await node.call("POST", `/maintenances/${later}/cancel`)).status).toBe(200);
    const all = (await fetchDoc(node.server.url, "/api/v2/scheduled-maintenances.json")).scheduled_maintenances;
    const ended = all.find((m) => m.id === running);
    expect(ended?.status).toBe("completed");
    expect(ended?.incident_updates.map((u) => u.status)).toEqual(["completed", "in_progress", "scheduled"]);
    expect(ids(all)).not.toContain(later);
  });

  it("moves page.updated_at when a maintenance is planned, starts or is withdrawn, though no component changes", async () => {
    const pageUpdated = async () => (await fetchDoc(node.server.url, "/api/v2/status.json")).page.updated_at;
    const filesUpdated = async () =>
      (await fetchDoc(node.server.url, "/api/v2/components.json")).components.find((c) => c.id === "files")?.updated_at;
    // "Index rebuild" keeps files under maintenance the whole time: no component status moves below.
    const filesBefore = await filesUpdated();
    const before = await pageUpdated();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const plan = async (startsAt: string) => {
      const res = await node.call<{ maintenance: { id: string; updates: { createdAt: string }[] } }>(
        "POST",
        "/maintenances",
        { body: { title: "Cache warm-up", components: ["files"], startsAt, endsAt: inMs(3_600_000) } },
      );
      expect(res.status).toBe(201);
      return res.json.maintenance;
    };
    const later = await plan(inMs(1_800_000));
    const planned = await pageUpdated();
    expect(planned > before).toBe(true);
    expect(planned >= (later.updates[0]?.createdAt ?? "")).toBe(true);

    const soon = await plan(inMs(300));
    let started: MaintenanceDoc | undefined;
    await eventually(async () => {
      started = (
        await fetchDoc(node.server.url, "/api/v2/scheduled-maintenances/active.json")
      ).scheduled_maintenances.find((m) => m.id === soon.id);
      expect(started?.status).toBe("in_progress");
    }, 3000);
    expect((await pageUpdated()) >= (started?.incident_updates[0]?.created_at ?? "")).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 20));
    const beforeCancel = await pageUpdated();
    expect((await node.call("POST", `/maintenances/${later.id}/cancel`)).status).toBe(200);
    expect((await pageUpdated()) > beforeCancel).toBe(true);
    expect(await filesUpdated()).toBe(filesBefore);
  });

  it("words the tower's own maintenance updates in the reader's language on the page and the feed, staff's as written", async () => {
    const text = async (path: string, lang: string) =>
      (await fetch(`${node.server.url}${path}`, { headers: { "accept-language": lang } })).text();
    const plan = async (body: string | undefined, startsAt: string, endsAt: string) =>
      (
        await node.call<{ maintenance: { id: string } }>("POST", "/maintenances", {
          body: { title: "Router swap", components: ["messaging"], startsAt, endsAt, ...(body ? { body } : {}) },
        })
      ).json.maintenance.id;
    const staffWords = "Sending may pause for a minute.";
    const running = await plan(staffWords, inMs(200), inMs(3_600_000));
    const short = await plan(undefined, inMs(200), inMs(700));
    await eventually(async () => {
      const all = (await fetchDoc(node.server.url, "/api/v2/scheduled-maintenances.json")).scheduled_maintenances;
      expect(all.find((m) => m.id === running)?.status).toBe("in_progress");
      expect(all.find((m) => m.id === short)?.status).toBe("completed");
    }, 5000);
    expect((await node.call("POST", `/maintenances/${running}/cancel`)).status).toBe(200);

    // The JSON is for programs: English, whatever the reader asks for.
    const json = (await fetchDoc(node.server.url, "/api/v2/scheduled-maintenances.json")).scheduled_maintenances;
    expect(json.find((m) => m.id === short)?.incident_updates.map((u) => u.body)).toEqual([
      "The scheduled maintenance has been completed.",
      "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
      "Maintenance is scheduled.",
    ]);

    const feedKo = await text("/status/history.atom", "ko");
    for (const words of ["점검이 예정되어 있습니다.", "예정된 점검이 끝났습니다.", "점검이 예정보다 일찍 끝났습니다."])
      expect(feedKo).toContain(words);
    expect(feedKo).toContain("예정된 점검을 하고 있습니다.");
    expect(feedKo).toContain(`<title>완료: Router swap</title>`);
    expect(feedKo).toContain(staffWords);
    expect(feedKo).not.toMatch(/The scheduled maintenance has been completed|currently in progress|ended early/);
    const feedEn = await text("/status/history.atom", "en");
    expect(feedEn).toContain("The scheduled maintenance has been completed.");
    expect(feedEn).toContain("The maintenance has ended early.");
    expect(feedEn).not.toContain("예정된 점검");

    // The page lists windows not yet over: "Index rebuild" runs for an hour, posted by the tower alone.
    const pageKo = await text("/status", "ko");
    const article = (html: string, id: string) =>
      html.slice(html.indexOf(`id="maintenance-${id}"`)).split("</article>")[0];
    expect(article(pageKo, active)).toContain("<strong>진행 중</strong>");
    expect(article(pageKo, active)).toContain("예정된 점검을 하고 있습니다. 필요할 때 소식을 더 전하겠습니다.");
    expect(article(pageKo, active)).toContain("Index rebuild: sending may pause.");
    expect(article(pageKo, active)).not.toContain("currently in progress");
    const pageEn = await text("/status?lang=en", "ko");
    expect(article(pageEn, active)).toContain(
      "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
    );
  });
});

describe("the page id and components' created_at", () => {
  const config = (data: string, store = "sqlite", publicUrl = "") =>
    makeConfig({ port: 0, data, store, publicUrl, ...TEST_DEFAULTS, towerTickMs: 50 });
  const identity = async (app: App) => {
    const doc = await fetchDoc(app.url, "/api/v2/components.json");
    return { pageId: doc.page.id, createdAt: Object.fromEntries(doc.components.map((c) => [c.id, c.created_at])) };
  };

  it("stay the same across a restart of the node (and a new public URL), while updated_at moves", async () => {
    const node = await opsNode();
    const before = await identity(node.server.app);
    await declare(node, { title: "Files are slow", components: ["files"] });
    await node.server.app.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await startApp(config(node.server.dataDir, "sqlite", "https://status.example.test"));
    try {
      const after = await identity(again);
      expect(after).toEqual(before);
      const files = (await fetchDoc(again.url, "/api/v2/components.json")).components.find((c) => c.id === "files");
      expect(files?.status).not.toBe("operational");
      expect(Date.parse(files?.updated_at ?? "")).toBeGreaterThan(Date.parse(files?.created_at ?? ""));
    } finally {
      await again.stop();
      await node.server.stop();
    }
  });

  it("are the same on every node that shares the PostgreSQL store", async () => {
    const schema = freshSchema();
    const folders = [0, 1].map(() => mkdtempSync(join(tmpdir(), "haetae-page-id-")));
    const apps: App[] = [];
    try {
      apps.push(await startApp(config(folders[0] as string, postgresUrlWithSchema(schema))));
      await new Promise((resolve) => setTimeout(resolve, 50));
      apps.push(await startApp(config(folders[1] as string, postgresUrlWithSchema(schema))));
      const [first, second] = await Promise.all(apps.map(identity));
      expect(second).toEqual(first);
      expect(Object.keys(first?.createdAt ?? {}).length).toBeGreaterThan(0);
    } finally {
      for (const app of apps) await app.stop();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
      await dropSchema(schema);
    }
  });
});
