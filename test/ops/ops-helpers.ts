/** @module Shared steps of the ops API tests: a node with a tower, staff and plain users, and JSON calls. */
import type { Incident } from "../../src/ops/tower/model.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, startTestServer, type TestServer } from "../harness.js";

export const ALERT_TOKEN = "test-alert-token-0123456789";

/** A node with the tower on, fast ticks, and three users: an admin (by config), a staff member and a plain user. */
export interface OpsNode {
  server: TestServer;
  admin: AuthReply;
  staff: AuthReply;
  plain: AuthReply;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; raw?: string },
  ): Promise<{ status: number; json: T }>;
}

let counter = 0;

export async function opsNode(overrides: Record<string, unknown> = {}): Promise<OpsNode> {
  counter += 1;
  const suffix = `${counter}_${process.pid % 10000}`;
  const server = await startTestServer({
    adminUsernames: `chief_${suffix}`,
    alertToken: ALERT_TOKEN,
    towerTickMs: 50,
    resolveQuietMs: 300,
    ...overrides,
  });
  const reg = (username: string) =>
    postJson<AuthReply>(server.url, "/api/v1/auth/register", { username, password: "correct horse" }, 201);
  const admin = await reg(`chief_${suffix}`);
  const staff = await reg(`oncall_${suffix}`);
  const plain = await reg(`someone_${suffix}`);
  await server.app.ctx.store.setRole(staff.user.username, "staff");
  const call: OpsNode["call"] = async (method, path, options = {}) => {
    const token = options.token === undefined ? staff.token : options.token;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await fetch(`${server.url}/api/v1/ops${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as never };
  };
  return { server, admin, staff, plain, call };
}

/** Declare an incident as the staff member and return it. */
export async function declare(node: OpsNode, body: Record<string, unknown>): Promise<Incident> {
  const { status, json } = await node.call<{ incident: Incident }>("POST", "/incidents", { body });
  if (status !== 201) throw new Error(`declare: ${status} ${JSON.stringify(json)}`);
  return json.incident;
}

/** Poll until `check` passes or `timeoutMs` runs out (for the tower's tick). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
