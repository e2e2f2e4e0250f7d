/** @module Accessibility of every screen: axe-core (no serious or critical violation) on each screen of the web client, the staff console and the status page at PC and phone widths, and the main features used by keyboard alone. */
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { addContactOf, postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { expectAccessible, tabTo } from "./a11y.js";
import { launchBrowser, logIn, message, openConversation, PASSWORD, PC, PHONE } from "./browser.js";

const STAFF = { username: "ops", role: "staff" as const };
const ADMIN = "a11y_admin";

let server: TestServer;
let browser: Browser;
let groupId: string;
let incidentId: string;

async function register(username: string, displayName: string): Promise<AuthReply> {
  return postJson<AuthReply>(server.url, "/api/v1/auth/register", { username, password: PASSWORD, displayName }, 201);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ adminUsernames: ADMIN, staffChatConversation: "" }),
    launchBrowser(),
  ]);
  // Everyone the screens show: two readers (one per width), a writer, and a staff admin.
  const writer = await register("a11y_writer", "Writer Kim");
  const readers = [await register("a11y_pc", "Reader PC"), await register("a11y_phone", "Reader Phone")];
  await register(ADMIN, "Admin");
  await addContactOf(
    server,
    writer.user.id,
    readers.map((r) => r.user.id),
  );
  const client = await RawClient.connect(server.wsUrl, writer.token);
  const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "group",
    memberIds: readers.map((r) => r.user.id),
    title: "Book club",
  });
  groupId = conversation.id;
  const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: "#3b8" } })
    .png()
    .toBuffer();
  const uploaded = await fetch(`${server.url}/api/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${writer.token}`, "x-file-name": "shelf.png" },
    body: photo,
  });
  expect(uploaded.status).toBe(201);
  const { file } = (await uploaded.json()) as { file: { id: string } };
  let n = 0;
  const send = (params: Record<string, unknown>) =>
    client.ok("message.send", { conversationId: groupId, clientMsgId: `m${++n}`, ...params });
  await send({ text: "We meet Friday at the blue whale café" });
  await send({ text: "", fileIds: [file.id] });
  await send({ text: "Bring the second book" });
  await client.close();
  // An open incident for the banner, the console and the status page.
  const tower = server.app.tower ?? expect.fail("the node runs its tower");
  incidentId = tower.declare(
    { title: "Messages are delayed", components: ["messaging"], message: "Some messages arrive late." },
    STAFF,
  ).incident.id;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

