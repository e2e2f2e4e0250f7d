/** @module Roles: `adminUsernames` makes admins (members of the staff conversation) at registration and at start, `haetae role` sets roles, the owner sees its role. */
import { afterEach, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { runCli } from "../child-server.js";
import { loginDevice, postJson, startTestServer, TEST_DEFAULTS, type TestServer } from "../harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

function register(url: string, username: string): Promise<AuthReply> {
  return postJson<AuthReply>(url, "/api/v1/auth/register", { username, password: "correct horse" }, 201);
}

it("gives the admin role to configured usernames at registration, and shows each owner its role", async () => {
  const server = await startTestServer({ adminUsernames: " Chief_a , other" });
  servers.push(server);
  const chief = await register(server.url, "chief_a");
  const plain = await register(server.url, "plain_a");
  expect(chief.user.role).toBe("admin");
  expect(plain.user.role).toBe("user");
  expect((await loginDevice(server.url, "chief_a")).user.role).toBe("admin");
  expect(await server.app.ctx.store.getRole(plain.user.id)).toBe("user");
});

it("promotes configured usernames that already exist when the node starts", async () => {
  const server = await startTestServer();
  servers.push(server);
  const later = await register(server.url, "later_admin");
  expect(later.user.role).toBe("user");
  await server.app.stop();
  const again = await startApp(
    makeConfig({ port: 0, data: server.dataDir, ...TEST_DEFAULTS, adminUsernames: "later_admin" }),
  );
  try {
    expect(await again.ctx.store.getRole(later.user.id)).toBe("admin");
    // …and so a member of the staff conversation, which the server reconciles with the roles.
    const staffChat = again.propagation.propagation.staffChat;
    const { conversationId } = (await staffChat?.ensureTarget()) ?? { conversationId: "" };
    expect(await again.ctx.store.getMember(conversationId, later.user.id)).not.toBeNull();
  } finally {
    await again.stop();
  }
});

it("`haetae role <username> <role>` sets a role in the store serve uses, and refuses bad input", async () => {
  const server = await startTestServer();
  servers.push(server);
  const worker = await register(server.url, "oncall_worker");
  // runCli is asynchronous, so the node in this process keeps serving (and finishing its own
  // write transactions, which the command would otherwise wait on) while the command runs.
  const run = (args: string[]) => runCli(["role", ...args]);
  const ok = await run(["oncall_worker", "staff", "--data", server.dataDir]);
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stdout).toMatch(/oncall_worker is now staff/);
  expect(await server.app.ctx.store.getRole(worker.user.id)).toBe("staff");
  expect((await loginDevice(server.url, "oncall_worker")).user.role).toBe("staff");
  expect((await run(["nobody_here", "staff", "--data", server.dataDir])).status).toBe(1);
  expect((await run(["oncall_worker", "emperor", "--data", server.dataDir])).status).toBe(2);
}, 60_000);
