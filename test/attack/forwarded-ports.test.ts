/**
 * Attack: one client behind a proxy that writes its hops as `address:port` (as some cloud load
 * balancers do) locks every other client of that proxy out. Such an entry did not parse as an
 * address, so the walk through X-Forwarded-For stopped at the proxy and every client was counted
 * as the proxy's own address: one attacker's failed logins spent everyone's bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, startTestServer, type TestServer } from "../harness.js";

const PASSWORD = "plum violin harbor lantern";
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ trustedProxies: "127.0.0.1", loginsPerMinutePerIp: 5 });
});
afterAll(() => server.stop());

async function login(username: string, password: string, forwardedFor: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
    body: JSON.stringify({ username, password }),
  });
  await res.body?.cancel();
  return res.status;
}

describe("X-Forwarded-For entries with ports", () => {
  it("count each client by its own address", async () => {
    const victim = `fwdport_${process.pid % 10000}`;
    await postJson(server.url, "/api/v1/auth/register", { username: victim, password: PASSWORD }, 201);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await login(`nobody${i}`, "guess", `203.0.113.66:${40000 + i}`));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(await login(victim, PASSWORD, "198.51.100.7:51000")).toBe(200);
    expect(await login(victim, PASSWORD, "[2001:db8::7]:51000")).toBe(200);
    // The port does not make a new client: the attacker's other ports share its bucket.
    expect(await login("nobody", "guess", "203.0.113.66:1")).toBe(429);
  });
});
