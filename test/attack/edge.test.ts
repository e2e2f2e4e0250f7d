/**
 * @module Attacks at the edge: a token in the WebSocket URL (proxy logs), cross-site `text/plain`
 * POSTs and foreign Origins, and a data folder readable by every user of the machine.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import { CANARY_FILE } from "../../src/ops/monitoring/canary-accounts.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { loginDevice, registerUser, startTestServer, TEST_DEFAULTS, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, NATS_URL, postgresUrlWithSchema } from "../services.js";

/** Ask `baseUrl` for a WebSocket ticket with this token; the HTTP status and body. */
async function askTicket(
  baseUrl: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { ticket?: string; expiresAt?: string; error?: { code: string } } }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/ws-ticket`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  return { status: res.status, body: (await res.json()) as never };
}

async function ticketOf(baseUrl: string, token: string): Promise<string> {
  const { status, body } = await askTicket(baseUrl, token);
  if (status !== 200 || !body.ticket) throw new Error(`ws-ticket: ${status} ${JSON.stringify(body)}`);
  return body.ticket;
}

interface Outcome {
  /** The `session` frame when a session opened. */
  session?: { userId: string; deviceId: string };
  /** The error frame of a refused session. */
  error?: string;
  /** The close code, or the HTTP status of a refused upgrade. */
  code?: number;
  httpStatus?: number;
}

/** Open `/api/v1/ws` with this query and headers, as a browser would (no Authorization header). */
function upgrade(server: TestServer, query: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.wsUrl}${query}`, { headers });
    const outcome: Outcome = {};
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; code?: string; userId: string; deviceId: string };
      if (frame.type === "session") {
        outcome.session = { userId: frame.userId, deviceId: frame.deviceId };
        ws.close(1000);
      } else if (frame.type === "error") outcome.error = frame.code;
    });
    ws.on("unexpected-response", (_req, res) => {
      outcome.httpStatus = res.statusCode;
      res.resume();
      resolve(outcome);
    });
    ws.on("close", (code) => resolve({ ...outcome, code }));
    ws.on("error", () => {});
  });
}

const withTicket = (ticket: string) => `?ticket=${encodeURIComponent(ticket)}`;

