/** @module Propagation through the real control tower (app.tower): a declared incident reaches the banner, the status page, /summary.json, the Atom feed, the staff webhook and the staff chat; resolving it clears them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, IncidentEvent, MessageNewEvent } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { type Receiver, startReceiver } from "./receiver.js";

describe("propagation from the real tower", () => {
  let server: TestServer;
  let receiver: Receiver;
  let client: RawClient;
  const actor = { username: "oncall_e2e", role: "staff" as const };

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer({
      staffWebhookUrls: `${receiver.url}/hook`,
      staffChatConversation: "Incidents",
      // An admin from registration on, so a member of the staff conversation.
      adminUsernames: "oncall_e2e",
    });
    const auth = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "oncall_e2e", password: "correct horse" },
      201,
    );
    client = await RawClient.connect(server.wsUrl, auth.token);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await receiver?.close();
  });

  it("a declared incident is everywhere within a second, and its resolution too", async () => {
    const tower = server.app.tower;
    if (!tower) throw new Error("the tower is off in this configuration");
    const started = Date.now();
    const { incident } = tower.declare(
      { title: "Sends are failing", components: ["messaging"], severity: "SEV2", message: "We are looking into it." },
      actor,
    );
    await client.until(() => client.eventsOf("incident").length >= 1, 1000);
    expect((client.eventsOf("incident").at(-1) as IncidentEvent).incident).toMatchObject({
      id: incident.id,
      title: "Sends are failing",
      url: `${server.url}/status/incidents/${incident.id}`,
    });
    const [hook] = await receiver.until(1, 1000);
    expect(hook?.json).toMatchObject({ kind: "incident.opened", incident: { id: incident.id, severity: "SEV2" } });
    expect(Date.now() - started).toBeLessThan(1000);

    const summary = (await (await fetch(`${server.url}/summary.json`)).json()) as {
      status: { indicator: string };
      incidents: { id: string; incident_updates: { body: string }[] }[];
      components: { id: string; status: string }[];
    };
    expect(summary.incidents.map((i) => i.id)).toEqual([incident.id]);
    expect(summary.incidents[0]?.incident_updates.map((u) => u.body)).toContain("We are looking into it.");
    expect(summary.status.indicator).not.toBe("none");
    expect(summary.components.find((c) => c.id === "messaging")?.status).not.toBe("operational");
    expect(await (await fetch(`${server.url}/status`)).text()).toContain("Sends are failing");
    expect(await (await fetch(`${server.url}/status/history.atom`)).text()).toContain("We are looking into it.");

    // The staff chat runs on the chat store, which works here: the post arrives too.
    await client.until(() =>
      (client.eventsOf("message.new") as MessageNewEvent[]).some((e) => e.message.text.includes("Sends are failing")),
    );

    tower.update(incident.id, { status: "resolved", body: "Fixed." }, actor);
    await client.until(() =>
      client.eventsOf("incident").some((e) => (e as IncidentEvent).incident.status === "resolved"),
    );
    const after = (await (await fetch(`${server.url}/summary.json`)).json()) as { incidents: unknown[] };
    expect(after.incidents).toEqual([]);
    const page = await (await fetch(`${server.url}/status/incidents/${incident.id}`)).text();
    expect(page).toContain("Fixed.");
  });
});
