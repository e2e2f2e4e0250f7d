/**
 * Attack: pose as the server's own status account. Its display name, "Haetae status", is the
 * name on every incident notice in the staff conversation, but only staff members' names were
 * reserved: anyone could register as "Haetae status" (or "Наеtае Ѕtatus" in Cyrillic) and open a
 * direct chat with a staff member that looks like the server talking.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffChat } from "../../src/ops/propagation/staff-chat.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await (server.app.propagation.propagation.staffChat as StaffChat).ensureTarget();
});
afterAll(() => server.stop());

async function register(displayName: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: `sn${Math.random().toString(36).slice(2, 10)}`,
      password: "plum violin harbor lantern",
      displayName,
    }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

describe("the status account's name", () => {
  it("cannot be taken or imitated by a user", async () => {
    for (const name of ["Haetae status", "HAETAE STATUS", "Наеtае Ѕtatus", "haetae_status"]) {
      expect({ name, ...(await register(name)) }).toMatchObject({ name, status: 409, code: "display_name_reserved" });
    }
    expect((await register("Haetae fan")).status).toBe(201);
  });
});