describe("the token in the WebSocket URL", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it("refuses a session token in ?token= with unauthorized and close 4500", async () => {
    const victim = await registerUser(server.url, "urltok");
    // What a proxy log leaks: the URL the old client opened.
    expect(await upgrade(server, `?token=${encodeURIComponent(victim.token)}`)).toEqual({
      error: "unauthorized",
      code: 4500,
    });
    // Not as a ticket either.
    expect(await upgrade(server, withTicket(victim.token))).toMatchObject({ error: "unauthorized", code: 4500 });
  });

  it("opens one session per ticket: a ticket replayed from a log is refused", async () => {
    const me = await registerUser(server.url, "once");
    const { status, body } = await askTicket(server.url, me.token);
    expect(status).toBe(200);
    const lifetime = Date.parse(body.expiresAt ?? "") - Date.now();
    expect(lifetime).toBeGreaterThan(20_000);
    expect(lifetime).toBeLessThanOrEqual(30_000);
    const ticket = body.ticket as string;
    expect(ticket).not.toContain(me.token);
    expect((await upgrade(server, withTicket(ticket))).session).toEqual({ userId: me.user.id, deviceId: me.deviceId });
    expect(await upgrade(server, withTicket(ticket))).toEqual({ error: "unauthorized", code: 4500 });
  });

  it("refuses a ticket past its 30 s", async () => {
    const me = await registerUser(server.url, "late");
    const ticket = await ticketOf(server.url, me.token);
    const realNow = server.app.ctx.now;
    server.app.ctx.now = () => new Date(Date.now() + 30_001);
    try {
      expect(await upgrade(server, withTicket(ticket))).toEqual({ error: "unauthorized", code: 4500 });
    } finally {
      server.app.ctx.now = realNow;
    }
    // Used up by the failed try as well: it does not work again once the clock is back.
    expect(await upgrade(server, withTicket(ticket))).toMatchObject({ code: 4500 });
  });

  it("binds a ticket to the device that asked, and a revoked device's unused ticket dies with it", async () => {
    const laptop = await registerUser(server.url, "bound");
    const phone = await loginDevice(server.url, laptop.user.username);
    const phoneTicket = await ticketOf(server.url, phone.token);
    const laptopTicket = await ticketOf(server.url, laptop.token);
    expect((await upgrade(server, withTicket(laptopTicket))).session?.deviceId).toBe(laptop.deviceId);
    // The phone is stolen and logged out; its ticket, asked for before, opens nothing.
    const logout = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${phone.token}` },
    });
    expect(logout.status).toBe(200);
    expect(await upgrade(server, withTicket(phoneTicket))).toEqual({ error: "unauthorized", code: 4500 });
    expect((await askTicket(server.url, phone.token)).status).toBe(401);
  });

  it("gives tickets only for a valid Bearer token", async () => {
    expect((await askTicket(server.url, "ht_forged")).body.error?.code).toBe("unauthorized");
    const res = await fetch(`${server.url}/api/v1/auth/ws-ticket`, { method: "POST" });
    expect(res.status).toBe(401);
  });

  it("refuses ticket requests for load before reading the token, like connections, with a retry time", async () => {
    const me = await registerUser(server.url, "shed");
    server.app.load.pin(4);
    try {
      const refused = await fetch(`${server.url}/api/v1/auth/ws-ticket`, {
        method: "POST",
        headers: { authorization: `Bearer ${me.token}` },
      });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: "overloaded", retryAfterMs: expect.any(Number) } });
    } finally {
      server.app.load.pin(0);
    }
    expect((await askTicket(server.url, me.token)).status).toBe(200);
  });

  it("gives one address tickets no faster than it may open sessions", async () => {
    const strict = await startTestServer({ ipConnectionsPerSecond: 1, ipConnectionBurst: 3 });
    try {
      const me = await registerUser(strict.url, "tickets");
      for (let i = 0; i < 3; i++) expect((await askTicket(strict.url, me.token)).status).toBe(200);
      const refused = await askTicket(strict.url, me.token);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
    } finally {
      await strict.stop();
    }
  });

  it("does not let the ticket lifetime be set past 30 s", () => {
    expect(() => makeConfig({ wsTicketTtlMs: 30_001 })).toThrow(/wsTicketTtlMs/);
    expect(makeConfig({ wsTicketTtlMs: 5000 }).wsTicketTtlMs).toBe(5000);
  });
});

describe("a ticket across nodes (PostgreSQL store, NATS bus)", () => {
  const schema = freshSchema();
  const nodes: TestServer[] = [];
  beforeAll(async () => {
    const shared = { store: postgresUrlWithSchema(schema), bus: `${NATS_URL}?prefix=${schema}`, tower: "off" };
    nodes.push(await startTestServer(shared));
    nodes.push(await startTestServer(shared));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await dropSchema(schema);
  });

  it("redeems on node B a ticket node A issued, once, and not again on either node", async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const me = await registerUser(a.url, "scale");
    const ticket = await ticketOf(a.url, me.token);
    expect((await upgrade(b, withTicket(ticket))).session).toEqual({ userId: me.user.id, deviceId: me.deviceId });
    expect(await upgrade(a, withTicket(ticket))).toEqual({ error: "unauthorized", code: 4500 });
    expect(await upgrade(b, withTicket(ticket))).toEqual({ error: "unauthorized", code: 4500 });
    // Two nodes racing for one ticket: one session.
    const raced = await ticketOf(b.url, me.token);
    const outcomes = await Promise.all([upgrade(a, withTicket(raced)), upgrade(b, withTicket(raced))]);
    expect(outcomes.filter((o) => o.session).length).toBe(1);
    expect(outcomes.filter((o) => o.code === 4500).length).toBe(1);
  });

  it("refuses on node B the ticket of a device revoked on node A", async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const me = await registerUser(a.url, "scalerev");
    const ticket = await ticketOf(a.url, me.token);
    await fetch(`${a.url}/api/v1/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${me.token}` } });
    expect(await upgrade(b, withTicket(ticket))).toEqual({ error: "unauthorized", code: 4500 });
  });
});

describe("cross-site requests", () => {
  let server: TestServer;
  let behindProxy: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    behindProxy = await startTestServer({ publicUrl: "https://chat.example.com" });
  });
  afterAll(async () => {
    await server.stop();
    await behindProxy.stop();
  });

  const post = (base: string, path: string, body: string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: "POST", headers, body });

  /** True when an account `username` was created. */
  const exists = async (username: string) => (await server.app.ctx.store.getUserByUsername(username)) !== null;

  it("refuses the bodies a cross-site form can send without a preflight (415), and creates no account", async () => {
    const credentials = JSON.stringify({ username: "csrf_victim", password: "correct horse" });
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""]) {
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      for (const path of ["/api/v1/auth/register", "/api/v1/auth/login"]) {
        // A form with enctype="text/plain" on evil.example, submitted by the visitor's browser.
        const res = await post(server.url, path, credentials, { ...headers, origin: server.url });
        expect(res.status, `${path} ${type}`).toBe(415);
        expect(await res.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
      }
    }
    expect(await exists("csrf_victim")).toBe(false);
  });

  it("refuses state-changing requests from another site's page (403) and lets non-browser clients through", async () => {
    const json = { "content-type": "application/json" };
    const body = JSON.stringify({ username: "origin_victim", password: "correct horse" });
    for (const origin of [
      "https://evil.example",
      "null",
      `${server.url}.evil.example`,
      server.url.replace("http:", "https:"),
    ]) {
      const res = await post(server.url, "/api/v1/auth/register", body, { ...json, origin });
      expect(res.status, origin).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "origin_not_allowed" } });
    }
    expect(await exists("origin_victim")).toBe(false);
    const me = await registerUser(server.url, "origin");
    expect((await askTicket(server.url, me.token, { origin: "https://evil.example" })).body.error?.code).toBe(
      "origin_not_allowed",
    );
    // The server's own page, and a client that sends no Origin at all, are served.
    expect((await post(server.url, "/api/v1/auth/register", body, { ...json, origin: server.url })).status).toBe(201);
    expect((await askTicket(server.url, me.token)).status).toBe(200);
    expect(await exists("origin_victim")).toBe(true);
  });

  it("refuses a WebSocket upgrade from another site's page before its ticket is spent", async () => {
    const me = await registerUser(server.url, "wsorigin");
    const ticket = await ticketOf(server.url, me.token);
    expect(await upgrade(server, withTicket(ticket), { origin: "https://evil.example" })).toEqual({ httpStatus: 403 });
    // The refusal read nothing: the ticket still opens the session from the server's own page.
    const own = await upgrade(server, withTicket(ticket), { origin: server.url });
    expect(own.session?.deviceId).toBe(me.deviceId);
  });

  it("takes the origin of publicUrl behind a TLS proxy, and still no other", async () => {
    const json = { "content-type": "application/json" };
    const body = (name: string) => JSON.stringify({ username: name, password: "correct horse" });
    const proxied = await post(behindProxy.url, "/api/v1/auth/register", body("proxied_user"), {
      ...json,
      origin: "https://chat.example.com",
    });
    expect(proxied.status).toBe(201);
    const { token } = (await proxied.json()) as AuthReply;
    const ticket = await ticketOf(behindProxy.url, token);
    const evil = { origin: "https://evil.example" };
    expect(await upgrade(behindProxy, withTicket(ticket), evil)).toEqual({ httpStatus: 403 });
    expect(
      (await upgrade(behindProxy, withTicket(ticket), { origin: "https://chat.example.com" })).session,
    ).toBeDefined();
    expect((await post(behindProxy.url, "/api/v1/auth/register", body("evil_user"), { ...json, ...evil })).status).toBe(
      403,
    );
    expect(() => makeConfig({ publicUrl: "javascript:alert(1)" })).toThrow(/publicUrl/);
  });
});

describe("the data folder", () => {
  /** Every entry under `folder` (itself included) with its permission bits. */
  function modes(folder: string): Map<string, number> {
    const found = new Map<string, number>([[folder, statSync(folder).mode & 0o777]]);
    for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
      const path = join(entry.parentPath, entry.name);
      found.set(path, statSync(path).mode & 0o777);
    }
    return found;
  }

  it("is created 0700 with every file 0600, with the tower, the canaries and the status files in it", async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), "haetae-modes-")), "fresh", "data");
    const app = await startApp(makeConfig({ ...TEST_DEFAULTS, port: 0, data: dataDir, probeIntervalMs: 100 }));
    try {
      await registerUser(app.url, "modes"); // a write, so the WAL exists
      await expect.poll(() => readdirSync(dataDir).includes(CANARY_FILE), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => readdirSync(join(dataDir, "status")).length, { timeout: 10_000 }).toBeGreaterThan(0);
      const found = modes(dataDir);
      const names = [...found.keys()].map((path) => path.slice(dataDir.length + 1));
      for (const expected of [
        "haetae.db",
        "haetae.db-wal",
        "haetae.db-shm",
        "haetae-search.db",
        "ops.sqlite",
        "subscribers.sqlite",
        CANARY_FILE,
        "status",
      ]) {
        expect(names).toContain(expected);
      }
      for (const [path, mode] of found) {
        const isFolder = statSync(path).isDirectory();
        expect(mode.toString(8), path).toBe(isFolder ? "700" : "600");
      }
    } finally {
      await app.stop();
    }
  });

  it("tightens a data folder left open to other users, and says so", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "haetae-loose-"));
    const { chmodSync } = await import("node:fs");
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "left-behind.json"), "{}", { mode: 0o644 });
    mkdirSync(join(dataDir, "status"), { mode: 0o755 });
    const warn = vi.spyOn(console, "warn");
    const app = await startApp(makeConfig({ ...TEST_DEFAULTS, port: 0, data: dataDir }));
    try {
      expect(warn.mock.calls.some(([line]) => String(line).includes("tightened"))).toBe(true);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "status")).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "left-behind.json")).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, "haetae.db")).mode & 0o777).toBe(0o600);
    } finally {
      warn.mockRestore();
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
