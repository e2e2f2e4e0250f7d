/**
 * Attack: a stolen laptop keeps its device key after its owner revokes the device. The key still
 * exempts the thief's password guesses from the account's failed-login wait, which is meant for
 * the owner's trusted devices only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";

const PASSWORD = "plum violin harbor lantern";
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    trustedProxies: "127.0.0.1",
    loginFailuresPerAccount: 3,
    loginFailuresPerKey: 3,
    loginBackoffBaseMs: 60_000,
  });
});
afterAll(() => server.stop());

async function login(body: Record<string, string>, forwardedFor: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(json.error ? { code: json.error.code } : {}) };
}

describe("the device key of a revoked device", () => {
  it("no longer lets logins past the account's wait", async () => {
    const username = `revkey_${process.pid % 10000}`;
    const owner = await postJson<AuthReply>(server.url, "/api/v1/auth/register", { username, password: PASSWORD }, 201);
    const laptop = await postJson<AuthReply>(server.url, "/api/v1/auth/login", { username, password: PASSWORD }, 200);
    // The laptop is stolen: the owner revokes it from their first device.
    const client = await RawClient.connect(server.wsUrl, owner.token);
    await client.ok("device.revoke", { deviceId: laptop.deviceId });
    await client.close();
    // The account is made to wait by guesses from elsewhere.
    for (let i = 0; i < 4; i++) await login({ username, password: `guess ${i}` }, `203.0.113.${i + 1}`);
    expect((await login({ username, password: "another guess" }, "198.51.100.9")).code).toBe("rate_limited");
    // The thief presents the revoked laptop's key: it is no key any more, so the wait holds.
    const thief = await login(
      { username, password: "thief guess", deviceKey: laptop.deviceKey as string },
      "192.0.2.5",
    );
    expect(thief.code).toBe("rate_limited");
    // The owner's own, unrevoked device still gets in.
    const back = await login({ username, password: PASSWORD, deviceKey: owner.deviceKey as string }, "198.51.100.9");
    expect(back.status).toBe(200);
  });
});
