/** @module When the chat server cannot be reached but its status page can, the web client says what the status page knows and how many messages wait; in Korean and English, in Chromium. */
import { createServer } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { launchBrowser, message, openApp, screenshot, send, signUp, startDirectChat } from "./browser.js";

/** Short, so the test sees the blip rule and a few polls in seconds (defaults: 5 s and 30 s). */
const AFTER_MS = 2500;
const EVERY_MS = 1000;
const STAFF = { username: "ops", role: "staff" as const };

let server: TestServer;
let browser: Browser;
/** Browsers reach the chat server only through this: cutting it is the chat server going away. */
let chatProxy: TcpProxy;
/** And the status page (the node's status port) through this one, cut only when the test says so. */
let statusProxy: TcpProxy;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const statusPort = await freePort();
  statusProxy = await startTcpProxy("127.0.0.1", statusPort);
  [server, browser] = await Promise.all([
    startTestServer({
      // Both set: the URL wins (the client would otherwise reach the status port directly, and
      // "its status page doesn't answer either" below would never be said).
      statusPort,
      statusPageUrl: `http://127.0.0.1:${statusProxy.port}`,
      offlineStatusAfterMs: AFTER_MS,
      offlineStatusEveryMs: EVERY_MS,
      staffChatConversation: "",
    }),
    launchBrowser(),
  ]);
  chatProxy = await startTcpProxy("127.0.0.1", server.app.port);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await chatProxy?.close();
  await statusProxy?.close();
  await server?.stop();
});

/** Sign up, open a chat with a new person and send one message, all through the chat proxy (of `on`). */
async function chatting(page: Page, username: string, on: TestServer = server): Promise<string> {
  const peer = await registerUser(on.url, "peer");
  await signUp(page, username, username);
  await startDirectChat(page, peer.user.username);
  await send(page, "before the cut");
  await message(page, "before the cut").waitFor();
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
}

/** Every message of the conversation as the server stores it, asked directly (not through the proxy). */
async function storedTexts(page: Page, conversationId: string): Promise<string[]> {
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem("haetae.session")).token`);
  const raw = await RawClient.connect(server.wsUrl, token);
  try {
    const reply = await raw.ok<{ messages: Message[] }>("history", { conversationId, limit: 100 });
    return reply.messages.map((m) => m.text);
  } finally {
    await raw.close();
  }
}

/** Counts the page's requests for the status summary. */
function summaryRequests(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on("request", (request) => {
    if (request.url().endsWith("/api/v2/summary.json")) seen.count += 1;
  });
  return seen;
}

function cutChat(proxy: TcpProxy = chatProxy): void {
  proxy.refuse = true;
  proxy.cut();
}

describe("the connection banner when the chat server is unreachable", () => {
  it("tells an incident once: the banner keeps the one it shows, the notice tells the others, in Korean with the unsent count", async () => {
    const { context, page } = await openApp(browser, `http://127.0.0.1:${chatProxy.port}`);
    try {
      const conversationId = await chatting(page, "sora");
      await page.evaluate(`localStorage.setItem("haetae.lang", "ko")`);
      await page.reload();
      await message(page, "before the cut").waitFor();
      const asked = summaryRequests(page);
      const tower = server.app.tower ?? expect.fail("tower");
      const { incident } = tower.declare({ title: "메시지 전송 실패", components: ["messaging"] }, STAFF);
      const banner = page.getByRole("alert", { name: "서비스 장애 안내" });
      await banner.filter({ hasText: "메시지 전송 실패" }).filter({ hasText: "조사 중" }).waitFor();

      cutChat();
      const connection = page.getByRole("status").filter({ hasText: /다시 연결하는 중|연결하는 중/ });
      await connection.waitFor();
      for (const text of ["하나", "둘", "셋"]) await send(page, text);
      // A blip is not an outage: nothing asked, nothing claimed, until the connection has failed a while.
      expect(asked.count).toBe(0);
      expect(await page.locator(".banner.connection").getAttribute("data-outage")).toBeNull();

      // The status page knows only the incident the banner shows: the notice points at the banner.
      const pointed = page
        .getByRole("status")
        .filter({ hasText: "해태에 연결할 수 없습니다. 알려진 장애는 아래 안내와 같습니다." })
        .filter({ hasText: "보내지 못한 메시지 3개는 연결되면 전송됩니다." });
      await pointed.waitFor({ timeout: 15_000 });
      expect(asked.count).toBeGreaterThan(0);
      expect(await page.getByText("메시지 전송 실패").count()).toBe(1);
      expect(await pointed.getByRole("link", { name: "상태 페이지" }).getAttribute("href")).toBe(
        `${server.url}/status/incidents/${encodeURIComponent(incident.id)}`,
      );

      // The status page moves on while the chat server is away: the banner takes its newer word.
      tower.update(incident.id, { status: "identified", body: "원인을 찾았습니다." }, STAFF);
      await banner
        .filter({ hasText: "메시지 전송 실패" })
        .filter({ hasText: "원인 확인" })
        .waitFor({ timeout: 10_000 });
      expect(await page.getByText("메시지 전송 실패").count()).toBe(1);

      // An incident opened while the chat server was away reached no banner: the notice tells it.
      const { incident: files } = tower.declare({ title: "파일 전송 지연", components: ["files"] }, STAFF);
      const time = await page.evaluate<string>(
        `new Intl.DateTimeFormat("ko", { hour: "numeric", minute: "2-digit" }).format(new Date(${JSON.stringify(files.createdAt)}))`,
      );
      const told = page
        .getByRole("status")
        .filter({ hasText: `파일 전송 지연 (${time}부터) — 확인하고 있습니다.` })
        .filter({ hasText: "보내지 못한 메시지 3개는 연결되면 전송됩니다." });
      await told.waitFor({ timeout: 10_000 });
      await screenshot(page, "pc-outage-ko");
      expect(await told.getByRole("link", { name: "상태 페이지" }).getAttribute("href")).toBe(
        `${server.url}/status/incidents/${encodeURIComponent(files.id)}`,
      );
      expect(await page.getByText("메시지 전송 실패").count()).toBe(1);
      expect(await page.getByText("파일 전송 지연").count()).toBe(1);

      // Both resolved on the status page: the banner goes too, and the notice says nothing is known.
      tower.update(incident.id, { status: "resolved", body: "복구되었습니다." }, STAFF);
      tower.update(files.id, { status: "resolved", body: "복구되었습니다." }, STAFF);
      await page
        .getByRole("status")
        .filter({ hasText: "해태에 연결할 수 없지만 알려진 장애는 없어 보입니다. 인터넷 연결을 확인해 주세요." })
        .filter({ hasText: "보내지 못한 메시지 3개는" })
        .waitFor({ timeout: 10_000 });
      expect(await banner.count()).toBe(0);

      chatProxy.refuse = false;
      await expect
        .poll(() => page.locator(".banner.connection").getAttribute("data-state"), { timeout: 20_000 })
        .toBe("open");
      expect(await page.locator(".banner.connection").isHidden()).toBe(true);
      await expect
        .poll(() => storedTexts(page, conversationId), { timeout: 10_000 })
        .toEqual(["before the cut", "하나", "둘", "셋"]);
      // Connected again: the polling has stopped.
      const after = asked.count;
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS * 3));
      expect(asked.count).toBe(after);
    } finally {
      chatProxy.refuse = false;
      await context.close();
    }
  }, 120_000);

  it("says when no outage is known, and when the status page does not answer either, in English", async () => {
    const { context, page } = await openApp(browser, `http://127.0.0.1:${chatProxy.port}`);
    try {
      const conversationId = await chatting(page, "hana");
      cutChat();
      await page
        .getByRole("status")
        .filter({ hasText: /reconnecting|connecting/i })
        .waitFor();
      await send(page, "in the tunnel");
      await page
        .getByRole("status")
        .filter({
          hasText:
            "We can't reach Haetae, and it doesn't look like a known outage — check your connection. Your unsent message goes out when it is back.",
        })
        .waitFor({ timeout: 15_000 });

      statusProxy.refuse = true;
      statusProxy.cut();
      await page
        .getByRole("status")
        .filter({ hasText: "We can't reach Haetae, and its status page doesn't answer either." })
        .filter({ hasText: "Your unsent message goes out when it is back." })
        .waitFor({ timeout: 15_000 });

      statusProxy.refuse = false;
      chatProxy.refuse = false;
      await expect
        .poll(() => page.locator(".banner.connection").getAttribute("data-state"), { timeout: 20_000 })
        .toBe("open");
      await expect
        .poll(() => storedTexts(page, conversationId), { timeout: 10_000 })
        .toEqual(["before the cut", "in the tunnel"]);
    } finally {
      chatProxy.refuse = false;
      statusProxy.refuse = false;
      await context.close();
    }
  }, 90_000);
});

