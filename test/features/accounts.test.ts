/**
 * Accounts and devices over the real HTTP API and WebSocket: register, login, one device per
 * login, revoking a device (its socket closes with 4501, its token stops opening sockets),
 * logout over WS and HTTP, and expired or garbage tokens refused at the upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AuthReply, Device } from "../../src/protocol/index.js";
import { loginDevice, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { closeAll, expectError } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** A register, login or logout reply, or an error body. */
type Body = Partial<AuthReply> & { error?: { code: string; message: string } };

async function post(path: string, body: unknown, token?: string): Promise<{ status: number; json: Body }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Body };
}

const register = (username: string, password = "correct horse", displayName?: string) =>
  post("/api/v1/auth/register", { username, password, ...(displayName !== undefined ? { displayName } : {}) });
const login = (username: string, password = "correct horse") => post("/api/v1/auth/login", { username, password });

/** Try to open a socket; resolves with the refusal status, or "open" (and closes it). */
async function upgradeStatus(token: string): Promise<number | "open"> {
  try {
    const client = await RawClient.connect(server.wsUrl, token);
    await client.close();
    return "open";
  } catch (error) {
    const match = /session refused: (\d+)/.exec((error as Error).message);
    if (!match) throw error;
    return Number(match[1]);
  }
}

describe("register", () => {
  it("creates the account with a Korean display name and returns 201 with a working token", async () => {
    const { status, json } = await register("hong_gildong", "correct horse", "홍길동");
    expect(status).toBe(201);
    expect(json.user).toMatchObject({ username: "hong_gildong", displayName: "홍길동" });
    expect(typeof json.user?.id).toBe("string");
    expect(json.token).toMatch(/\S{20,}/);
    expect(typeof json.deviceId).toBe("string");
    const client = await RawClient.connect(server.wsUrl, json.token ?? "");
    const found = await client.ok<{ user: { id: string; displayName: string } }>("user.find", {
      username: "hong_gildong",
    });
    expect(found.user).toMatchObject({ id: json.user?.id, displayName: "홍길동" });
    await client.close();
  });

  it.each([
    ["too short", "ab"],
    ["bad charset (Hangul)", "김민수"],
    ["bad charset (space)", "kim minsu"],
    ["bad charset (dash)", "kim-minsu"],
    ["leading dot", ".kim"],
    ["too long", "x".repeat(33)],
    ["reserved all", "all"],
    ["reserved all, upper case", "ALL"],
    ["reserved everyone", "everyone"],
  ])("refuses an invalid username (%s) with invalid_username", async (_why, username) => {
    const { status, json } = await register(username);
    expect(status).toBe(400);
    expect(json.error?.code).toBe("invalid_username");
  });

  it("refuses a short password with weak_password", async () => {
    const { status, json } = await register("short_pw_user", "1234567");
    expect(status).toBe(400);
    expect(json.error?.code).toBe("weak_password");
    // Nothing was created: the name is still free.
    expect((await register("short_pw_user")).status).toBe(201);
  });

  it("refuses a taken username with username_taken, case-insensitively", async () => {
    expect((await register("dup_user")).status).toBe(201);
    const again = await register("dup_user");
    expect(again.status).toBe(409);
    expect(again.json.error?.code).toBe("username_taken");
    const upper = await register("DUP_User");
    expect(upper.status).toBe(409);
    expect(upper.json.error?.code).toBe("username_taken");
  });
});

describe("login", () => {
  it("logs in with 200 and a new token for the same user", async () => {
    const first = await register("login_ok");
    const { status, json } = await login("LOGIN_OK");
    expect(status).toBe(200);
    expect(json.user?.id).toBe(first.json.user?.id);
    expect(json.token).not.toBe(first.json.token);
    expect(json.deviceId).not.toBe(first.json.deviceId);
  });

  it("answers a wrong password and an unknown user alike: 401 invalid_credentials", async () => {
    await register("login_wrong");
    const wrong = await login("login_wrong", "not the password");
    expect(wrong.status).toBe(401);
    expect(wrong.json.error?.code).toBe("invalid_credentials");
    const unknown = await login("nobody_here_at_all");
    expect(unknown.status).toBe(401);
    expect(unknown.json.error?.code).toBe("invalid_credentials");
    expect(unknown.json.error?.message).toBe(wrong.json.error?.message);
  });
});

describe("devices", () => {
  it("lists each login as a device, flagging the asking one as current", async () => {
    const pcAuth = await registerUser(server.url, "dev");
    const phoneAuth = await loginDevice(server.url, pcAuth.user.username, "phone");
    const pc = await RawClient.connect(server.wsUrl, pcAuth.token);
    const phone = await RawClient.connect(server.wsUrl, phoneAuth.token);
    const fromPc = (await pc.ok<{ devices: Device[] }>("device.list")).devices;
    expect(fromPc.map((d) => d.id).sort()).toEqual([pcAuth.deviceId, phoneAuth.deviceId].sort());
    expect(fromPc.find((d) => d.id === pcAuth.deviceId)?.current).toBe(true);
    expect(fromPc.find((d) => d.id === phoneAuth.deviceId)).toMatchObject({ current: false, name: "phone" });
    const fromPhone = (await phone.ok<{ devices: Device[] }>("device.list")).devices;
    expect(fromPhone.find((d) => d.id === phoneAuth.deviceId)?.current).toBe(true);
    expect(fromPhone.find((d) => d.id === pcAuth.deviceId)?.current).toBe(false);
    await closeAll(pc, phone);
  });

  it("revoking the other device closes its socket with 4501 and its token opens no socket", async () => {
    const pcAuth = await registerUser(server.url, "rev");
    const phoneAuth = await loginDevice(server.url, pcAuth.user.username, "phone");
    const pc = await RawClient.connect(server.wsUrl, pcAuth.token);
    const phone = await RawClient.connect(server.wsUrl, phoneAuth.token);
    await pc.ok("device.revoke", { deviceId: phoneAuth.deviceId });
    await phone.until(() => phone.closeCode !== undefined);
    expect(phone.closeCode).toBe(4501);
    expect(await upgradeStatus(phoneAuth.token)).toBe(4500);
    // The revoking device is untouched, and the list no longer has the phone.
    const devices = (await pc.ok<{ devices: Device[] }>("device.list")).devices;
    expect(devices.map((d) => d.id)).toEqual([pcAuth.deviceId]);
    expect(pc.closeCode).toBeUndefined();
    await closeAll(pc);
  });

  it("refuses to revoke a device that is not mine with device_not_found", async () => {
    const mine = await registerUser(server.url, "revx");
    const theirs = await registerUser(server.url, "revy");
    const client = await RawClient.connect(server.wsUrl, mine.token);
    await expectError(client, "device.revoke", { deviceId: theirs.deviceId }, "device_not_found");
    expect(await upgradeStatus(theirs.token)).toBe("open");
    await client.close();
  });
});

