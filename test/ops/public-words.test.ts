/**
 * @module Public words over real HTTP: an incident the SLO monitor opens reads as human words in
 * English and Korean on the status page, its feed, its JSON and the banner, chosen by
 * Accept-Language and `?lang`; the burn-rate arithmetic stays in the staff ops API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, Incident } from "../../src/ops/tower/model.js";
import type { IncidentEvent } from "../../src/protocol/index.js";
import { RawClient, registerUser } from "../harness.js";
import { type OpsNode, opsNode } from "./ops-helpers.js";

let node: OpsNode;
let incident: Incident;

/** Every English and Korean public words the tower has for the messaging component while it fails. */
const MESSAGING_EN =
  /^(Some messages are slow to send or failing|Some messages are failing to send|Messages cannot be sent)$/;
const MESSAGING_KO =
  /^(일부 메시지 전송이 느리거나 실패하고 있습니다|일부 메시지 전송이 실패하고 있습니다|메시지를 보낼 수 없습니다)$/;
/** What must never reach the public: the SLO's arithmetic and vocabulary. */
const INTERNAL = /×|error budget|burn|SLO|%/i;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${node.server.url}${path}`, { headers });
  return { res, text: await res.text() };
}

/** The linked heading of an incident's article on a status page: its public title. */
function headingText(html: string, id: string): string {
  const article = html.slice(html.indexOf(`id="incident-${id}"`));
  const heading = /<h[13]><a [^>]*>([^<]*)<\/a>/.exec(article);
  return heading?.[1] ?? "";
}

/** Count bad (or good) sends into the real SLI recorder until `until` holds. */
async function sends(ok: boolean, until: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const stop = Date.now() + timeoutMs;
  while (!(await until())) {
    if (Date.now() > stop) throw new Error(`still waiting after ${ok ? "good" : "bad"} sends`);
    for (let i = 0; i < 20; i++) node.server.app.sli.record({ sli: "send", ok, source: "traffic" });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const incidents = async () =>
  (await node.call<{ incidents: Incident[] }>("GET", "/incidents?status=all")).json.incidents;

beforeAll(async () => {
  // SLO windows at 1/500 of the workbook's (5 min is 0.6 s), so the page alert fires and clears in seconds.
  node = await opsNode({ sloWindowScale: 0.002, sloEvalMs: 100 });
  await sends(false, async () => (await incidents()).some((i) => i.origin === "alert"));
  incident = (await incidents()).find((i) => i.origin === "alert") as Incident;
}, 60_000);

afterAll(async () => {
  await node?.server.stop();
});

describe("an SLO-opened incident in public words", () => {
  it("keeps the burn-rate arithmetic in the staff ops API", async () => {
    expect(incident.title).toMatch(/burning its error budget at [\d.]+×/);
    const alerts = (await node.call<{ alerts: Alert[] }>("GET", "/alerts?source=slo")).json.alerts;
    expect(alerts.some((a) => /×/.test(a.summary) && a.incidentId === incident.id)).toBe(true);
    const update = incident.updates[0];
    expect(update).toMatchObject({ by: "system", phrase: "detected" });
    expect(update?.body).not.toMatch(INTERNAL);
  });

  it("writes the status page in English or Korean by Accept-Language, with <html lang> and Vary", async () => {
    const en = await get("/status", { "accept-language": "en-US,en;q=0.9" });
    expect(en.res.headers.get("vary")).toMatch(/accept-language/i);
    expect(en.res.headers.get("content-language")).toBe("en");
    expect(en.text).toContain('<html lang="en">');
    expect(headingText(en.text, incident.id)).toMatch(MESSAGING_EN);
    expect(en.text).toContain("Investigating");
    expect(en.text).toContain("Our monitoring caught this problem and we are investigating.");
    expect(en.text).not.toMatch(/×|error budget|burning/);

    const ko = await get("/status", { "accept-language": "ko-KR,ko;q=0.9,en-US;q=0.8" });
    expect(ko.res.headers.get("vary")).toMatch(/accept-language/i);
    expect(ko.text).toContain('<html lang="ko">');
    expect(headingText(ko.text, incident.id)).toMatch(MESSAGING_KO);
    expect(ko.text).toContain("조사 중"); // the incident's status
    expect(ko.text).toContain("<span>메시지</span>"); // the component's Korean name
    expect(ko.text).toMatch(/정상|성능 저하|부분 장애|전체 장애/); // component status words
    expect(ko.text).toContain("모니터링에서 이 문제를 발견해 원인을 조사하고 있습니다.");
    expect(ko.text).not.toMatch(/×|error budget|burning|Investigating/);
    expect(ko.res.headers.get("etag")).not.toBe(en.res.headers.get("etag"));
  });

  it("lets ?lang override Accept-Language, and offers the switch as plain links", async () => {
    const chosen = await get("/status?lang=en", { "accept-language": "ko" });
    expect(chosen.text).toContain('<html lang="en">');
    expect(headingText(chosen.text, incident.id)).toMatch(MESSAGING_EN);
    // The switch: each language named in itself; the incident links keep the language chosen.
    expect(chosen.text).toContain('<a href="?lang=ko" lang="ko" hreflang="ko">한국어</a>');
    expect(chosen.text).toContain(`href="/status/incidents/${incident.id}?lang=en"`);
    const korean = await get(`/status/incidents/${incident.id}?lang=ko`, { "accept-language": "en" });
    expect(korean.text).toContain('<html lang="ko">');
    expect(korean.text).toContain('<a href="?lang=en" lang="en" hreflang="en">English</a>');
    expect(headingText(korean.text, incident.id)).toMatch(MESSAGING_KO);
    // No preference that the page speaks: the configured statusLocale (en by default).
    const other = await get("/status", { "accept-language": "fr-FR, de;q=0.5" });
    expect(other.text).toContain('<html lang="en">');
    const refused = await get("/status", { "accept-language": "ko;q=0, en;q=0.1" });
    expect(refused.text).toContain('<html lang="en">');
  });

  it("keeps the arithmetic out of the feed, the JSON and the banner", async () => {
    const feed = await get("/status/history.atom", { "accept-language": "ko" });
    expect(feed.text).toContain('xml:lang="ko"');
    expect(feed.text).toMatch(/<title>조사 중: (일부 메시지|메시지를)/);
    expect(feed.text).not.toMatch(/×|error budget/);
    // The JSON is for programs and widgets: one language, English words.
    const summary = JSON.parse((await get("/summary.json", { "accept-language": "ko" })).text) as {
      incidents: { id: string; name: string; incident_updates: { body: string }[] }[];
    };
    const listed = summary.incidents.find((i) => i.id === incident.id);
    expect(listed?.name).toMatch(MESSAGING_EN);
    for (const update of listed?.incident_updates ?? []) expect(update.body).not.toMatch(INTERNAL);

    const auth = await registerUser(node.server.url, "reader");
    const client = await RawClient.connect(node.server.wsUrl, auth.token);
    try {
      await client.until(() => client.eventsOf("incident").length > 0);
      const notice = (client.eventsOf("incident") as IncidentEvent[]).find((e) => e.incident.id === incident.id);
      expect(notice?.incident.title).toMatch(MESSAGING_EN);
      expect(notice?.incident.titles?.en).toBe(notice?.incident.title);
      expect(notice?.incident.titles?.ko).toMatch(MESSAGING_KO);
    } finally {
      await client.close();
    }
  });

  it("says in both languages that messages send normally again once it resolves by itself", async () => {
    await sends(true, async () => (await incidents()).find((i) => i.id === incident.id)?.status === "resolved");
    const en = await get(`/status/incidents/${incident.id}`, { "accept-language": "en" });
    expect(en.text).toContain("Messages are sending normally again.");
    expect(en.text).not.toMatch(/×|error budget|burning/);
    const ko = await get(`/status/incidents/${incident.id}`, { "accept-language": "ko" });
    expect(ko.text).toContain("메시지가 다시 정상적으로 전송됩니다.");
    expect(ko.text).toContain("해결됨");
  }, 60_000);
});
