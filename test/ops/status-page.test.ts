/** @module The public status page over HTTP: Statuspage-shaped JSON, the HTML page, incident pages, the Atom feed, caching, static copies and the separate listener. */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localSignups } from "../../src/ops/link/tower-api.js";
import { SubscriberSignups } from "../../src/ops/propagation/subscriber-signups.js";
import { SubscriberStore } from "../../src/ops/propagation/subscriber-store.js";
import { WebhookSender } from "../../src/ops/propagation/webhook-sender.js";
import { STATIC_FILES, StatusPage } from "../../src/ops/status/status-page.js";
import { createStatusRoutes, DOCUMENTS } from "../../src/ops/status/status-routes.js";
import { startStatusServer, statusServerPort } from "../../src/ops/status/status-server.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "./memory-tower.js";

const SENDER_OPTIONS = {
  maxAttempts: 1,
  retryBaseMs: 100,
  timeoutMs: 1000,
  queueLimit: 10,
  concurrency: 4,
  pendingLimit: 100,
};
const SIGNUP_OPTIONS = {
  perHourPerAddress: 10,
  perMinute: 10,
  confirmTtlMs: 60_000,
  confirmIntervalMs: 60_000,
  confirmsPerHostPerHour: 10,
  allowPrivate: false,
};

/** Statuspage v2 field lists (developer.statuspage.io, public API), checked key by key. */
const PAGE_KEYS = ["id", "name", "url", "time_zone", "updated_at"];
const COMPONENT_KEYS = [
  "id",
  "name",
  "status",
  "created_at",
  "updated_at",
  "position",
  "description",
  "showcase",
  "start_date",
  "group_id",
  "page_id",
  "group",
  "only_show_if_degraded",
];
const INCIDENT_KEYS = [
  "id",
  "name",
  "status",
  "impact",
  "created_at",
  "updated_at",
  "monitoring_at",
  "resolved_at",
  "started_at",
  "shortlink",
  "page_id",
  "incident_updates",
  "components",
];
const UPDATE_KEYS = [
  "id",
  "status",
  "body",
  "incident_id",
  "created_at",
  "updated_at",
  "display_at",
  "affected_components",
];

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("status page", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let first: ReturnType<MemoryTower["open"]>;
  let second: ReturnType<MemoryTower["open"]>;
  let third: ReturnType<MemoryTower["open"]>;

  beforeAll(async () => {
    server = await startTestServer({ statusPort: await freePort(), staffChatConversation: "" });
    tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
    // Three incidents: two open at once on different components, one resolved with a postmortem.
    third = tower.open({
      title: "파일 업로드 지연",
      components: [{ id: "files", status: "degraded_performance" }],
      impact: "minor",
    });
    tower.update(third.id, "resolved", "업로드가 정상입니다.", "디스크가 가득 찼습니다. 경보를 추가했습니다.");
    first = tower.open({
      title: "Messages are delayed",
      components: [{ id: "messaging", status: "partial_outage" }],
      impact: "major",
      body: "Some messages take minutes to arrive.",
    });
    tower.update(first.id, "identified", "A database node is failing over.");
    second = tower.open({
      title: "Login failures",
      components: [
        { id: "login", status: "major_outage" },
        { id: "messaging", status: "degraded_performance" },
      ],
      impact: "critical",
    });
    tower.scheduleMaintenance({
      title: "Database upgrade",
      body: "Sending may pause for a minute.",
      components: ["messaging"],
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 90_000_000).toISOString(),
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("GET /status.json has Statuspage's page and status", async () => {
    const res = await get(`${server.url}/status.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=10");
    const body = JSON.parse(res.text);
    expect(Object.keys(body)).toEqual(["page", "status"]);
    expect(Object.keys(body.page)).toEqual(PAGE_KEYS);
    expect(body.page.url).toBe(server.url);
    expect(body.status).toEqual({ indicator: "critical", description: "Major System Outage" });
  });

  it("GET /summary.json lists components and only the unresolved incidents, each with its updates", async () => {
    const body = JSON.parse((await get(`${server.url}/summary.json`)).text);
    expect(Object.keys(body)).toEqual(["page", "status", "components", "incidents", "scheduled_maintenances"]);
    for (const c of body.components) expect(Object.keys(c)).toEqual(COMPONENT_KEYS);
    const statuses = Object.fromEntries(body.components.map((c: { id: string; status: string }) => [c.id, c.status]));
    // Messaging is hit by two incidents: the worse status wins.
    expect(statuses).toEqual({ messaging: "partial_outage", login: "major_outage", files: "operational" });
    expect(body.incidents.map((i: { id: string }) => i.id).sort()).toEqual([first.id, second.id].sort());
    for (const incident of body.incidents) {
      expect(Object.keys(incident)).toEqual(INCIDENT_KEYS);
      for (const update of incident.incident_updates) expect(Object.keys(update)).toEqual(UPDATE_KEYS);
      expect(incident.shortlink).toBe(`${server.url}/status/incidents/${incident.id}`);
    }
    const delayed = body.incidents.find((i: { id: string }) => i.id === first.id);
    expect(delayed).toMatchObject({
      name: "Messages are delayed",
      status: "identified",
      impact: "major",
      resolved_at: null,
    });
    // Newest first, as Statuspage lists them.
    expect(delayed.incident_updates.map((u: { status: string }) => u.status)).toEqual(["identified", "investigating"]);
    expect(delayed.components.map((c: { id: string }) => c.id)).toEqual(["messaging"]);
    const login = body.incidents.find((i: { id: string }) => i.id === second.id);
    expect(login.components.map((c: { id: string }) => c.id)).toEqual(["messaging", "login"]);
    expect(body.scheduled_maintenances).toHaveLength(1);
    expect(body.scheduled_maintenances[0]).toMatchObject({
      name: "Database upgrade",
      status: "scheduled",
      impact: "maintenance",
    });
    expect(body.scheduled_maintenances[0].scheduled_for).toMatch(/^\d{4}-/);
    // Statuspage clients call /api/v2/…: the same document.
    expect(JSON.parse((await get(`${server.url}/api/v2/summary.json`)).text)).toEqual(body);
  });

  it("GET /status shows components, current incidents with updates, maintenance, and history with the postmortem", async () => {
    const res = await get(`${server.url}/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = res.text;
    expect(html).toContain('<html lang="en">');
    expect(html).not.toContain("<script");
    expect(html.length).toBeLessThan(20_000);
    const current = html.slice(html.indexOf('id="current"'), html.indexOf('id="components"'));
    expect(current).toContain("Messages are delayed");
    expect(current).toContain("A database node is failing over.");
    expect(current).toContain("Login failures");
    expect(current).not.toContain("파일 업로드 지연");
    const components = html.slice(html.indexOf('id="components"'), html.indexOf('id="maintenances"'));
    expect(components).toMatch(/Login<\/span><span class="s major_outage">Major outage/);
    expect(components).toMatch(/Files<\/span><span class="s operational">Operational/);
    expect(html).toContain("Database upgrade");
    const history = html.slice(html.indexOf('id="history"'));
    expect(history).toContain("파일 업로드 지연");
    expect(history).toContain("업로드가 정상입니다.");
    expect(history).toContain("디스크가 가득 찼습니다. 경보를 추가했습니다.");
    expect(html).toContain("Major System Outage");
  });

  it("GET /status/incidents/<id> is one incident's page; an unknown id is 404", async () => {
    const res = await get(`${server.url}/status/incidents/${first.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("<h1><a");
    expect(res.text).toContain("Messages are delayed");
    expect(res.text).toContain("Some messages take minutes to arrive.");
    expect(res.text).not.toContain("Login failures");
    const past = await get(`${server.url}/status/incidents/${third.id}`);
    expect(past.text).toContain("디스크가 가득 찼습니다");
    expect((await get(`${server.url}/status/incidents/nope`)).status).toBe(404);
    expect((await get(`${server.url}/status/incidents/%E0%A4%A`)).status).toBe(404);
  });

  it("GET /status/history.atom is a well-formed Atom feed with one entry per incident update", async () => {
    const res = await get(`${server.url}/status/history.atom`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const errors: string[] = [];
    const doc = new DOMParser({
      onError: (level, message) => {
        errors.push(`${level}: ${message}`);
      },
    }).parseFromString(res.text, "application/xml");
    expect(errors).toEqual([]);
    const ATOM = "http://www.w3.org/2005/Atom";
    const feed = doc.documentElement;
    expect(feed?.localName).toBe("feed");
    expect(feed?.namespaceURI).toBe(ATOM);
    const child = (el: Element, name: string) =>
      Array.from(el.childNodes).filter((n) => (n as Element).localName === name) as Element[];
    // RFC 4287: a feed has exactly one id, title and updated, and an author (here, on the feed).
    for (const name of ["id", "title", "updated", "author"]) expect(child(feed as Element, name), name).toHaveLength(1);
    const entries = child(feed as Element, "entry");
    // 2 updates (resolved incident) + 2 (first) + 1 (second).
    expect(entries).toHaveLength(5);
    const ids = new Set<string>();
    for (const entry of entries) {
      expect(entry.namespaceURI).toBe(ATOM);
      for (const name of ["id", "title", "updated", "content"]) expect(child(entry, name), name).toHaveLength(1);
      const updated = child(entry, "updated")[0]?.textContent ?? "";
      expect(Number.isNaN(Date.parse(updated))).toBe(false);
      ids.add(child(entry, "id")[0]?.textContent ?? "");
      expect(child(entry, "link")[0]?.getAttribute("href")).toMatch(/\/status\/incidents\//);
    }
    expect(ids.size).toBe(5);
    const updatedTimes = entries.map((e) => child(e, "updated")[0]?.textContent ?? "");
    expect([...updatedTimes].sort().reverse()).toEqual(updatedTimes);
    expect(res.text).toContain("업로드가 정상입니다.");
  });

  it("answers a matching If-None-Match with 304, and HEAD without a body", async () => {
    const first = await get(`${server.url}/summary.json`);
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    expect((await get(`${server.url}/summary.json`, { "if-none-match": etag })).status).toBe(304);
    const head = await fetch(`${server.url}/status`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${server.url}/status.json`, { method: "POST" })).status).toBe(405);
  });

  it("writes the page as static files in <data>/status after each change", async () => {
    const folder = join(server.dataDir, "status");
    await expect.poll(() => existsSync(join(folder, "history.atom"))).toBe(true);
    const update = tower.update(second.id, "monitoring", "Logins succeed again; watching.");
    await expect
      .poll(() => readFileSync(join(folder, "summary.json"), "utf8"), { timeout: 5000 })
      .toContain("Logins succeed again; watching.");
    const summary = JSON.parse(readFileSync(join(folder, "summary.json"), "utf8"));
    expect(summary.incidents.find((i: { id: string }) => i.id === update.id).status).toBe("monitoring");
    expect(readFileSync(join(folder, "index.html"), "utf8")).toContain("Logins succeed again; watching.");
    // Monitoring is not resolved: the critical login incident still sets the indicator.
    expect(JSON.parse(readFileSync(join(folder, "status.json"), "utf8")).status.indicator).toBe("critical");
  });

  it("has a static copy of every route's document, Statuspage v2 included, with the same content", async () => {
    const folder = join(server.dataDir, "status");
    tower.update(second.id, "monitoring", "Still watching the logins.");
    const documents = Object.entries(DOCUMENTS);
    expect(documents.map(([, doc]) => doc)).toEqual(
      expect.arrayContaining(["components", "incidents", "unresolved", "maintenances", "upcoming", "active"]),
    );
    for (const [route, doc] of documents) {
      // The v2 documents sit at their URL path; the others under the short names a static server is pointed at.
      const file = route.startsWith("/api/v2/")
        ? route.slice(1)
        : (Object.entries(STATIC_FILES).find(([, d]) => d === doc)?.[0] ?? `(no copy of ${route})`);
      expect(STATIC_FILES[file], route).toBe(doc);
      await expect
        .poll(
          async () => {
            const path = join(folder, file);
            const copy = existsSync(path) ? readFileSync(path, "utf8") : `(no file ${file})`;
            return copy === (await get(`${server.url}${route}`)).text;
          },
          { timeout: 5000, message: `${route} as ${file}` },
        )
        .toBe(true);
    }
    expect(readFileSync(join(folder, "api/v2/incidents/unresolved.json"), "utf8")).toContain(
      "Still watching the logins.",
    );
  });

  it("serves the same routes on statusPort, a listener of its own, and nothing else there", async () => {
    const port = server.app.propagation.statusPort as number;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(server.app.port);
    const base = `http://127.0.0.1:${port}`;
    const res = await get(`${base}/summary.json`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).incidents).toHaveLength(2);
    expect((await get(`${base}/status`)).text).toContain("Messages are delayed");
    expect((await get(`${base}/api/v1/auth/login`)).status).toBe(404);
  });
});