describe("logout", () => {
  it("auth.logout over WS answers ok, closes the socket with 4501 and revokes the token", async () => {
    const auth = await registerUser(server.url, "wsout");
    const other = await loginDevice(server.url, auth.user.username, "other");
    const client = await RawClient.connect(server.wsUrl, auth.token);
    const reply = await client.request("auth.logout");
    expect(reply.type).toBe("ok");
    await client.until(() => client.closeCode !== undefined);
    expect(client.closeCode).toBe(4501);
    expect(await upgradeStatus(auth.token)).toBe(4500);
    // Only this device logged out.
    expect(await upgradeStatus(other.token)).toBe("open");
  });

  it("POST /api/v1/auth/logout with a Bearer token revokes it and closes its open socket", async () => {
    const auth: AuthReply = await registerUser(server.url, "httpout");
    const client = await RawClient.connect(server.wsUrl, auth.token);
    const { status, json } = await post("/api/v1/auth/logout", {}, auth.token);
    expect(status).toBe(200);
    expect(json).toEqual({});
    await client.until(() => client.closeCode !== undefined);
    expect(client.closeCode).toBe(4501);
    expect(await upgradeStatus(auth.token)).toBe(4500);
    const again = await post("/api/v1/auth/logout", {}, auth.token);
    expect(again.status).toBe(401);
    expect(again.json.error?.code).toBe("unauthorized");
  });

  it("POST /api/v1/auth/logout without a token is 401 unauthorized", async () => {
    const { status, json } = await post("/api/v1/auth/logout", {});
    expect(status).toBe(401);
    expect(json.error?.code).toBe("unauthorized");
  });
});

describe("tokens at the upgrade", () => {
  it("closes a session with a garbage or missing token with 4500 after an unauthorized error", async () => {
    expect(await upgradeStatus("ht_garbage")).toBe(4500);
    expect(await upgradeStatus("")).toBe(4500);
  });

  it("refuses the token in ?token= (tokens never travel in URLs) and opens with a one-time ticket", async () => {
    const auth = await registerUser(server.url, "qtok");
    const closeOf = (url: string) =>
      new Promise<{ opened: boolean; code: number }>((resolve) => {
        const ws = new WebSocket(url);
        let opened = false;
        ws.on("message", (data) => {
          if ((JSON.parse(data.toString()) as { type: string }).type === "session") {
            opened = true;
            ws.close(1000);
          }
        });
        ws.on("close", (code) => resolve({ opened, code }));
        ws.on("error", () => {});
      });
    expect(await closeOf(`${server.wsUrl}?token=${encodeURIComponent(auth.token)}`)).toEqual({
      opened: false,
      code: 4500,
    });
    const res = await post("/api/v1/auth/ws-ticket", {}, auth.token);
    const { ticket } = res.json as unknown as { ticket: string };
    expect(await closeOf(`${server.wsUrl}?ticket=${encodeURIComponent(ticket)}`)).toEqual({ opened: true, code: 1000 });
  });
});

describe("token expiry", () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ tokenTtlMs: 60_000 });
  });
  afterAll(() => short.stop());

  it("a token past its tokenTtlMs no longer opens a socket nor logs out; a new login works", async () => {
    const auth = await registerUser(short.url, "ttl");
    const before = await RawClient.connect(short.wsUrl, auth.token);
    const devices = (await before.ok<{ devices: Device[] }>("device.list")).devices;
    const expiresAt = Date.parse(devices[0]?.expiresAt ?? "");
    expect(expiresAt - Date.parse(devices[0]?.createdAt ?? "")).toBe(60_000);
    await before.close();

    // Move the server's clock (the one the chat context reads) past the expiry.
    const realNow = short.app.ctx.now;
    short.app.ctx.now = () => new Date(Date.now() + 61_000);
    try {
      await expect(RawClient.connect(short.wsUrl, auth.token)).rejects.toThrow("session refused: 4500 (unauthorized)");
      const res = await fetch(`${short.url}/api/v1/auth/logout`, {
        method: "POST",
        headers: { authorization: `Bearer ${auth.token}` },
      });
      expect(res.status).toBe(401);
      const fresh = await loginDevice(short.url, auth.user.username, "again");
      const client = await RawClient.connect(short.wsUrl, fresh.token);
      const list = (await client.ok<{ devices: Device[] }>("device.list")).devices;
      // The expired device is no longer listed.
      expect(list.map((d) => d.id)).toEqual([fresh.deviceId]);
      await client.close();
    } finally {
      short.app.ctx.now = realNow;
    }
  });
});
