/**
 * @module Attack: read other users' roles (who is staff, who is admin: the accounts worth
 * phishing) from `user.find` and every other reply that carries a user. Every user object about
 * someone else must be exactly a profile; one's own auth reply keeps the role.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userSchema } from "../../src/protocol/event-schemas.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { closeAll, createGroup, type Person, person, syncAll } from "../features/helpers.js";
import { loginDevice, postJson, startTestServer, type TestServer } from "../harness.js";

/** Every object in `value` that looks like a user (has a `username`), however deep. */
function usersIn(value: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) usersIn(item, found);
  else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.username === "string") found.push(record);
    for (const inner of Object.values(record)) usersIn(inner, found);
  }
  return found;
}

describe("attack: reading other users' roles", () => {
  let server: TestServer;
  let mallory: Person;
  let boss: AuthReply;
  let helper: AuthReply;

  beforeAll(async () => {
    server = await startTestServer({ adminUsernames: "profile_boss" });
    boss = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "profile_boss", password: "correct horse", displayName: "The Boss" },
      201,
    );
    helper = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "profile_helper", password: "correct horse", displayName: "Helpdesk" },
      201,
    );
    await server.app.ctx.store.setRole("profile_helper", "staff");
    mallory = await person(server, "profilemallory");
  });
  afterAll(async () => {
    await closeAll(mallory.client);
    await server.stop();
  });

  it("gets only profile fields about staff and admins, from every reply that carries a user", async () => {
    const c = mallory.client;
    const targets = [boss.user.id, helper.user.id];
    const replies: unknown[] = [
      await c.ok("user.find", { username: "profile_boss" }),
      await c.ok("user.find", { username: "PROFILE_HELPER" }),
      await c.ok("user.get", { userIds: targets }),
      await c.ok("contact.add", { userId: boss.user.id }),
      await c.ok("contact.add", { userId: helper.user.id }),
      await c.ok("contact.list"),
      await c.ok("contact.remove", { userId: helper.user.id }),
      await c.ok("block.add", { userId: helper.user.id }),
      await c.ok("block.list"),
      await c.ok("block.remove", { userId: helper.user.id }),
    ];
    const group = await createGroup(c, targets, "who is who");
    replies.push(await c.ok("conversation.members", { conversationId: group.id }));
    replies.push(await c.ok("conversation.get", { conversationId: group.id }));
    replies.push(await c.ok("conversation.list"));
    replies.push((await syncAll(c)).events);
    const users = usersIn(replies).filter((u) => u.id !== mallory.id);
    // Enough user objects were looked at for the assertion below to mean something.
    expect(users.length).toBeGreaterThanOrEqual(12);
    for (const user of users) {
      expect(user).not.toHaveProperty("role");
      expect(user).not.toHaveProperty("passwordHash");
      expect(() => userSchema.parse(user), JSON.stringify(user)).not.toThrow();
    }
    expect(JSON.stringify(replies)).not.toMatch(/"(staff|admin)"/);
  });

  it("keeps the role on one's own user in the register and login replies", async () => {
    expect(boss.user.role).toBe("admin");
    expect((await loginDevice(server.url, "profile_helper")).user.role).toBe("staff");
    expect((await loginDevice(server.url, mallory.username)).user.role).toBe("user");
  });
});
