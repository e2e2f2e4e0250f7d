/** @module One answer per failure, the same on HTTP and WebSocket: a store outage is `unavailable`, never `internal`. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient, registerUser, startTestServer, type TestServer } from "../../test/harness.js";
import { HaetaeError } from "../protocol/index.js";
import { StoreInvalidValueError, StoreUnavailableError } from "../store/store-errors.js";
import { errorAnswer } from "./wire-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

it("maps each kind of failure to one catalogue answer", () => {
  const own = new HaetaeError("blocked");
  expect(errorAnswer(own)).toEqual({ error: own, unexpected: false });
  const outage = errorAnswer(new StoreUnavailableError("connection refused")).error;
  expect([outage.code, outage.status, outage.retryAfterMs]).toEqual(["unavailable", 503, 1000]);
  expect(errorAnswer(new StoreInvalidValueError("out of range")).error.code).toBe("invalid_request");
  const bug = errorAnswer(new TypeError("x is undefined"));
  expect([bug.error.code, bug.unexpected]).toEqual(["internal", true]);
  expect(errorAnswer(null).error.code).toBe("internal");
});

it("answers a login and a WebSocket request alike while the store cannot be reached: 503 unavailable", async () => {
  const me = await registerUser(server.url, "outage");
  const client = await RawClient.connect(server.wsUrl, me.token);
  const store = server.app.ctx.store;
  const { getUserByUsername, listContacts } = store;
  // The store's reads fail as a PostgreSQL outage makes them fail (the driver's StoreUnavailableError).
  store.getUserByUsername = () => Promise.reject(new StoreUnavailableError("connect ECONNREFUSED"));
  store.listContacts = () => Promise.reject(new StoreUnavailableError("connect ECONNREFUSED"));
  try {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: me.user.username, password: "correct horse" }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual({
      error: { code: "unavailable", message: expect.any(String), retryAfterMs: 1000 },
    });
    const reply = await client.request("contact.list", {});
    expect(reply).toMatchObject({ type: "error", code: "unavailable", retryAfterMs: 1000 });
  } finally {
    store.getUserByUsername = getUserByUsername;
    store.listContacts = listContacts;
    await client.close();
  }
});
