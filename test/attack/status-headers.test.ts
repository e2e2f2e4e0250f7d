/** @module Attack: framing the public status page (clickjacking) and sniffing its documents — every status response, on both ports, forbids both. */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../child-server.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";

/** Every kind of status response: documents, an incident page, a 404 page, the subscriber API and its errors. */
const PATHS: [string, string, number][] = [
  ["GET", "/status", 200],
  ["GET", "/status/", 200],
  ["HEAD", "/status", 200],
  ["GET", "/status.json", 200],
  ["GET", "/summary.json", 200],
  ["GET", "/api/v2/summary.json", 200],
  ["GET", "/status/history.atom", 200],
  ["GET", "/status/incidents/no-such-incident", 404],
  ["GET", "/status/subscribers", 405],
  ["GET", "/status/subscribers/nope/confirm", 401],
  ["POST", "/status.json", 405],
];

describe("status page headers", () => {
  let server: TestServer;
  let bases: string[];

  beforeAll(async () => {
    server = await startTestServer({ statusPort: await freePort(), staffChatConversation: "" });
    const tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
    tower.open({ title: "<b>Sends</b> fail", components: [{ id: "messaging", status: "major_outage" }] });
    bases = [server.url, `http://127.0.0.1:${server.app.propagation.statusPort}`];
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each(PATHS)("%s %s refuses framing and sniffing on both ports", async (method, path, status) => {
    for (const base of bases) {
      const res = await fetch(`${base}${path}`, { method, redirect: "manual" });
      expect(res.status, base).toBe(status);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, base).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/^default-src 'none'/);
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("script-src");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("the status port's redirect and 404 carry them too", async () => {
    const base = bases[1] as string;
    for (const path of ["/", "/nothing-here"]) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
  });

  it("the policy allows exactly the page's one stylesheet, and the page needs nothing else", async () => {
    const res = await fetch(`${server.url}/status`);
    const html = await res.text();
    const csp = res.headers.get("content-security-policy") ?? "";
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
    expect(styles).toHaveLength(1);
    const hash = createHash("sha256")
      .update(styles[0] as string)
      .digest("base64");
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
    expect(html).not.toMatch(/<script|<iframe|<img|<form|\sstyle=|\son\w+=/i);
    expect(html).toContain("&lt;b&gt;Sends&lt;/b&gt; fail");
  });

  it("does not put the status page's policy on the chat API", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get("content-security-policy") ?? "").not.toContain(`style-src 'sha256-`);
  });
});
