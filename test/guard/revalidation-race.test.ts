/** @module Sessions re-checked against the store: one opened while a check is under way is not ended by it. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  // A heartbeat every 100 ms re-checks every session's device; the store below answers in 300 ms.
  server = await startTestServer({ heartbeatMs: 100 });
});
afterAll(() => server?.stop());

it("a session that opens while the store is slow to re-check devices stays open (no 4501)", async () => {
  const store = server.app.ctx.store;
  const check = store.activeDeviceIds.bind(store);
  // A busy PostgreSQL during a reconnect storm: the check of active devices takes a while.
  (store as { activeDeviceIds: typeof check }).activeDeviceIds = async (ids, now) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return check(ids, now);
  };
  const first = await registerUser(server.url, "reval");
  const second = await registerUser(server.url, "reval");
  const a = await RawClient.connect(server.wsUrl, first.token);
  await new Promise((resolve) => setTimeout(resolve, 150)); // a check of [a's device] is in flight
  const b = await RawClient.connect(server.wsUrl, second.token);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // several checks end meanwhile
  expect(b.closeCode).toBeUndefined();
  expect(a.closeCode).toBeUndefined();
  await b.ok("ping");
  await Promise.all([a.close(), b.close()]);
});
