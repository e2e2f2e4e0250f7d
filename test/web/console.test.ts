/** @module The staff console in Chromium: "staff only" for a plain user; an admin declares, updates, overrides severity, resolves and closes a SEV2 review, searches logs in Korean, and sees an Alertmanager alert. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, PASSWORD, PC, screenshot } from "./browser.js";

const ADMIN = "chief";
const PLAIN = "minsu";
const ALERT_TOKEN = "console-test-alert-token";

let server: TestServer;
let browser: Browser;
let admin: Page;
let incidentPath: string;

/** Open the console in a fresh profile and log in through its form. */
async function openConsole(username: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport: PC, locale: "en-US" });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto("/console");
  await page.getByLabel(/^username/i).fill(username);
  await page.getByLabel(/^password/i).fill(PASSWORD);
  await page.getByRole("button", { name: /^log in$/i }).click();
  return page;
}

/** A section of a console screen, found by its heading. */
const section = (page: Page, name: string | RegExp) => page.getByRole("region", { name });

beforeAll(async () => {
  [server, browser] = await Promise.all([
    // The admin comes from config, as an operator would set it up.
    startTestServer({ adminUsernames: ADMIN, alertToken: ALERT_TOKEN, towerTickMs: 100 }),
    launchBrowser(),
  ]);
  for (const username of [ADMIN, PLAIN]) {
    await postJson(server.url, "/api/v1/auth/register", { username, password: PASSWORD }, 201);
  }
  admin = await openConsole(ADMIN);
  await admin.getByRole("navigation", { name: /console sections/i }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the staff console", () => {
  it("shows a plain user 'staff only', because the server answers forbidden", async () => {
    const page = await openConsole(PLAIN);
    await page.getByRole("heading", { name: "Staff only" }).waitFor();
    await expect.poll(() => page.locator("main").textContent()).toContain("forbidden");
    expect(await page.getByRole("navigation", { name: /console sections/i }).count()).toBe(0);
    // The page only reports the server's refusal: the same token is refused by the API itself.
    const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem("haetae.session")).token`);
    const res = await fetch(`${server.url}/api/v1/ops/incidents`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    await page.context().close();
  });

  it("lets an admin declare an incident and post a public update, recorded in the timeline with who and when", async () => {
    await section(admin, "Declare an incident").waitFor();
    const form = section(admin, "Declare an incident");
    await form.getByLabel("Title").fill("메시지 전송 지연 (sends delayed)");
    await form.getByLabel("Messaging").check();
    await form.getByLabel(/first public update/i).fill("Some messages are slow to arrive. Nothing is lost.");
    await form.getByRole("button", { name: "Declare incident" }).click();
    await admin.waitForURL(/\/console\/incidents\/[^/]+$/);
    incidentPath = new URL(admin.url()).pathname;
    await admin.getByRole("heading", { level: 1, name: /메시지 전송 지연/ }).waitFor();
    const updates = section(admin, "Public updates");
    await expect.poll(() => updates.textContent()).toContain("Some messages are slow to arrive");

    const update = section(admin, "Status and public update");
    await update.getByLabel("Status").selectOption("identified");
    await update.getByLabel("Public update").fill("A database node is failing over; sends queue until it is back.");
    await update.getByRole("button", { name: "Post update" }).click();
    await expect.poll(() => updates.textContent()).toContain("database node is failing over");
    const timeline = section(admin, "Timeline");
    const statusEntry = timeline.locator("li[data-kind=status]").last();
    await expect.poll(() => statusEntry.textContent()).toContain("identified");
    expect(await statusEntry.locator(".by").textContent()).toBe(`@${ADMIN}`);
    expect(await statusEntry.locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("overrides the severity with a reason, showing graded and override apart", async () => {
    const severity = section(admin, /^Severity$/);
    const graded = (await severity.locator("dt:has-text('Graded by the rules') + dd").textContent())?.trim();
    expect(graded).toMatch(/^SEV[34]$/);
    await severity.getByLabel("New severity").selectOption("SEV2");
    await severity.getByLabel("Reason for the override").fill("Half of all sends in the Busan region fail");
    await severity.getByRole("button", { name: "Set severity" }).click();
    await expect.poll(() => severity.getByTestId("override").textContent()).toContain("Half of all sends");
    expect(await severity.getByTestId("override").textContent()).toContain(`@${ADMIN}`);
    expect((await severity.locator("dt:has-text('In effect') + dd").textContent())?.trim()).toBe("SEV2");
    // The rules' grade is still shown beside the override.
    expect((await severity.locator("dt:has-text('Graded by the rules') + dd").textContent())?.trim()).toBe(graded);
    const entry = section(admin, "Timeline").locator("li[data-kind=severity_override]");
    await expect.poll(() => entry.textContent()).toContain("SEV2: Half of all sends");
    await admin.evaluate("window.scrollTo(0, 0)");
    await screenshot(admin, "console");
  });

  it("resolves the SEV2, is refused closing its review without cause, fix and follow-up, then closes it", async () => {
    const update = section(admin, "Status and public update");
    await update.getByLabel("Status").selectOption("resolved");
    await update.getByLabel("Public update").fill("Sending is back to normal.");
    await update.getByRole("button", { name: "Post update" }).click();
    await expect.poll(() => admin.locator(".incident-head .state").textContent()).toBe("Resolved");

    const log = section(admin, "Incident log");
    await log.getByRole("button", { name: "Close review" }).click();
    const refusal = log.getByRole("alert");
    await expect.poll(() => refusal.textContent()).toContain("incident_log_incomplete");
    expect(await refusal.textContent()).toMatch(/cause, fix, a follow-up/);

    await log.getByLabel("Cause").fill("데이터베이스 연결 풀이 가득 차서 전송이 대기열에 쌓였습니다.");
    await log.getByLabel("Fix").fill("Raised the pool size and restarted the stuck node.");
    await log.getByRole("button", { name: "Save log" }).click();
    await expect.poll(() => log.getByRole("button", { name: "Save log" }).isDisabled()).toBe(true);
    await log.getByRole("button", { name: "Close review" }).click();
    await expect.poll(() => log.getByRole("alert").textContent()).toMatch(/needs a follow-up before/);

    const add = log.getByRole("form", { name: "Add follow-up" });
    await add.getByLabel("Action").fill("Alert on connection pool saturation");
    await add.getByLabel("Owner").fill(ADMIN);
    await add.getByLabel("Due").fill("2031-01-15");
    await add.getByRole("button", { name: "Add follow-up" }).click();
    await expect.poll(() => log.getByRole("table").textContent()).toContain("Alert on connection pool saturation");
    await log.getByRole("button", { name: "Close review" }).click();
    await expect.poll(() => log.getByRole("status").textContent()).toContain(`Review closed by @${ADMIN}`);
  });

  it("finds the incident by searching its log in Korean", async () => {
    await admin
      .getByRole("navigation", { name: /console sections/i })
      .getByRole("link", { name: "Logs" })
      .click();
    const search = section(admin, "Search incident logs");
    await search.getByLabel(/words/i).fill("연결 풀");
    await search.getByRole("button", { name: "Search" }).click();
    const results = search.getByRole("list", { name: "Search results" });
    await results.getByRole("link", { name: /메시지 전송 지연/ }).waitFor();
    expect(await results.locator(".snippet").first().textContent()).toContain("연결 풀");
    await results.getByRole("link", { name: /메시지 전송 지연/ }).click();
    await admin.waitForURL(`**${incidentPath}`);
  });

  it("shows an alert posted in Alertmanager's webhook format, and acknowledges it", async () => {
    // Shaped as Alertmanager's documented version 4 webhook body.
    const payload = {
      receiver: "haetae",
      status: "firing",
      alerts: [
        {
          status: "firing",
          labels: {
            alertname: "ProbeFailure",
            instance: "https://chat.example.org",
            job: "http_checks",
            severity: "critical",
          },
          annotations: {
            description: "Instance https://chat.example.org has been down for over 5m. Job: http_checks",
            summary: "BlackBox Probe Failure: https://chat.example.org",
          },
          startsAt: new Date().toISOString(),
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0",
          fingerprint: "1a30ba71cca2921f",
        },
      ],
      groupLabels: { alertname: "ProbeFailure" },
      commonLabels: {
        alertname: "ProbeFailure",
        instance: "https://chat.example.org",
        job: "http_checks",
        severity: "critical",
      },
      commonAnnotations: { summary: "BlackBox Probe Failure: https://chat.example.org" },
      externalURL: "http://prometheus.example.org:9093",
      version: "4",
      groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      truncatedAlerts: 0,
    };
    // Alertmanager repeats a group's notification while it fires: the same alert, counted twice.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}/api/v1/ops/alerts/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ALERT_TOKEN}` },
        body: JSON.stringify(payload),
      });
      expect(res.status).toBe(200);
    }

    await admin
      .getByRole("navigation", { name: /console sections/i })
      .getByRole("link", { name: "Alerts" })
      .click();
    const row = section(admin, "Alerts").getByRole("row", { name: /ProbeFailure/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("Alertmanager");
    expect(await row.locator("td").nth(2).textContent()).toBe("2");
    expect(await row.getAttribute("data-state")).toBe("firing");
    expect(await row.getByRole("link").textContent()).toMatch(/\S/); // the incident it opened
    await row.getByRole("button", { name: "Acknowledge ProbeFailure" }).click();
    await expect.poll(() => row.getAttribute("data-state")).toBe("acknowledged");
  });

  it("lets an admin give the plain user the staff role, after which the console opens for them (without the admin's Access section)", async () => {
    const nav = admin.getByRole("navigation", { name: /console sections/i });
    await nav.getByRole("link", { name: "Access" }).click();
    const access = section(admin, "Staff access");
    await access.getByLabel("Username").fill(PLAIN);
    await access.getByLabel("Role").selectOption("staff");
    await access.getByRole("button", { name: "Set role" }).click();
    await expect.poll(() => access.getByRole("status").textContent()).toContain(`@${PLAIN} is now staff`);

    const page = await openConsole(PLAIN);
    const staffNav = page.getByRole("navigation", { name: /console sections/i });
    await staffNav.waitFor();
    expect(await staffNav.getByRole("link").allTextContents()).toEqual([
      "Incidents",
      "Alerts",
      "Components",
      "Logs",
      "Figures",
    ]);
    await section(page, "Incidents")
      .getByRole("link", { name: /메시지 전송 지연/ })
      .waitFor();
    await page.context().close();
  });
});
