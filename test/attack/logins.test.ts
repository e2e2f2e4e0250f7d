/** @module Attack: login guessing and lockouts — one address behind a proxy locking out everyone, forged X-Forwarded-For, one account guessed from many addresses, and the owner locked out by it. */

import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, startTestServer, type TestServer } from "../harness.js";

const PASSWORD = "plum violin harbor lantern";
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(overrides: Record<string, unknown>): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 10000}`;

async function registerAs(s: TestServer, username: string): Promise<AuthReply> {
  return postJson<AuthReply>(s.url, "/api/v1/auth/register", { username, password: PASSWORD }, 201);
}

/** A login attempt as a client behind the proxy (`forwardedFor` as the proxy writes it). */
async function attempt(
  s: TestServer,
  body: { username: string; password: string; deviceKey?: string },
  forwardedFor?: string,
): Promise<{ status: number; code?: string; retryAfterMs?: number; reply?: AuthReply }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (forwardedFor !== undefined) headers["x-forwarded-for"] = forwardedFor;
  const res = await fetch(`${s.url}/api/v1/auth/login`, { method: "POST", headers, body: JSON.stringify(body) });
  const json = (await res.json()) as { error?: { code: string; retryAfterMs?: number } } & AuthReply;
  if (res.ok) return { status: res.status, reply: json };
  return { status: res.status, code: json.error?.code, retryAfterMs: json.error?.retryAfterMs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("per-address limits behind a trusted proxy", () => {
  it("one attacker's address cannot lock out the other clients of the same proxy", async () => {
    // The test's connections come from 127.0.0.1: that is the proxy, and X-Forwarded-For names the client.
    const s = await server({ trustedProxies: "127.0.0.1", loginsPerMinutePerIp: 5 });
    const victim = name("victim");
    await postJson(s.url, "/api/v1/auth/register", { username: victim, password: PASSWORD }, 201);
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      codes.push((await attempt(s, { username: name("nobody"), password: "guess" }, "203.0.113.66")).code);
    }
    expect(codes.filter((c) => c === "rate_limited").length).toBeGreaterThanOrEqual(6);
    // Before, every client of the proxy shared the attacker's bucket (the proxy's address).
    const owner = await attempt(s, { username: victim, password: PASSWORD }, "198.51.100.7");
    expect(owner.status).toBe(200);
    // A client cannot step out of its bucket by writing its own entries left of the proxy's.
    const spoofed = await attempt(s, { username: name("nobody"), password: "guess" }, "192.0.2.1, 203.0.113.66");
    expect(spoofed.code).toBe("rate_limited");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    const s = await server({ loginsPerMinutePerIp: 5 }); // trustedProxies is empty by default
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      // A fresh forged address each time: believed, it would give the attacker a fresh bucket each time.
      codes.push((await attempt(s, { username: name("nobody"), password: "guess" }, `192.0.2.${i + 1}`)).code);
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("invalid_credentials"));
    expect(codes.slice(5)).toEqual(Array(5).fill("rate_limited"));
  });

  it("keys the WebSocket gateway's per-address limits by the same client address", async () => {
    const s = await server({ trustedProxies: "127.0.0.0/8", ipConnectionsPerSecond: 1, ipConnectionBurst: 2 });
    const user = await registerAs(s, name("ws"));
    const open = (forwardedFor: string) =>
      new Promise<{ type: string; code?: string }>((resolve, reject) => {
        const ws = new WebSocket(s.wsUrl, {
          headers: { authorization: `Bearer ${user.token}`, "x-forwarded-for": forwardedFor },
        });
        ws.once("message", (data) => {
          resolve(JSON.parse(data.toString()) as { type: string; code?: string });
          ws.close();
        });
        ws.once("error", reject);
      });
    const attacker = [];
    for (let i = 0; i < 3; i++) attacker.push(await open("203.0.113.66"));
    expect(attacker.map((f) => f.code ?? f.type)).toEqual(["session", "session", "rate_limited"]);
    expect((await open("198.51.100.7")).type).toBe("session");
  });
});

describe("per-account backoff", () => {
  it("slows guessing one account from many addresses, in bursts too, and the same for unknown names", async () => {
    const s = await server({
      trustedProxies: "127.0.0.1",
      loginFailuresPerAccount: 3,
      loginBackoffBaseMs: 2000,
      loginBackoffMaxMs: 60_000,
    });
    const victim = name("victim");
    await registerAs(s, victim);
    // An unknown name first: it is answered exactly like a real one, so the wait reveals no account.
    for (const username of [name("ghost"), victim]) {
      // Twenty guesses at once, each from its own address: the per-address limit never sees a second one.
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) => attempt(s, { username, password: `guess ${i}` }, `203.0.113.${i + 1}`)),
      );
      expect(burst.filter((r) => r.code === "invalid_credentials")).toHaveLength(3);
      const refused = burst.filter((r) => r.code === "rate_limited");
      expect(refused).toHaveLength(17);
      expect(refused.every((r) => r.status === 429 && (r.retryAfterMs ?? 0) > 0 && (r.retryAfterMs ?? 0) <= 2000)).toBe(
        true,
      );
    }
    // While the account waits, even the right password from an unknown device is not checked.
    expect((await attempt(s, { username: victim, password: PASSWORD }, "198.51.100.7")).code).toBe("rate_limited");
    // After the wait one more guess, and the next wait is twice as long.
    await sleep(2050);
    expect((await attempt(s, { username: victim, password: "guess again" }, "203.0.113.99")).code).toBe(
      "invalid_credentials",
    );
    const next = await attempt(s, { username: victim, password: "and again" }, "203.0.113.100");
    expect(next.code).toBe("rate_limited");
    expect(next.retryAfterMs).toBeGreaterThan(2000);
    expect(next.retryAfterMs).toBeLessThanOrEqual(4000);
  });

  it("lets the owner in from a device that logged in before, while the account waits", async () => {
    const s = await server({
      trustedProxies: "127.0.0.1",
      loginFailuresPerAccount: 3,
      loginFailuresPerKey: 2,
      loginBackoffBaseMs: 60_000,
    });
    const victim = name("victim");
    const first = await registerAs(s, victim);
    expect(first.deviceKey).toMatch(/^hk_/);
    const intruder = await registerAs(s, name("intruder"));
    for (let i = 0; i < 6; i++) await attempt(s, { username: victim, password: `guess ${i}` }, `203.0.113.${i + 1}`);
    expect((await attempt(s, { username: victim, password: PASSWORD }, "198.51.100.7")).code).toBe("rate_limited");
    // The owner's device presents its key: not subject to the account's wait.
    const owner = await attempt(
      s,
      { username: victim, password: PASSWORD, deviceKey: first.deviceKey },
      "198.51.100.7",
    );
    expect(owner.status).toBe(200);
    const rotated = owner.reply?.deviceKey as string;
    expect(rotated).toMatch(/^hk_/);
    expect(rotated).not.toBe(first.deviceKey);
    // The old key was replaced by the new one; another account's key does not count for this one.
    expect((await attempt(s, { username: victim, password: PASSWORD, deviceKey: first.deviceKey })).code).toBe(
      "rate_limited",
    );
    expect((await attempt(s, { username: victim, password: PASSWORD, deviceKey: intruder.deviceKey })).code).toBe(
      "rate_limited",
    );
    // A stolen key buys only its own few guesses, then counts for nothing.
    for (let i = 0; i < 2; i++) {
      expect((await attempt(s, { username: victim, password: `stolen ${i}`, deviceKey: rotated })).code).toBe(
        "invalid_credentials",
      );
    }
    expect((await attempt(s, { username: victim, password: PASSWORD, deviceKey: rotated })).code).toBe("rate_limited");
  });
});