for (const size of ["pc", "phone"] as const) {
  describe(`every screen on a ${size}`, () => {
    let context: BrowserContext;
    let page: Page;
    const at = (screen: string) => `${screen} (${size})`;

    beforeAll(async () => {
      const phone = size === "phone";
      context = await browser.newContext({
        baseURL: server.url,
        viewport: phone ? PHONE : PC,
        locale: "en-US",
        ...(phone ? { isMobile: true, hasTouch: true } : {}),
      });
      context.setDefaultTimeout(10_000);
      page = await context.newPage();
      page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    });
    afterAll(async () => {
      await context?.close();
    });

    it("the web client: login, register, chat list, chat, lightbox, search, group info, settings and the rest", async () => {
      await page.goto("/");
      await page.getByLabel(/^username/i).waitFor();
      await expectAccessible(page, at("login"));
      await page.getByRole("button", { name: /sign up/i }).click();
      await page.getByLabel(/name shown to others/i).waitFor();
      await expectAccessible(page, at("register"));
      await page.goto("/");
      await logIn(page, `a11y_${size}`);
      await page.getByRole("list", { name: /conversations/i }).waitFor();
      await page.getByRole("alert").waitFor(); // the incident banner is part of the screen
      await expectAccessible(page, at("chat list with the incident banner"));

      await openConversation(page, /Book club/);
      await message(page, "Bring the second book").waitFor();
      await expectAccessible(page, at("chat"));

      await page.getByRole("button", { name: /open shelf\.png/i }).click();
      const lightbox = page.getByRole("dialog", { name: /photo viewer/i });
      await lightbox.waitFor();
      await expectAccessible(page, at("lightbox"));
      await page.keyboard.press("Escape");
      await lightbox.waitFor({ state: "detached" });

      await page.keyboard.press("Control+k");
      const search = page.getByRole("dialog", { name: /search all chats/i });
      await search.getByRole("searchbox").fill("whale");
      await search
        .getByRole("list", { name: /search results/i })
        .getByRole("listitem")
        .first()
        .waitFor();
      await expectAccessible(page, at("search"));
      await page.keyboard.press("Escape");
      await search.waitFor({ state: "detached" });

      for (const [path, screen, ready] of [
        [`/c/${encodeURIComponent(groupId)}/info`, "group info", /members/i],
        ["/settings", "settings", /^notifications$/i],
        ["/contacts", "contacts", /contacts/i],
        ["/new", "new chat", /new chat/i],
        ["/devices", "devices", /devices/i],
      ] as const) {
        await page.goto(path);
        await page.getByRole("heading", { name: ready }).first().waitFor();
        await expectAccessible(page, at(screen));
      }
    }, 120_000);

    it("the staff console: login and every section, and an incident's page", async () => {
      // A profile of its own: the chat's login (same origin, same storage) is not staff.
      const consoleContext = await browser.newContext({
        baseURL: server.url,
        viewport: size === "phone" ? PHONE : PC,
        locale: "en-US",
        ...(size === "phone" ? { isMobile: true, hasTouch: true } : {}),
      });
      const consolePage = await consoleContext.newPage();
      try {
        await consolePage.goto("/console");
        await consolePage.getByLabel(/^username/i).waitFor();
        await expectAccessible(consolePage, at("console login"));
        await consolePage.getByLabel(/^username/i).fill(ADMIN);
        await consolePage.getByLabel(/^password/i).fill(PASSWORD);
        await consolePage.getByRole("button", { name: /^log in$/i }).click();
        const nav = consolePage.getByRole("navigation", { name: /console sections/i });
        await nav.waitFor();
        for (const section of ["Incidents", "Alerts", "Components", "Logs", "Figures", "Access"]) {
          await nav.getByRole("link", { name: section }).click();
          await consolePage.getByRole("heading", { level: 1 }).first().waitFor();
          await consolePage.waitForLoadState("networkidle");
          await expectAccessible(consolePage, at(`console ${section}`));
        }
        await consolePage.goto(`/console/incidents/${encodeURIComponent(incidentId)}`);
        await consolePage.getByRole("heading", { level: 1, name: /messages are delayed/i }).waitFor();
        await expectAccessible(consolePage, at("console incident"));
      } finally {
        await consoleContext.close();
      }
    }, 120_000);

    it("the main features by keyboard alone: log in, open a chat, send, view a photo, search, reach settings", async () => {
      const keyboardContext = await browser.newContext({
        baseURL: server.url,
        viewport: size === "phone" ? PHONE : PC,
        locale: "en-US",
      });
      keyboardContext.setDefaultTimeout(10_000);
      const kb = await keyboardContext.newPage();
      const keys = kb.keyboard;
      try {
        await kb.goto("/");
        await tabTo(kb, kb.getByLabel(/^username/i), 10);
        await keys.type(`a11y_${size}`);
        await tabTo(kb, kb.getByLabel(/^password/i), 5);
        await keys.type(PASSWORD);
        await keys.press("Enter");
        const list = kb.getByRole("list", { name: /conversations/i });
        await tabTo(kb, list.getByRole("link", { name: /Book club/ }), 40);
        await keys.press("Enter");
        await message(kb, "Bring the second book").waitFor();

        const box = kb.getByRole("textbox", { name: /^message$/i });
        await tabTo(kb, box, 60);
        await keys.type(`typed without a mouse on a ${size}`);
        await keys.press("Enter");
        await message(kb, `typed without a mouse on a ${size}`).waitFor();

        const open = kb.getByRole("button", { name: /open shelf\.png/i });
        await tabTo(kb, open, 60, "Shift+Tab");
        await keys.press("Enter");
        const lightbox = kb.getByRole("dialog", { name: /photo viewer/i });
        await lightbox.waitFor();
        await keys.press("Escape");
        await lightbox.waitFor({ state: "detached" });
        // Focus goes back where it was, so the keyboard user keeps their place.
        expect(await open.evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);

        await keys.press("Control+k");
        const search = kb.getByRole("dialog", { name: /search all chats/i });
        await search.getByRole("searchbox").waitFor();
        await keys.type("second book");
        const result = search
          .getByRole("list", { name: /search results/i })
          .getByRole("button")
          .first();
        // Past the filters (with files, from, and two dates of three fields each).
        await tabTo(kb, result, 30);
        await keys.press("Enter");
        await search.waitFor({ state: "detached" });
        await message(kb, "Bring the second book").waitFor();

        if (size === "phone") {
          // A phone shows one pane: back to the list first, where the navigation is.
          await tabTo(kb, kb.getByRole("link", { name: /^back$/i }), 80, "Shift+Tab");
          await keys.press("Enter");
          await list.waitFor();
        }
        const settings = kb.getByRole("link", { name: /^settings$/i });
        await tabTo(kb, settings, 80, "Shift+Tab");
        await keys.press("Enter");
        await kb.getByRole("region", { name: /^notifications$/i }).waitFor();
        expect(new URL(kb.url()).pathname).toBe("/settings");
      } finally {
        await keyboardContext.close();
      }
    }, 120_000);

    it("the status page and an incident's page", async () => {
      const statusPage = await context.newPage();
      try {
        for (const path of ["/status", `/status/incidents/${encodeURIComponent(incidentId)}`, "/status?lang=ko"]) {
          await statusPage.goto(path);
          await statusPage.getByRole("heading", { level: 1 }).waitFor();
          await expectAccessible(statusPage, at(`status page ${path}`));
        }
      } finally {
        await statusPage.close();
      }
    });
  });
}
