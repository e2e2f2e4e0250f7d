/** @module The status page, banner and staff webhooks keep working while the chat path is down: a node's PostgreSQL cut for real through a TCP proxy. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, IncidentEvent } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, POSTGRES_URL, postgresUrlWithSchema } from "../services.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { MemoryTower } from "./memory-tower.js";
import { type Received, type Receiver, startReceiver } from "./receiver.js";

describe("status page while the chat path is down", () => {
  const schema = freshSchema();
  let proxy: TcpProxy;
  let server: TestServer;
  let receiver: Receiver;
  let client: RawClient;
  let conversationId: string;
  let tower: MemoryTower;

  beforeAll(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const store = new URL(postgresUrlWithSchema(schema));
    store.port = String(proxy.port);
    receiver = await startReceiver();
    server = await startTestServer({
      store: store.toString(),
      staffWebhookUrls: `${receiver.url}/hook`,
      staffChatConversation: "Control tower",
      adminUsernames: "down_oncall", // staff roles are the staff conversation's members
    });
    const auth = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "down_oncall", password: "correct horse" },
      201,
    );
    client = await RawClient.connect(server.wsUrl, auth.token);
    tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
    const reply = await client.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [],
    });
    conversationId = reply.conversation.id;
    await client.ok("message.send", { conversationId, clientMsgId: "before", text: "works" });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await proxy?.close();
    await receiver?.close();
    await dropSchema(schema);
  });

  it("answers /status, /status.json and /summary.json with the incident while sends fail", async () => {
    // Break the chat path for real: every connection to PostgreSQL is dropped and new ones refused.
    proxy.refuse = true;
    proxy.cut();
    const send = await client.request("message.send", { conversationId, clientMsgId: "during", text: "fails" });
    expect(send).toMatchObject({ type: "error", code: "unavailable" });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);

    const incident = tower.open({
      title: "Messages cannot be sent",
      components: [{ id: "messaging", status: "major_outage" }],
      impact: "critical",
    });
    const started = Date.now();
    const page = await fetch(`${server.url}/status`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Messages cannot be sent");
    const status = await fetch(`${server.url}/status.json`);
    expect(status.status).toBe(200);
    expect(((await status.json()) as { status: { indicator: string } }).status.indicator).toBe("critical");
    const summary = await fetch(`${server.url}/summary.json`);
    expect(summary.status).toBe(200);
    const body = (await summary.json()) as {
      incidents: { id: string }[];
      components: { id: string; status: string }[];
    };
    expect(body.incidents.map((i) => i.id)).toEqual([incident.id]);
    expect(body.components.find((c) => c.id === "messaging")?.status).toBe("major_outage");
    expect((await fetch(`${server.url}/status/incidents/${incident.id}`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000); // no answer waited on the dead store

    // The banner and the staff webhook do not depend on the store either; the staff chat post
    // (which does) fails on its own without holding them up.
    await client.until(() => client.eventsOf("incident").length === 1, 3000);
    expect((client.eventsOf("incident")[0] as IncidentEvent).incident.id).toBe(incident.id);
    const [hook] = await receiver.until(1, 3000);
    expect(((hook as Received).json as { incident: { id: string } }).incident.id).toBe(incident.id);
  });

  it("the staff chat catches up with the next change once the store is back", async () => {
    proxy.refuse = false;
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    const incident = tower.snapshot().incidents[0];
    tower.update(incident?.id as string, "resolved", "The database is reachable again.");
    await client.until(
      () => client.eventsOf("message.new").some((e) => e.message.text.includes("Incident resolved")),
      15_000,
    );
  });
});