describe("a status port and no status page URL", () => {
  /** A node whose status page is only on its status port: the client must find it there. */
  let portOnly: TestServer;
  let portOnlyProxy: TcpProxy;
  let statusPort: number;

  beforeAll(async () => {
    statusPort = await freePort();
    portOnly = await startTestServer({
      statusPort,
      offlineStatusAfterMs: AFTER_MS,
      offlineStatusEveryMs: EVERY_MS,
      staffChatConversation: "",
    });
    portOnlyProxy = await startTcpProxy("127.0.0.1", portOnly.app.port);
  }, 60_000);

  afterAll(async () => {
    await portOnlyProxy?.close();
    await portOnly?.stop();
  });

  it("asks the status port on the page's own host, allowed by the page's policy, and tells what it knows", async () => {
    const { context, page } = await openApp(browser, `http://127.0.0.1:${portOnlyProxy.port}`);
    try {
      await chatting(page, "mina", portOnly);
      const urls: string[] = [];
      page.on("request", (request) => {
        if (request.url().endsWith("/summary.json")) urls.push(request.url());
      });
      const refused: string[] = [];
      page.on("console", (entry) => {
        if (/Content Security Policy/i.test(entry.text())) refused.push(entry.text());
      });
      cutChat(portOnlyProxy);
      await page
        .getByRole("status")
        .filter({ hasText: /reconnecting|connecting/i })
        .waitFor();
      // Opened while the chat server is away: no banner knows it, only the status port does.
      const tower = portOnly.app.tower ?? expect.fail("tower");
      const { incident } = tower.declare({ title: "Sending is failing", components: ["messaging"] }, STAFF);
      const time = await page.evaluate<string>(
        `new Intl.DateTimeFormat("en", { hour: "numeric", minute: "2-digit" }).format(new Date(${JSON.stringify(incident.createdAt)}))`,
      );
      await page
        .getByRole("status")
        .filter({ hasText: `Sending is failing (since ${time}) — we are on it.` })
        .waitFor({ timeout: 15_000 });
      expect(urls.length).toBeGreaterThan(0);
      expect(new Set(urls)).toEqual(new Set([`http://127.0.0.1:${statusPort}/api/v2/summary.json`]));
      expect(refused).toEqual([]);
      tower.update(incident.id, { status: "resolved", body: "Fixed." }, STAFF);
    } finally {
      portOnlyProxy.refuse = false;
      await context.close();
    }
  }, 90_000);
});
