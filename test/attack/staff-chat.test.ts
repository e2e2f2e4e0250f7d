/** @module Attack: write into (or read) the staff incident chat by making a group titled like it with the system account, or by adding oneself, an outsider or a canary. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import type { ProbeRunner } from "../../src/ops/monitoring/probe-runner.js";
import type { StaffChat } from "../../src/ops/propagation/staff-chat.js";
import type { Tower } from "../../src/ops/tower/tower.js";
import type { AuthReply, MessageNewEvent } from "../../src/protocol/index.js";
import { eventually } from "../cluster/cluster.js";
import { postJson, RawClient, registerUser, startTestServer, TEST_DEFAULTS, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";

const actor = { username: "chief_ops", role: "admin" as const };

describe("the staff incident chat under attack", () => {
  let server: TestServer;
  let tower: Tower;
  let staffChat: StaffChat;
  let chief: AuthReply;
  let attacker: AuthReply;
  let chiefClient: RawClient;
  let attackerClient: RawClient;
  let statusId: string;
  let staffId: string;
  let incidents = 0;

  /** Declare an incident and wait until its post is in the staff conversation (seen by the chief). */
  async function incidentPosted(): Promise<string> {
    const title = `Sends are failing ${++incidents}`;
    tower.declare({ title, components: ["messaging"], severity: "SEV2", message: "Looking into it." }, actor);
    await chiefClient.until(() =>
      (chiefClient.eventsOf("message.new") as MessageNewEvent[]).some((e) => e.message.text.includes(title)),
    );
    await staffChat.idle();
    return title;
  }

  /** A group the attacker makes alone, titled as they like; its id. */
  async function attackerGroup(title: string): Promise<string> {
    const { conversation } = await attackerClient.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "group",
      title,
      memberIds: [],
    });
    return conversation.id;
  }

  /** A refusal's message with the refused id taken out: the same text for a system account and for nobody. */
  const shape = (frame: Record<string, unknown>, id: string) => String(frame.message).replace(id, "<id>");

  beforeAll(async () => {
    server = await startTestServer({ adminUsernames: "chief_ops", probeIntervalMs: 200, probeTimeoutMs: 5000 });
    tower = server.app.tower as Tower;
    staffChat = server.app.propagation.propagation.staffChat as StaffChat;
    ({ userId: statusId, conversationId: staffId } = await staffChat.ensureTarget());
    chief = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "chief_ops", password: "correct horse" },
      201,
    );
    attacker = await registerUser(server.url, "mallory");
    [chiefClient, attackerClient] = await Promise.all([
      RawClient.connect(server.wsUrl, chief.token),
      RawClient.connect(server.wsUrl, attacker.token),
    ]);
  });
  afterAll(async () => {
    await chiefClient?.close();
    await attackerClient?.close();
    await server?.stop();
  });

  it("refuses a group titled like the staff chat with the system account in it, as if the account did not exist", async () => {
    const withStatus = await attackerClient.request("conversation.create", {
      kind: "group",
      title: "Incidents",
      memberIds: [statusId],
    });
    const nobody = randomUUID();
    const withNobody = await attackerClient.request("conversation.create", {
      kind: "group",
      title: "Incidents",
      memberIds: [nobody],
    });
    expect(withStatus).toMatchObject({ type: "error", code: "user_not_found" });
    expect(withNobody).toMatchObject({ type: "error", code: "user_not_found" });
    expect(shape(withStatus, statusId)).toBe(shape(withNobody, nobody));

    const direct = await attackerClient.request("conversation.create", { kind: "direct", memberIds: [statusId] });
    expect(direct).toMatchObject({ type: "error", code: "user_not_found" });

    // Made without it, the group cannot take it in afterwards either.
    const add = await attackerClient.request("conversation.addMembers", {
      conversationId: await attackerGroup("Incidents"),
      userIds: [statusId],
    });
    expect(add).toMatchObject({ type: "error", code: "user_not_found" });

    // Nor can anyone take the system account's name (where staff chat is still off, say).
    const squat = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "Haetae_Status", password: "correct horse" }),
    });
    expect(((await squat.json()) as { error: { code: string } }).error.code).toBe("invalid_username");
  });

  it("posts incidents into the bound staff conversation only, even when a newer group titled like it holds the system account", async () => {
    // The state an older server let an attacker reach: a group titled "Incidents", newer than the
    // staff conversation, with the system account in it. Titles choose nothing any more.
    const planted = await server.app.ctx.store.createGroup({
      id: randomUUID(),
      kind: "group",
      title: "Incidents",
      memberIds: [attacker.user.id, statusId],
      createdAt: new Date().toISOString(),
      createdBy: attacker.user.id,
    });
    const own = await attackerGroup("Incidents");
    const title = await incidentPosted();
    const post = (chiefClient.eventsOf("message.new") as MessageNewEvent[]).find((e) => e.message.text.includes(title));
    expect(post?.conversationId).toBe(staffId);
    expect(post?.message.senderId).toBe(statusId);
    expect(attackerClient.eventsOf("message.new")).toEqual([]);
    for (const conversationId of [planted.value.id, own]) {
      const { lastSeq } = await attackerClient.ok<{ lastSeq: number }>("conversation.get", { conversationId });
      expect(lastSeq).toBe(0);
    }
  });

  it("keeps the attacker out of the real staff conversation, and members cannot let anyone in", async () => {
    for (const [type, params] of [
      ["conversation.get", { conversationId: staffId }],
      ["history", { conversationId: staffId }],
      ["message.send", { conversationId: staffId, clientMsgId: "sneak", text: "all clear, stand down" }],
      ["conversation.addMembers", { conversationId: staffId, userIds: [attacker.user.id] }],
      ["conversation.update", { conversationId: staffId, title: "Not incidents" }],
    ] as const) {
      const reply = await attackerClient.request(type, params);
      expect(reply.type, `${type} by an outsider`).toBe("error");
    }
    // A member (the admin) cannot bring the attacker in, retitle it, remove the system account, or leave.
    for (const [type, params] of [
      ["conversation.addMembers", { conversationId: staffId, userIds: [attacker.user.id] }],
      ["conversation.update", { conversationId: staffId, title: "Lunch" }],
      ["conversation.removeMember", { conversationId: staffId, userId: statusId }],
      ["conversation.leave", { conversationId: staffId }],
    ] as const) {
      expect(await chiefClient.request(type, params), `${type} by a member`).toMatchObject({
        type: "error",
        code: "forbidden",
      });
    }
    const { conversation } = await chiefClient.ok<{ conversation: { memberIds: string[]; title: string } }>(
      "conversation.get",
      { conversationId: staffId },
    );
    expect(conversation.title).toBe("Incidents");
    expect([...conversation.memberIds].sort()).toEqual([chief.user.id, statusId].sort());
    await incidentPosted();
    expect(attackerClient.eventsOf("message.new")).toEqual([]);
  });

  it("lets a promoted user in and puts a demoted one out, and nobody but the server does either", async () => {
    const oncall = await registerUser(server.url, "oncall");
    const client = await RawClient.connect(server.wsUrl, oncall.token);
    try {
      const setRole = (token: string, role: string) =>
        fetch(`${server.url}/api/v1/ops/users/${oncall.user.username}/role`, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ role }),
        });
      // A plain user cannot promote anyone (themselves included).
      expect((await setRole(oncall.token, "staff")).status).toBe(403);
      expect((await client.request("conversation.get", { conversationId: staffId })).type).toBe("error");

      expect((await setRole(chief.token, "staff")).status).toBe(200);
      await client.until(() =>
        client
          .eventsOf("conversation.updated")
          .some((e) => e.conversationId === staffId && e.added.includes(oncall.user.id)),
      );
      await client.ok("conversation.get", { conversationId: staffId });
      const title = await incidentPosted();
      await client.until(() =>
        (client.eventsOf("message.new") as MessageNewEvent[]).some((e) => e.message.text.includes(title)),
      );

      expect((await setRole(chief.token, "user")).status).toBe(200);
      await client.until(() =>
        client
          .eventsOf("conversation.updated")
          .some((e) => e.conversationId === staffId && e.removed.includes(oncall.user.id)),
      );
      expect((await client.request("conversation.get", { conversationId: staffId })).type).toBe("error");
      const later = await incidentPosted();
      expect((client.eventsOf("message.new") as MessageNewEvent[]).some((e) => e.message.text.includes(later))).toBe(
        false,
      );
      // The system account has no role to give: it answers as nobody does.
      const status = await fetch(`${server.url}/api/v1/ops/users/haetae_status/role`, {
        method: "PUT",
        headers: { authorization: `Bearer ${chief.token}`, "content-type": "application/json" },
        body: JSON.stringify({ role: "user" }),
      });
      expect(status.status).toBe(404);
      expect(((await status.json()) as { error: { code: string } }).error.code).toBe("user_not_found");
    } finally {
      await client.close();
    }
  });

  it("refuses the probes' canary accounts everywhere, while the probes keep working", async () => {
    const probes = server.app.monitoring.probes as ProbeRunner;
    await eventually(() => expect(probes.canaryUserIds()).toHaveLength(2), 15_000);
    const [canaryA, canaryB] = probes.canaryUserIds() as [string, string];
    const group = await attackerClient.request("conversation.create", { kind: "group", memberIds: [canaryA] });
    expect(group).toMatchObject({ type: "error", code: "user_not_found" });
    const direct = await attackerClient.request("conversation.create", { kind: "direct", memberIds: [canaryB] });
    expect(direct).toMatchObject({ type: "error", code: "user_not_found" });
    const add = await attackerClient.request("conversation.addMembers", {
      conversationId: await attackerGroup("Canary cage"),
      userIds: [canaryA, canaryB],
    });
    expect(add).toMatchObject({ type: "error", code: "user_not_found" });
    // The canaries still reach each other in their own direct conversation.
    const before = probes.recentRuns().length;
    await eventually(() => expect(probes.recentRuns().length).toBeGreaterThan(before + 1), 15_000);
    expect(
      probes
        .recentRuns()
        .at(-1)
        ?.results.map((r) => `${r.probe}:${r.ok}`),
    ).toEqual(["login:true", "upload:true", "download:true", "send:true", "delivery:true", "history:true"]);
  }, 30_000);

  it("keeps the same staff conversation across a restart, whatever groups carry its title", async () => {
    await server.app.stop();
    const again = await startApp(makeConfig({ port: 0, data: server.dataDir, ...TEST_DEFAULTS }));
    try {
      const chat = again.propagation.propagation.staffChat as StaffChat;
      expect(await chat.ensureTarget()).toEqual({ userId: statusId, conversationId: staffId });
    } finally {
      await again.stop();
    }
  });
});

describe("the staff conversation on a cluster", () => {
  it("is one conversation when two nodes on one PostgreSQL start at the same moment", async () => {
    const schema = freshSchema();
    const store = postgresUrlWithSchema(schema);
    const nodes = await Promise.all([startTestServer({ store }), startTestServer({ store })]);
    try {
      const targets = await Promise.all(
        nodes.map((node) => (node.app.propagation.propagation.staffChat as StaffChat).ensureTarget()),
      );
      expect(targets[1]).toEqual(targets[0]);
      const { userId, conversationId } = targets[0] as { userId: string; conversationId: string };
      // The status account is in that one conversation and nothing else.
      const mine = await nodes[0]?.app.ctx.store.listConversations(userId);
      expect(mine?.map((c) => c.conversation.id)).toEqual([conversationId]);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
      await dropSchema(schema);
    }
  }, 60_000);
});
