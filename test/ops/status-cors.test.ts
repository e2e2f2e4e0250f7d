/** @module The status JSON and feed are readable from any page (the web client on another origin, other sites' widgets), only by reads and without credentials; the sign-up is not. */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localSignups } from "../../src/ops/link/tower-api.js";
import { SubscriberSignups } from "../../src/ops/propagation/subscriber-signups.js";
import { SubscriberStore } from "../../src/ops/propagation/subscriber-store.js";
import { WebhookSender } from "../../src/ops/propagation/webhook-sender.js";
import { StatusPage } from "../../src/ops/status/status-page.js";
import { createStatusRoutes } from "../../src/ops/status/status-routes.js";
import { startStatusServer, statusServerPort } from "../../src/ops/status/status-server.js";
import { startTestServer, type TestServer } from "../harness.js";

const ELSEWHERE = { origin: "https://chat.example.com" };

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ staffChatConversation: "" });
});

afterAll(async () => {
  await server?.stop();
});

describe("cross-origin reads of the status JSON", () => {
  it("allows any origin to GET and HEAD the JSON and the feed, never with credentials", async () => {
    for (const path of ["/api/v2/summary.json", "/api/v2/status.json", "/summary.json", "/status/history.atom"]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await fetch(`${server.url}${path}`, { method, headers: ELSEWHERE });
        expect(res.status, `${method} ${path}`).toBe(200);
        expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
        expect(res.headers.get("access-control-allow-credentials"), path).toBeNull();
      }
    }
    // A revalidation's 304 carries it too, or a browser would treat its cached copy as unreadable.
    const first = await fetch(`${server.url}/api/v2/summary.json`, { headers: ELSEWHERE });
    const etag = first.headers.get("etag") as string;
    const again = await fetch(`${server.url}/api/v2/summary.json`, {
      headers: { ...ELSEWHERE, "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers a preflight for reads only, and the HTML page and the sign-up stay same-origin", async () => {
    const preflight = await fetch(`${server.url}/api/v2/summary.json`, {
      method: "OPTIONS",
      headers: { ...ELSEWHERE, "access-control-request-method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    // A write from another origin is refused before any route (the chat port's origin check).
    const post = await fetch(`${server.url}/api/v2/summary.json`, { method: "POST", headers: ELSEWHERE });
    expect(post.status).toBe(403);
    const page = await fetch(`${server.url}/status`, { headers: ELSEWHERE });
    expect(page.status).toBe(200);
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
    const signup = await fetch(`${server.url}/status/subscribers`, {
      method: "OPTIONS",
      headers: { ...ELSEWHERE, "access-control-request-method": "POST" },
    });
    expect(signup.headers.get("access-control-allow-origin")).toBeNull();
    // The chat API is not opened by this either.
    const api = await fetch(`${server.url}/api/v1/auth/login`, { method: "OPTIONS", headers: ELSEWHERE });
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets another origin read the 503 of a status page whose tower has not reported yet", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "haetae-status-cors-"));
    const page = new StatusPage(dataDir, "en");
    const subscribers = new SubscriberStore(dataDir, 10);
    const sender = new WebhookSender({
      maxAttempts: 1,
      retryBaseMs: 100,
      timeoutMs: 1000,
      queueLimit: 10,
      concurrency: 1,
      pendingLimit: 10,
    });
    const signups = new SubscriberSignups(subscribers, sender, {
      perHourPerAddress: 1,
      perMinute: 1,
      confirmTtlMs: 60_000,
      confirmIntervalMs: 60_000,
      confirmsPerHostPerHour: 1,
      allowPrivate: false,
    });
    const listener = await startStatusServer(
      createStatusRoutes({ page, signups: localSignups(signups), maxBodyBytes: 1024 }),
      0,
      "127.0.0.1",
    );
    try {
      const res = await fetch(`http://127.0.0.1:${statusServerPort(listener)}/api/v2/summary.json`, {
        headers: ELSEWHERE,
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await new Promise((resolve) => listener.close(resolve));
      sender.close();
      subscribers.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
