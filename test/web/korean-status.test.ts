/** @module Korean without English leftovers: the public status page (by `?lang=ko` and by Accept-Language) and the web client's incident banner in the Korean UI, with incidents open, in Chromium at PC and phone widths. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, openApp, PC, PHONE, signUp } from "./browser.js";

const STAFF = { username: "ops", role: "staff" as const };
/** Latin words a Korean page may show: the product's name, the link that switches to English, format names. */
const ALLOWED = new Set(["Haetae", "English", "Atom", "JSON"]);

let server: TestServer;
let browser: Browser;

/**
 * The Latin-letter words of the page's visible text that are not allowed. Machine names marked
 * `translate="no"` (an endpoint, a file name) are left out: they are the same in every language.
 */
async function englishLeftovers(page: Page, within = "body", alsoAllowed: string[] = []): Promise<string[]> {
  // A string, run in the page (this file is compiled without the DOM's types).
  const text = await page.evaluate<string>(`(() => {
    const copy = document.querySelector(${JSON.stringify(within)}).cloneNode(true);
    for (const skipped of copy.querySelectorAll("[translate=no], script, style, noscript")) skipped.remove();
    return copy.textContent;
  })()`);
  return [...new Set(text.match(/[A-Za-z][A-Za-z'’-]+/g) ?? [])].filter(
    (word) => !ALLOWED.has(word) && !alsoAllowed.some((allowed) => allowed.includes(word)),
  );
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ staffChatConversation: "" }), launchBrowser()]);
  const tower = server.app.tower ?? expect.fail("the node runs its tower");
  // Staff declare one in Korean; an alert opens another (its public words are the tower's own).
  const { incident } = tower.declare(
    { title: "메시지 전송 지연", components: ["messaging"], message: "일부 메시지가 늦게 도착합니다." },
    STAFF,
  );
  tower.update(incident.id, { status: "identified", body: "데이터베이스 노드를 교체하고 있습니다." }, STAFF);
  tower.ingestAlert({
    source: "alertmanager",
    dedupKey: "files-slow",
    name: "FileUploadsSlow",
    summary: "p95 upload latency 14.2s over 5m",
    action: "trigger",
    urgency: "page",
    components: ["files"],
  });
  tower.scheduleMaintenance(
    {
      title: "데이터베이스 업그레이드",
      body: "최대 1분 동안 전송이 멈출 수 있습니다.",
      components: ["messaging"],
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 88_200_000).toISOString(),
    },
    STAFF,
  );
  const past = tower.declare({ title: "로그인 실패", components: ["login"] }, STAFF).incident;
  tower.update(past.id, { status: "resolved", body: "로그인이 정상으로 돌아왔습니다." }, STAFF);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

for (const size of ["pc", "phone"] as const) {
  describe(`Korean on a ${size}`, () => {
    const viewport = size === "phone" ? PHONE : PC;

    it("the status page is all Korean by ?lang=ko in an English browser, and by Accept-Language ko", async () => {
      for (const [locale, path] of [
        ["en-US", "/status?lang=ko"],
        ["ko-KR", "/status"],
      ] as const) {
        const context = await browser.newContext({ viewport, locale });
        try {
          const page = await context.newPage();
          const res = await page.goto(`${server.url}${path}`);
          expect(res?.status()).toBe(200);
          expect(await page.locator("html").getAttribute("lang")).toBe("ko");
          expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Haetae 서비스 상태");
          const current = page.getByRole("region", { name: "진행 중인 장애" });
          expect(await current.getByRole("article").count()).toBe(2);
          expect(await current.textContent()).toContain("메시지 전송 지연");
          expect(await current.textContent()).toContain("원인 확인");
          expect(await englishLeftovers(page), `${locale} ${path}`).toEqual([]);
          // The incident's own page, reached by its link, stays Korean.
          await current.getByRole("link", { name: "메시지 전송 지연" }).first().click();
          await page.getByRole("heading", { level: 1, name: "메시지 전송 지연" }).waitFor();
          expect(await page.locator("html").getAttribute("lang")).toBe("ko");
          expect(await page.locator("body").textContent()).toContain("데이터베이스 노드를 교체하고 있습니다.");
          expect(await englishLeftovers(page), `${locale} incident page`).toEqual([]);
        } finally {
          await context.close();
        }
      }
    });

    it("the web client in Korean shows the incident banner in Korean, with no English left", async () => {
      const { context, page } = await openApp(browser, server.url, { locale: "ko-KR", size });
      try {
        // The username is the person's own (Latin letters): the only Latin word allowed besides the fixed ones.
        const username = `kst${size}${process.pid % 10000}`;
        await signUp(page, username, "상태 확인");
        const banner = page.getByRole("alert");
        // The banner shows the worst open incident: the alert's, worded by the tower in Korean.
        await expect
          .poll(() => banner.textContent(), { timeout: 10_000 })
          .toMatch(/파일을 보내고 여는 것이 느립니다조사 중/);
        expect(await englishLeftovers(page, "[role=alert]")).toEqual([]);
        expect(await page.locator("html").getAttribute("lang")).toBe("ko");
        // The chat list around it, and the settings, are Korean too.
        expect(await englishLeftovers(page)).toEqual([]);
        await page.goto("/settings");
        await page.getByRole("region", { name: "알림" }).waitFor();
        expect(await englishLeftovers(page, "body", [username]), "settings").toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
}
