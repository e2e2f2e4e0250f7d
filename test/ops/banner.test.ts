/** @module The in-app incident banner over real WebSockets (live, on connect, resolved, under degradation, across nodes) and the staff chat posts. */
import { afterEach, describe, expect, it } from "vitest";
import { serverEventSchema } from "../../src/protocol/event-schemas.js";
import type { AuthReply, IncidentEvent, MessageNewEvent } from "../../src/protocol/index.js";
import { postJson, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { NATS_URL } from "../services.js";
import { MemoryTower } from "./memory-tower.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startTestServer({ staffChatConversation: "", ...overrides });
  cleanups.push(() => s.stop());
  return s;
}

async function connect(s: TestServer, prefix = "user"): Promise<RawClient> {
  const auth = await registerUser(s.url, prefix);
  const client = await RawClient.connect(s.wsUrl, auth.token);
  cleanups.push(() => client.close());
  return client;
}

const incidents = (c: RawClient) => c.eventsOf("incident") as IncidentEvent[];

describe("incident banner", () => {
  it("reaches a connected session, a session that connects later (right after its session frame), and ends with resolved", async () => {
    const s = await server();
    const tower = new MemoryTower(s.url);
    s.app.propagation.attach(tower);
    const early = await connect(s);
    const incident = tower.open({
      title: "Messages are delayed",
      components: [{ id: "messaging", status: "partial_outage" }],
      impact: "major",
    });
    await early.until(() => incidents(early).length === 1);
    const event = incidents(early)[0] as IncidentEvent;
    expect(serverEventSchema.safeParse(event).success).toBe(true);
    expect(event).toEqual({
      type: "incident",
      incident: {
        id: incident.id,
        title: "Messages are delayed",
        // A declared incident's title is public as staff wrote it, in every language.
        titles: { en: "Messages are delayed", ko: "Messages are delayed" },
        status: "investigating",
        impact: "major",
        url: `${s.url}/status/incidents/${incident.id}`,
      },
    });

    const late = await connect(s);
    await late.until(() => incidents(late).length === 1);
    expect(late.frames[0]?.type).toBe("incident"); // the first frame after `session`
    expect(incidents(late)[0]?.incident.id).toBe(incident.id);

    tower.update(incident.id, "resolved", "Fixed.");
    for (const client of [early, late]) {
      await client.until(() => incidents(client).some((e) => e.incident.status === "resolved"));
      expect(incidents(client).at(-1)?.incident).toMatchObject({ id: incident.id, status: "resolved" });
    }
    const after = await connect(s);
    await after.ok("ping");
    expect(incidents(after)).toEqual([]); // nothing open: no banner for a new session
  });

  it("greets a new session with every open incident, and still goes out under degradation level 4", async () => {
    const s = await server();
    const tower = new MemoryTower(s.url);
    s.app.propagation.attach(tower);
    const one = tower.open({ title: "Logins fail", components: [{ id: "login", status: "major_outage" }] });
    const two = tower.open({ title: "Uploads slow", components: [{ id: "files", status: "degraded_performance" }] });
    const client = await connect(s);
    await client.until(() => incidents(client).length === 2);
    expect(incidents(client).map((e) => e.incident.id)).toEqual([one.id, two.id]);

    // Level 4 refuses new connections and sheds typing, presence, receipts and history; the banner is none of those.
    s.app.load.pin(4);
    tower.update(one.id, "identified", "A certificate expired.");
    await client.until(() => incidents(client).length === 3);
    expect(incidents(client)[2]?.incident).toMatchObject({ id: one.id, status: "identified" });
  });

  it("reaches sessions on another node over NATS", async () => {
    const bus = `${NATS_URL}?prefix=banner${Math.random().toString(36).slice(2, 10)}`;
    const towerNode = await server({ bus });
    const otherNode = await server({ bus });
    const tower = new MemoryTower(towerNode.url);
    towerNode.app.propagation.attach(tower);
    const remote = await connect(otherNode);
    const incident = tower.open({ title: "Sends fail", components: [{ id: "messaging", status: "major_outage" }] });
    await remote.until(() => incidents(remote).length === 1);
    expect(incidents(remote)[0]?.incident.id).toBe(incident.id);
  });
});

describe("staff chat", () => {
  it("posts each change from the system account into the staff conversation, whose members are the staff", async () => {
    const s = await server({ staffChatConversation: "Control tower", adminUsernames: "oncall_lead, nobody_here" });
    const auth = await postJson<AuthReply>(
      s.url,
      "/api/v1/auth/register",
      { username: "oncall_lead", password: "correct horse" },
      201,
    );
    const client = await RawClient.connect(s.wsUrl, auth.token);
    cleanups.push(() => client.close());
    const tower = new MemoryTower(s.url);
    s.app.propagation.attach(tower);
    const incident = tower.open({
      title: "Sends fail",
      components: [{ id: "messaging", status: "major_outage" }],
      severity: "SEV1",
    });
    tower.update(incident.id, "resolved", "Fixed by failing over.");
    // The admin's joining is a system line of its own (empty text); whether it reaches this
    // socket live depends on whether it was written before the socket opened. The tower's posts
    // are the messages with text.
    const messages = () => (client.eventsOf("message.new") as MessageNewEvent[]).filter((m) => !m.message.system);
    await client.until(() => messages().length === 2);
    const texts = messages().map((m) => m.message.text);
    expect(texts[0]).toContain("[SEV1] Incident opened: Sends fail");
    expect(texts.some((t) => t.includes("Incident resolved: Sends fail") && t.includes("Fixed by failing over."))).toBe(
      true,
    );
    // The conversation carries the configured title, and the admin is in it (joined at
    // registration: the conversation was made at start, before they registered).
    const { conversation: group } = await client.ok<{
      conversation: { title: string; kind: string; memberIds: string[] };
    }>("conversation.get", { conversationId: messages()[0]?.conversationId });
    expect(group).toMatchObject({ kind: "group", title: "Control tower" });
    expect(group.memberIds).toHaveLength(2);
    expect(group.memberIds).toContain(auth.user.id);
    const sender = messages()[0]?.message.senderId as string;
    const { users } = await client.ok<{ users: { username: string }[] }>("user.get", { userIds: [sender] });
    expect(users[0]?.username).toBe("haetae_status");
    // Nobody can log in as the system account.
    const login = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "haetae_status", password: "!no-login" }),
    });
    expect(login.status).toBe(401);
  });
});
