/** @module Attack: weak passwords, sessions that outlive a password change, and password resets by the wrong people. */
import { afterEach, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { type OpsNode, opsNode } from "../ops/ops-helpers.js";

const PASSWORD = "plum violin harbor lantern";
const NEW_PASSWORD = "saffron kettle marble orchard";
const REVOKED = 4501;

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 10000}`;

async function post(
  s: TestServer,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${s.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

const login = (s: TestServer, username: string, password: string) =>
  post(s, "/api/v1/auth/login", { username, password });

describe("password strength (the default passwordMinScore)", () => {
  it("refuses common, breached and personal passwords with zxcvbn's reason", async () => {
    const s = await startTestServer();
    servers.push(s);
    for (const password of [
      "password123",
      "qwerty123456",
      "iloveyou2024",
      "P@ssw0rd2024",
      "aaaaaaaaaaaa",
      "dragon1234",
    ]) {
      const { status, json } = await post(s, "/api/v1/auth/register", { username: name("weak"), password });
      expect({ password, status, code: json.error?.code }).toEqual({ password, status: 400, code: "weak_password" });
      expect(json.error?.message).toMatch(/too easy to guess\. \S/);
    }
    // The user's own name is among the first things an attacker tries.
    const username = name("minseo_park");
    const own = await post(s, "/api/v1/auth/register", {
      username,
      password: `${username}!!`,
      displayName: "Minseo Park",
    });
    expect(own.json.error?.code).toBe("weak_password");
    const short = await post(s, "/api/v1/auth/register", { username: name("short"), password: "x7#Qp2" });
    expect(short.json.error?.message).toMatch(/8 to 1024 characters/);
  });

  it("accepts a long passphrase, and scores only its start so a huge one stays cheap", async () => {
    const s = await startTestServer();
    servers.push(s);
    const words = "amber quietly folds seven paper cranes beside the harbor window at dusk ";
    const passphrase = words.repeat(3).slice(0, 200);
    const username = name("poet");
    await postJson(s.app.url, "/api/v1/auth/register", { username, password: passphrase }, 201);
    expect((await login(s, username, passphrase)).status).toBe(200);
    expect((await login(s, username, passphrase.slice(0, 199))).status).toBe(401);
    const longest = `${passphrase}${"x".repeat(1024 - passphrase.length)}`;
    const started = performance.now();
    expect((await post(s, "/api/v1/auth/register", { username: name("long"), password: longest })).status).toBe(201);
    expect(performance.now() - started).toBeLessThan(10_000);
    const tooLong = await post(s, "/api/v1/auth/register", { username: name("long"), password: `${longest}x` });
    expect(tooLong.status).toBe(400);
  });
});

describe("password change", () => {
  it("ends every other session of the user, closing their sockets as revoked, and keeps this one", async () => {
    const s = await startTestServer({ loginFailuresPerAccount: 2, loginBackoffBaseMs: 60_000 });
    servers.push(s);
    const username = name("owner");
    const here = await postJson<AuthReply>(s.url, "/api/v1/auth/register", { username, password: PASSWORD }, 201);
    const thief = await postJson<AuthReply>(s.url, "/api/v1/auth/login", { username, password: PASSWORD }, 200);
    const laptop = await postJson<AuthReply>(s.url, "/api/v1/auth/login", { username, password: PASSWORD }, 200);
    const other = await postJson<AuthReply>(
      s.url,
      "/api/v1/auth/register",
      { username: name("other"), password: PASSWORD },
      201,
    );
    const connect = (r: AuthReply) => RawClient.connect(s.wsUrl, r.token);
    const [hereWs, thiefWs, laptopWs, otherWs] = await Promise.all([
      connect(here),
      connect(thief),
      connect(laptop),
      connect(other),
    ]);

    // Refusals change nothing: a wrong current password, a weak new one.
    const change = (body: unknown, token = here.token) => post(s, "/api/v1/auth/password", body, token);
    expect((await change({ currentPassword: "not it at all", newPassword: NEW_PASSWORD })).json.error?.code).toBe(
      "invalid_credentials",
    );
    expect((await change({ currentPassword: PASSWORD, newPassword: "password1" })).json.error?.code).toBe(
      "weak_password",
    );
    expect((await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, "ht_forged")).status).toBe(401);
    expect(thiefWs.closeCode).toBeUndefined();

    const done = await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(done).toEqual({ status: 200, json: { revokedDevices: 2 } });
    await thiefWs.until(() => thiefWs.closeCode !== undefined);
    await laptopWs.until(() => laptopWs.closeCode !== undefined);
    expect([thiefWs.closeCode, laptopWs.closeCode]).toEqual([REVOKED, REVOKED]);
    // This device and other users are untouched.
    expect((await hereWs.ok("conversation.list")).type).toBe("ok");
    expect((await otherWs.ok("conversation.list")).type).toBe("ok");
    expect((await post(s, "/api/v1/auth/logout", {}, thief.token)).status).toBe(401);
    await expect(RawClient.connect(s.wsUrl, thief.token)).rejects.toThrow(/4500/);
    expect((await login(s, username, PASSWORD)).status).toBe(401);
    expect((await login(s, username, NEW_PASSWORD)).status).toBe(200);
    // Device keys go with the devices: once the account waits, only this device's key still gets in.
    for (let i = 0; i < 2; i++) expect((await login(s, username, `guess ${i}`)).status).toBe(401);
    const withKey = (deviceKey: string) =>
      post(s, "/api/v1/auth/login", { username, password: NEW_PASSWORD, deviceKey });
    expect((await withKey(thief.deviceKey)).json.error?.code).toBe("rate_limited");
    expect((await withKey(here.deviceKey)).status).toBe(200);
    await Promise.all([hereWs.close(), otherWs.close()]);
  });
});

describe("staff-initiated password reset", () => {
  let node: OpsNode;
  afterEach(async () => {
    await node.server.stop();
  });

  it("gives staff a one-time code that ends the user's sessions; nobody else can start one", async () => {
    node = await opsNode();
    const s = node.server;
    const reset = (username: string, token: string | null) =>
      node.call<{ code: string; expiresAt: string; error?: { code: string } }>(
        "POST",
        `/users/${encodeURIComponent(username)}/password-reset`,
        { token },
      );
    const victim = node.plain;
    // A plain user cannot reset anyone (not even themselves this way), nor can the unauthenticated.
    expect((await reset(node.staff.user.username, victim.token)).status).toBe(403);
    expect((await reset(victim.user.username, victim.token)).status).toBe(403);
    expect((await reset(victim.user.username, null)).status).toBe(401);
    // Staff cannot reset an admin (they would redeem the code themselves and be admin).
    expect((await reset(node.admin.user.username, node.staff.token)).status).toBe(403);
    expect((await reset("no_such_user_here", node.staff.token)).status).toBe(404);

    const socket = await RawClient.connect(s.wsUrl, victim.token);
    const started = await reset(victim.user.username, node.staff.token);
    expect(started.status).toBe(201);
    const { code } = started.json;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    await socket.until(() => socket.closeCode !== undefined);
    expect(socket.closeCode).toBe(REVOKED);
    // The old password stopped working at once.
    expect((await login(s, victim.user.username, "correct horse")).status).toBe(401);

    const redeem = (body: Record<string, unknown>) =>
      post(s, "/api/v1/auth/password/reset", { username: victim.user.username, ...body });
    expect((await redeem({ code: "AAAAA-BBBBB-CCCCC-DDDDD", newPassword: NEW_PASSWORD })).status).toBe(401);
    expect((await redeem({ code, newPassword: "password1" })).json.error?.code).toBe("weak_password");
    // Typed by hand: lower case, without the dashes.
    const redeemed = await redeem({ code: code.toLowerCase().replaceAll("-", ""), newPassword: NEW_PASSWORD });
    expect(redeemed.status).toBe(200);
    expect(redeemed.json.token).toMatch(/^ht_/);
    expect((await redeem({ code, newPassword: "another long passphrase here" })).status).toBe(401);
    expect((await login(s, victim.user.username, NEW_PASSWORD)).status).toBe(200);
    // Another user's code is not this user's.
    const other = await reset(node.staff.user.username, node.admin.token);
    expect(other.status).toBe(201); // an admin may reset staff
    expect((await redeem({ code: other.json.code, newPassword: NEW_PASSWORD })).status).toBe(401);
  });
});
