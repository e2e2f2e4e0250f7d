/** @module The public status page in Chromium (PC and phone, English and Korean, switched by a link), and the web client's banner from a real tower change linking to it, in the UI's language. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";
import { launchBrowser, openApp, PC, PHONE, screenshot, signUp } from "./browser.js";

let server: TestServer;
let browser: Browser;
let tower: MemoryTower;
let delayed: ReturnType<MemoryTower["open"]>;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ staffChatConversation: "" }), launchBrowser()]);
  tower = new MemoryTower(server.url);
  server.app.propagation.attach(tower);
  const past = tower.open({
    title: "파일 업로드 지연",
    components: [{ id: "files", status: "degraded_performance" }],
    impact: "minor",
    body: "일부 파일 업로드가 느립니다.",
  });
  tower.update(
    past.id,
    "resolved",
    "업로드 속도가 정상으로 돌아왔습니다.",
    "저장소 디스크가 가득 찼습니다. 여유 공간 경보를 추가했습니다.",
  );
  delayed = tower.open({
    title: "Messages are delayed",
    components: [{ id: "messaging", status: "partial_outage" }],
    impact: "major",
    body: "Some messages take minutes to arrive. Nothing is lost.",
  });
  tower.update(delayed.id, "identified", "A database node is failing over; sends queue until it is back.");
  tower.open({
    title: "Login failures",
    components: [{ id: "login", status: "major_outage" }],
    impact: "critical",
  });
  tower.scheduleMaintenance({
    title: "Database upgrade",
    body: "Sending may pause for up to a minute.",
    components: ["messaging"],
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    endsAt: new Date(Date.now() + 88_200_000).toISOString(),
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("status page in a browser", () => {
  it("shows the overall state, both open incidents, components, maintenance and history, readable by role", async () => {
    const context = await browser.newContext({ viewport: PC, locale: "en-US", javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${server.url}/status`);
      expect(res?.status()).toBe(200);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Haetae status");
      expect(await page.getByRole("heading", { name: "Major System Outage" }).count()).toBe(1);
      const current = page.getByRole("region", { name: "Current incidents" });
      expect(await current.getByRole("article").count()).toBe(2);
      expect(await current.getByRole("link", { name: "Messages are delayed" }).count()).toBe(1);
      const components = page.getByRole("region", { name: "Components" }).getByRole("listitem");
      expect(await components.allTextContents()).toEqual([
        "MessagingPartial outage",
        "LoginMajor outage",
        "FilesOperational",
      ]);
      expect(await page.getByRole("region", { name: "Planned maintenance" }).textContent()).toContain(
        "Database upgrade",
      );
      const history = page.getByRole("region", { name: "Past incidents" });
      expect(await history.textContent()).toContain("저장소 디스크가 가득 찼습니다");
      await screenshot(page, "status-page");
      await page.getByRole("link", { name: "Messages are delayed" }).first().click();
      await page.waitForURL(`**/status/incidents/${delayed.id}?lang=en`); // links keep the page's language
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Messages are delayed");
      expect(await page.locator("ol.updates li").count()).toBe(2);
      await screenshot(page, "status-incident");
    } finally {
      await context.close();
    }
  });

  it("fits a phone without sideways scrolling", async () => {
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, locale: "ko-KR" });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/status`);
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(page, "phone-status-page");
    } finally {
      await context.close();
    }
  });

  it("the web client's banner shows a real incident from the tower and links to its page", async () => {
    const { context, page } = await openApp(browser, server.url);
    try {
      await signUp(page, `banner${process.pid % 10000}`, "Banner");
      const banner = page.getByRole("alert");
      const text = async () => (await banner.textContent({ timeout: 500 }).catch(() => "")) ?? "";
      await expect.poll(text, { timeout: 10_000 }).toContain("Login failures");
      const incident = tower.open({
        title: "Sends fail",
        components: [{ id: "messaging", status: "major_outage" }],
        impact: "critical",
      });
      await expect.poll(text, { timeout: 10_000 }).toContain("Sends fail");
      const href = await banner.getByRole("link").getAttribute("href");
      expect(href).toBe(`${server.url}/status/incidents/${incident.id}`);
      tower.update(incident.id, "resolved", "Fixed.");
      await expect.poll(text, { timeout: 10_000 }).not.toContain("Sends fail");
    } finally {
      await context.close();
    }
  });

  it("is Korean in a Korean browser, and its English link switches the page without script", async () => {
    const context = await browser.newContext({ viewport: PC, locale: "ko-KR", javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/status`);
      expect(await page.locator("html").getAttribute("lang")).toBe("ko");
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Haetae 서비스 상태");
      const components = page.getByRole("region", { name: "구성 요소" }).getByRole("listitem");
      expect(await components.allTextContents()).toEqual(["메시지부분 장애", "Login전체 장애", "파일정상"]);
      expect(await page.getByRole("region", { name: "진행 중인 장애" }).textContent()).toContain("원인 확인");
      await page.getByRole("navigation", { name: "언어" }).getByRole("link", { name: "English" }).click();
      await page.waitForURL("**/status?lang=en");
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Haetae status");
      // The language chosen travels with the links: the incident's page stays English.
      await page.getByRole("link", { name: "Messages are delayed" }).first().click();
      await page.waitForURL(`**/status/incidents/${delayed.id}?lang=en`);
      expect(await page.locator("ol.updates").textContent()).toContain("Identified");
    } finally {
      await context.close();
    }
  });

  it("the banner in the Korean UI words an alert-opened incident and its status in Korean, never the alert's text", async () => {
    const { context, page } = await openApp(browser, server.url, { locale: "ko-KR" });
    try {
      await signUp(page, `koban${process.pid % 10000}`, "배너");
      const banner = page.getByRole("alert");
      const text = async () => (await banner.textContent({ timeout: 500 }).catch(() => "")) ?? "";
      const incident = tower.open({
        title: "SLO send (messages are stored) is burning its error budget at 90.9× over 1h and 95.0× over 5m",
        components: [{ id: "messaging", status: "partial_outage" }],
        impact: "major",
        origin: "alert",
      });
      await expect.poll(text, { timeout: 10_000 }).toContain("일부 메시지 전송이 실패하고 있습니다");
      expect(await banner.locator(".incident-status").textContent()).toBe("조사 중");
      expect(await text()).not.toMatch(/×|error budget|investigating/);
      tower.update(incident.id, "identified", "원인을 찾았습니다.");
      await expect.poll(() => banner.locator(".incident-status").textContent(), { timeout: 10_000 }).toBe("원인 확인");
      tower.update(incident.id, "resolved", "해결했습니다.");
      await expect.poll(text, { timeout: 10_000 }).not.toContain("일부 메시지 전송이 실패하고 있습니다");
    } finally {
      await context.close();
    }
  });
});
