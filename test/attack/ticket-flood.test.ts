/**
 * Attack: one signed-in device asks for WebSocket tickets as fast as it can. Every ticket is a
 * write to the store, in the same write lane as everyone's messages, and nothing limited them:
 * one token could put thousands of writes a second ahead of other users' sends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function ticket(token: string): Promise<{ status: number; code?: string; retryAfterMs?: number }> {
  const res = await fetch(`${server.url}/api/v1/auth/ws-ticket`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { error?: { code: string; retryAfterMs?: number } };
  return { status: res.status, code: body.error?.code, retryAfterMs: body.error?.retryAfterMs };
}

describe("WebSocket tickets asked for in a flood", () => {
  it("are limited per device, with a retry time, and do not limit another device", async () => {
    const flooder = await registerUser(server.url, "tflood");
    const other = await registerUser(server.url, "tother");
    const answers = await Promise.all(Array.from({ length: 200 }, () => ticket(flooder.token)));
    const issued = answers.filter((a) => a.status === 200).length;
    const refused = answers.filter((a) => a.code === "rate_limited");
    expect(issued).toBeLessThanOrEqual(25); // the burst, and what refilled while the flood ran
    expect(issued).toBeGreaterThanOrEqual(5); // a reconnecting client still gets its tickets
    expect(refused.length).toBe(200 - issued);
    for (const r of refused) expect(r.retryAfterMs).toBeGreaterThan(0);
    expect((await ticket(other.token)).status).toBe(200);
  });
});
