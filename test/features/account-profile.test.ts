/** @module account.update, account.delete and the data export, over the real protocol. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message, User } from "../../src/protocol/index.js";
import { loginDevice, RawClient, startTestServer, type TestServer } from "../harness.js";
import { closeAll, createDirect, expectError, nextEvent, person, send } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("account", () => {
  it("updates the profile, tells my other devices, and refuses a bad name or someone else's photo", async () => {
    const me = await person(server, "pr");
    const other = await person(server, "pr");
    const phone = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, me.username)).token);
    const { user } = await me.client.ok<{ user: User }>("account.update", {
      displayName: " 민지 ",
      statusText: "휴가 중",
    });
    expect(user).toMatchObject({ displayName: "민지", statusText: "휴가 중", role: "user" });
    const heard = await nextEvent(phone, "account.updated", () => true);
    expect(heard.user).toMatchObject({ displayName: "민지", statusText: "휴가 중" });
    const { users } = await other.client.ok<{ users: User[] }>("user.get", { userIds: [me.id] });
    expect(users[0]).toMatchObject({ displayName: "민지", statusText: "휴가 중" });
    expect(users[0]?.role).toBeUndefined();
    await expectError(me.client, "account.update", { displayName: "a\u202eb" }, "invalid_request");
    await expectError(me.client, "account.update", {}, "invalid_request");
    await expectError(me.client, "account.update", { avatarFileId: "not-a-file" }, "not_found");
    await me.client.ok("account.update", { statusText: null });
    expect(
      (await other.client.ok<{ users: User[] }>("user.get", { userIds: [me.id] })).users[0]?.statusText,
    ).toBeUndefined();
    await closeAll(me.client, other.client, phone);
  });

  it("exports my messages and files as JSON, to me only", async () => {
    const me = await person(server, "ex");
    const other = await person(server, "ex");
    const direct = await createDirect(me.client, other.id);
    await send(me.client, direct.id, "내 메시지");
    await send(other.client, direct.id, "not mine");
    const res = await fetch(`${server.url}/api/v1/account/export`, {
      headers: { authorization: `Bearer ${me.auth.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const data = (await res.json()) as { user: User; messages: Message[]; files: unknown[] };
    expect(data.user.id).toBe(me.id);
    expect(data.messages.map((m) => m.text)).toEqual(["내 메시지"]);
    expect(data.files).toEqual([]);
    expect((await fetch(`${server.url}/api/v1/account/export`)).status).toBe(401);
    await closeAll(me.client, other.client);
  });

  it("deletes the account with the right password only: sessions close, messages stay as a deleted account's", async () => {
    const me = await person(server, "dl");
    const other = await person(server, "dl");
    const direct = await createDirect(me.client, other.id);
    await send(me.client, direct.id, "bye");
    await expectError(me.client, "account.delete", { password: "wrong one" }, "invalid_credentials");
    await me.client.ok("account.delete", { password: "correct horse" });
    await expect.poll(() => me.client.closeCode).toBe(4501);
    const { users } = await other.client.ok<{ users: User[] }>("user.get", { userIds: [me.id] });
    expect(users[0]).toMatchObject({ displayName: "deleted account", deleted: true });
    const { messages } = await other.client.ok<{ messages: Message[] }>("history", { conversationId: direct.id });
    expect(messages.map((m) => [m.senderId, m.text])).toEqual([[me.id, "bye"]]);
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: me.username, password: "correct horse" }),
    });
    expect(login.status).toBe(401);
    await closeAll(other.client);
  });
});
