/** @module Connection honesty in a browser: offline sends survive a reload and arrive once, in order; the incident banner. */
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { RawClient, startTestServer, type TestServer } from "../harness.js";
import {
  launchBrowser,
  message,
  messageTexts,
  openApp,
  openConversation,
  screenshot,
  send,
  signUp,
  startDirectChat,
} from "./browser.js";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every message of a conversation as the server stores it. */
async function storedTexts(page: Page, conversationId: string): Promise<string[]> {
  // Strings, not functions: the tests are typed without the DOM library.
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem("haetae.session")).token`);
  const raw = await RawClient.connect(server.wsUrl, token);
  try {
    const reply = await raw.ok<{ messages: Message[] }>("history", { conversationId, limit: 100 });
    return reply.messages.map((m) => m.text);
  } finally {
    await raw.close();
  }
}

/** The conversation ids of the snapshot the app saved in IndexedDB for offline starts. */
function savedConversations(page: Page): Promise<string[]> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open("haetae");
    open.onerror = reject;
    open.onsuccess = () => {
      const get = open.result.transaction("kv").objectStore("kv").getAll();
      get.onsuccess = () => {
        const snapshot = get.result.find((value) => value && Array.isArray(value.conversations));
        resolve(snapshot ? snapshot.conversations.map((s) => s.conversation.id) : []);
      };
    };
  })`);
}

describe("offline", () => {
  let sora: { context: BrowserContext; page: Page };
  let taeyang: Page;

  it("keeps what was typed offline through a reload and delivers each message once, in order", async () => {
    sora = await openApp(browser, server.url);
    taeyang = (await openApp(browser, server.url)).page;
    await signUp(sora.page, "sora", "이소라");
    await signUp(taeyang, "taeyang", "Taeyang");
    await startDirectChat(sora.page, "taeyang");
    await send(sora.page, "before the tunnel");
    await message(sora.page, "before the tunnel").waitFor();
    await openConversation(taeyang, /이소라/);
    const conversationId = decodeURIComponent(new URL(sora.page.url()).pathname.split("/").pop() ?? "");
    // The service worker must hold the app shell before the network goes, or the reload cannot load;
    // and the app must have saved its snapshot (it does so shortly after changes) for the list to show.
    await sora.page.evaluate("navigator.serviceWorker.ready.then(() => true)");
    await expect.poll(() => savedConversations(sora.page)).toEqual([conversationId]);

    await sora.context.setOffline(true);
    await sora.page
      .getByRole("status")
      .filter({ hasText: /you are offline/i })
      .waitFor();
    for (const text of ["offline 1", "offline 2", "offline 3"]) await send(sora.page, text);
    const sending = sora.page.locator("li.msg.unsent[data-state=sending] .text");
    await expect.poll(() => sending.allTextContents()).toEqual(["offline 1", "offline 2", "offline 3"]);
    // Nothing leaked out through the old socket, which the browser keeps open while "offline".
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await messageTexts(taeyang)).toEqual(["before the tunnel"]);

    await sora.page.reload();
    await sora.page
      .getByRole("status")
      .filter({ hasText: /you are offline/i })
      .waitFor();
    await expect.poll(() => sending.allTextContents()).toEqual(["offline 1", "offline 2", "offline 3"]);
    expect(await messageTexts(sora.page)).toEqual(["before the tunnel"]);
    await screenshot(sora.page, "pc-offline");

    await sora.context.setOffline(false);
    const expected = ["before the tunnel", "offline 1", "offline 2", "offline 3"];
    await expect.poll(() => messageTexts(taeyang), { timeout: 10_000 }).toEqual(expected);
    await expect.poll(() => messageTexts(sora.page), { timeout: 10_000 }).toEqual(expected);
    await expect.poll(() => sora.page.locator("li.msg.unsent").count()).toBe(0);
    expect(await storedTexts(sora.page, conversationId)).toEqual(expected);
    // And a second reload, now online, finds nothing left to send.
    await sora.page.reload();
    await expect.poll(() => messageTexts(sora.page)).toEqual(expected);
    expect(await sora.page.locator("li.msg.unsent").count()).toBe(0);
    expect(await storedTexts(sora.page, conversationId)).toEqual(expected);
  });
});

describe("incident banner", () => {
  it("shows an incident the server announces, with the status page link, until dismissed", async () => {
    const context = await browser.newContext({ baseURL: server.url, locale: "en-US" });
    let socket: WebSocketRoute | undefined;
    // Between page and server, so the test can speak as the server: everything else passes through.
    await context.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
      ws.connectToServer();
      socket = ws;
    });
    const page = await context.newPage();
    await page.goto("/");
    await signUp(page, "hana", "Hana");
    await expect.poll(() => socket !== undefined).toBe(true);
    const incident = {
      id: "inc-1",
      title: "Messages are delayed",
      status: "investigating",
      impact: "major",
      url: "https://status.example.com/incidents/inc-1",
    };
    socket?.send(JSON.stringify({ type: "incident", incident }));
    const banner = page.getByRole("alert").filter({ hasText: "Messages are delayed" });
    await banner.waitFor();
    expect(await banner.getByRole("link", { name: /status page/i }).getAttribute("href")).toBe(incident.url);
    await banner.getByRole("button", { name: /hide this notice/i }).click();
    await banner.waitFor({ state: "detached" });
    // A new update of the same incident shows again; "resolved" takes it away.
    socket?.send(JSON.stringify({ type: "incident", incident: { ...incident, status: "identified" } }));
    await banner.waitFor();
    socket?.send(JSON.stringify({ type: "incident", incident: { ...incident, status: "resolved" } }));
    await banner.waitFor({ state: "detached" });
    await context.close();
  });
});
