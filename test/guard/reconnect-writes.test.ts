/** @module A reconnect storm's write load: reconnects of recently seen devices write nothing to the store. */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Device } from "../../src/protocol/index.js";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

it("a device seen within the last minute reconnects without its lastSeenAt being written again", async () => {
  const auth = await registerUser(server.url, "seen");
  const lastSeen = async (client: RawClient) =>
    (await client.ok<{ devices: Device[] }>("device.list")).devices.find((d) => d.id === auth.deviceId)?.lastSeenAt;
  const first = await RawClient.connect(server.wsUrl, auth.token);
  const atFirst = await lastSeen(first);
  expect(atFirst).toEqual(expect.any(String));
  await first.close();
  // Reconnect after a moment, as every client does after an outage: the store sees no write.
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await RawClient.connect(server.wsUrl, auth.token);
    expect(await lastSeen(again)).toBe(atFirst);
    await again.close();
  }
});

it("a device last seen over a minute ago is written as seen within a second of connecting, in the store's next flush", async () => {
  const auth = await registerUser(server.url, "stale");
  const long = new Date(Date.now() - 5 * 60_000).toISOString();
  await server.app.ctx.store.touchDevices([auth.deviceId], long);
  const connectedAt = Date.now();
  const client = await RawClient.connect(server.wsUrl, auth.token);
  const lastSeen = async () =>
    (await client.ok<{ devices: Device[] }>("device.list")).devices.find((d) => d.id === auth.deviceId)?.lastSeenAt;
  let seen = await lastSeen();
  const deadline = Date.now() + 3000;
  while (seen === long && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    seen = await lastSeen();
  }
  expect(Date.parse(seen ?? "")).toBeGreaterThanOrEqual(connectedAt - 1000);
  await client.close();
});
