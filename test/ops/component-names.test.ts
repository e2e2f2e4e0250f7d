/** @module A custom component's Korean name (`towerComponents` `names`) over real HTTP: the Korean status page, its incident's title, the feed and the banner say it; the English page and the JSON keep the English name. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/ops/tower/model.js";
import type { IncidentEvent } from "../../src/protocol/index.js";
import { RawClient, registerUser } from "../harness.js";
import { eventually, type OpsNode, opsNode } from "./ops-helpers.js";

let node: OpsNode;
let incident: Incident;

const COMPONENTS = [
  { id: "messaging", name: "Messaging", function: "messaging" },
  { id: "payments", name: "Payments", names: { ko: "결제" }, description: "Paying for stickers", function: "cosmetic" },
  { id: "search", name: "Search", function: "cosmetic" },
];

async function get(path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${node.server.url}${path}`, { headers });
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  node = await opsNode({ towerComponents: JSON.stringify(COMPONENTS), staffChatConversation: "" });
  const tower = node.server.app.tower ?? expect.fail("the node runs the tower");
  tower.ingestAlert({
    source: "alertmanager",
    dedupKey: "payments-down",
    name: "PaymentsDown",
    summary: "payment provider answers 502 for 38% of calls",
    action: "trigger",
    urgency: "page",
    components: ["payments"],
  });
  await eventually(() => {
    const open = tower.listIncidents({ status: "open" });
    expect(open).toHaveLength(1);
    incident = open[0] as Incident;
  });
}, 60_000);

afterAll(async () => {
  await node?.server.stop();
});

describe("a custom component with a Korean name", () => {
  it("is named in Korean on the Korean status page and in its incident's title, in English on the English one", async () => {
    const ko = await get("/status", { "accept-language": "ko" });
    expect(ko).toContain("<span>결제</span>");
    expect(ko).toContain("<span>Search</span>"); // no Korean name given: the name as configured
    expect(ko).toContain("<span>메시지</span>"); // a default component kept as it was
    expect(ko).toMatch(/결제: (평소보다 느립니다|일부 사용자에게 문제가 있습니다|이용할 수 없습니다)/);
    expect(ko).not.toContain("Payments");
    const page = await get(`/status/incidents/${incident.id}?lang=ko`);
    expect(page).toMatch(/결제: /);

    const en = await get("/status?lang=en", { "accept-language": "ko" });
    expect(en).toContain("<span>Payments</span>");
    expect(en).toMatch(/Payments (is slower than usual|is failing for some people|is not working)/);
    expect(en).not.toContain("결제");
  });

  it("is in Korean in the Korean feed and the banner's Korean title; the Statuspage JSON keeps the English name", async () => {
    expect(await get("/status/history.atom", { "accept-language": "ko" })).toContain("결제: ");
    const summary = JSON.parse(await get("/api/v2/summary.json", { "accept-language": "ko" })) as {
      components: { id: string; name: string }[];
      incidents: { id: string; name: string }[];
    };
    expect(summary.components.find((c) => c.id === "payments")?.name).toBe("Payments");
    expect(summary.incidents.find((i) => i.id === incident.id)?.name).toMatch(/^Payments /);

    const auth = await registerUser(node.server.url, "reader");
    const client = await RawClient.connect(node.server.wsUrl, auth.token);
    try {
      await client.until(() => client.eventsOf("incident").length > 0);
      const notice = (client.eventsOf("incident") as IncidentEvent[]).find((e) => e.incident.id === incident.id);
      expect(notice?.incident.titles?.ko).toMatch(/^결제: /);
      expect(notice?.incident.titles?.en).toMatch(/^Payments /);
    } finally {
      await client.close();
    }
  });

  it("is listed with its names in the staff ops API", async () => {
    const { json } = await node.call<{ components: { id: string; names?: unknown }[] }>("GET", "/components");
    expect(json.components.find((c) => c.id === "payments")?.names).toEqual({ ko: "결제" });
  });
});
