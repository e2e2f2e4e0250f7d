/**
 * Attack: a staff member (or whoever stole a staff token) starts a password reset of the status
 * account, redeems the code and signs in as "Haetae status": the owner of the staff
 * conversation, able to post what looks like the server's own incident notices there, and to
 * message any user under that name. The same reset on a probe canary breaks the login probe.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffChat } from "../../src/ops/propagation/staff-chat.js";
import { STATUS_USERNAME } from "../../src/ops/propagation/staff-chat.js";
import { type OpsNode, opsNode } from "../ops/ops-helpers.js";

let node: OpsNode;
beforeAll(async () => {
  node = await opsNode();
});
afterAll(() => node.server.stop());

describe("a password reset of a system account", () => {
  it("is answered as for a user that does not exist, and leaves the account without a password", async () => {
    const staffChat = node.server.app.propagation.propagation.staffChat as StaffChat;
    await staffChat.ensureTarget();
    const reset = (username: string, token: string) =>
      node.call<{ code?: string; error?: { code: string } }>(
        "POST",
        `/users/${encodeURIComponent(username)}/password-reset`,
        { token },
      );
    for (const token of [node.staff.token, node.admin.token]) {
      const answer = await reset(STATUS_USERNAME, token);
      expect(answer.status).toBe(404);
      expect(answer.json.error?.code).toBe("user_not_found");
      expect(answer.json.code).toBeUndefined();
    }
    // Nothing to redeem: a guessed code does not sign anyone in as the status account.
    const res = await fetch(`${node.server.url}/api/v1/auth/password/reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        username: STATUS_USERNAME,
        code: "AAAAA-AAAAA-AAAAA-AAAAA",
        newPassword: "plum violin harbor lantern",
      }),
    });
    expect(res.status).toBe(401);
  });
});