describe("status page before the tower reports", () => {
  it("answers 503 with Retry-After, and in Korean when statusLocale is ko", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "haetae-status-"));
    const page = new StatusPage(dataDir, "ko");
    const subscribers = new SubscriberStore(dataDir, 10);
    const sender = new WebhookSender(SENDER_OPTIONS);
    const signups = new SubscriberSignups(subscribers, sender, SIGNUP_OPTIONS);
    const routes = createStatusRoutes({ page, signups: localSignups(signups), maxBodyBytes: 65536 });
    const listener = await startStatusServer(routes, 0, "127.0.0.1");
    const base = `http://127.0.0.1:${statusServerPort(listener)}`;
    try {
      const before = await fetch(`${base}/summary.json`);
      expect(before.status).toBe(503);
      expect(before.headers.get("retry-after")).toBe("5");
      const tower = new MemoryTower(base);
      tower.open({
        title: "메시지 전송 실패",
        components: [{ id: "messaging", status: "major_outage" }],
        impact: "critical",
      });
      await page.update(tower.snapshot());
      const html = await (await fetch(`${base}/status`)).text();
      expect(html).toContain('<html lang="ko">');
      expect(html).toContain("주요 장애");
      expect(html).toContain("전체 장애");
      expect(html).toContain("메시지 전송 실패");
      expect((await fetch(`${base}/`, { redirect: "manual" })).headers.get("location")).toBe("/status");
    } finally {
      await new Promise((resolve) => listener.close(resolve));
      sender.close();
      subscribers.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
