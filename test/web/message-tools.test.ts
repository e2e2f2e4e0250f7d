/** @module Search (Ctrl+K over every chat, Ctrl+F in one, "phrases" and from:), the pinned notice, forwarding, copying one or several messages — in the browser at PC and phone sizes. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { uploaded } from "../files/files-helpers.js";
import { addContactOf, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, logIn, message, messageAction, openApp, openConversation } from "./browser.js";
import { SEED_LIMITS } from "./seed-chat.js";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(SEED_LIMITS), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** An owner and a member with a direct chat and a group ("Book club"), each with a few messages. */
async function seed(prefix: string): Promise<{ owner: AuthReply; member: AuthReply }> {
  const owner = await registerUser(server.url, `${prefix}o`, "Hana Owner");
  const member = await registerUser(server.url, `${prefix}m`, "Jisu Member");
  await addContactOf(server, owner.user.id, [member.user.id]);
  const o = await RawClient.connect(server.wsUrl, owner.token);
  const m = await RawClient.connect(server.wsUrl, member.token);
  try {
    const group = await o.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "group",
      memberIds: [member.user.id],
      title: "Book club",
    });
    const direct = await o.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [member.user.id],
    });
    const say = (client: RawClient, conversationId: string, text: string, n: number) =>
      client.ok("message.send", { conversationId, clientMsgId: `${prefix}-${n}`, text });
    const g = group.conversation.id;
    let n = 0;
    for (let i = 1; i <= 30; i++) await say(o, g, `Chapter ${i} notes`, n++);
    await say(o, g, "We meet Friday at the blue whale café", n++);
    await say(m, g, "Alpha line from Jisu", n++);
    await say(m, g, "Beta line from Jisu", n++);
    await say(o, direct.conversation.id, "Did you see the blue whale poster?", n++);
    await say(m, direct.conversation.id, "Not yet", n++);
    const map = await uploaded(server.url, owner.token, new TextEncoder().encode("map"), "map.txt");
    await o.ok("message.send", {
      conversationId: direct.conversation.id,
      clientMsgId: `${prefix}-map`,
      text: "Whale map for the trip",
      fileIds: [map.id],
    });
    // Both have read everything: the chats open at the bottom.
    for (const [client, id] of [
      [o, g],
      [m, g],
      [o, direct.conversation.id],
      [m, direct.conversation.id],
    ] as const) {
      await client.ok("read", { conversationId: id, seq: id === g ? 33 : 3 });
    }
  } finally {
    o.ws.close();
    m.ws.close();
  }
  return { owner, member };
}

/** Open a chat from the list (on a phone, back to the list first). */
async function openChat(page: Page, title: RegExp): Promise<void> {
  const back = page.getByRole("link", { name: /^back$/i });
  if (await back.isVisible()) await back.click();
  await openConversation(page, title);
}

const clipboard = (page: Page) => page.evaluate<string>("navigator.clipboard.readText()");
const lit = (page: Page, text: string) => message(page, text).getAttribute("class");

for (const size of ["pc", "phone"] as const) {
  describe(`message tools (${size})`, () => {
    let owner: Page;
    let member: Page;
    let users: { owner: AuthReply; member: AuthReply };

    beforeAll(async () => {
      users = await seed(size);
      const a = await openApp(browser, server.url, { size });
      const b = await openApp(browser, server.url, { size });
      for (const { context } of [a, b]) {
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
      }
      owner = a.page;
      member = b.page;
      await logIn(owner, users.owner.user.username);
      await logIn(member, users.member.user.username);
    }, 60_000);

    it("copies one message's text from its menu", async () => {
      await openChat(member, /^Book club/);
      await messageAction(member, "Alpha line from Jisu", /^copy text$/i);
      await expect.poll(() => clipboard(member)).toBe("Alpha line from Jisu");
      await member.getByText("Copied.").waitFor();
    });

    it("selects several messages with the keyboard and copies them in order", async () => {
      await messageAction(member, "Beta line from Jisu", /^select$/i);
      const bar = member.getByRole("toolbar", { name: /selected messages/i });
      await bar.getByText("1 selected").waitFor();
      // The composer gives way to the bar; each message has a checkbox, reachable by keyboard.
      expect(await member.getByRole("textbox", { name: /^message$/i }).count()).toBe(0);
      const alpha = member.getByRole("checkbox", { name: /select message: alpha line/i });
      await alpha.focus();
      await member.keyboard.press("Space");
      await bar.getByText("2 selected").waitFor();
      await bar.getByRole("button", { name: /^copy$/i }).click();
      await expect
        .poll(() => clipboard(member))
        .toMatch(/Jisu Member: Alpha line from Jisu\n.*Jisu Member: Beta line from Jisu$/);
      await bar.waitFor({ state: "detached" });
    });

    it("forwards selected messages to several chats", async () => {
      await messageAction(member, "We meet Friday", /^forward$/i);
      const dialog = member.getByRole("dialog", { name: /forward to/i });
      await dialog.getByRole("checkbox", { name: /hana owner/i }).check();
      await dialog.getByRole("checkbox", { name: /book club/i }).check();
      await dialog.getByRole("button", { name: /^forward/i }).click();
      await member.getByText("Forwarded.").waitFor();
      await dialog.waitFor({ state: "detached" });
      // In this group (at the bottom, where I am) and in the direct chat, on the owner's side too.
      await expect.poll(() => message(member, "We meet Friday").count()).toBe(2);
      // The copy says it was forwarded; the original does not.
      const marked = message(member, "We meet Friday").filter({ has: member.locator(".forwarded") });
      await expect.poll(() => marked.count()).toBe(1);
      expect(await marked.locator(".forwarded").textContent()).toMatch(/^\s*Forwarded$/);
      expect(await marked.getAttribute("data-seq")).not.toBe(
        await message(member, "We meet Friday").first().getAttribute("data-seq"),
      );
      await openChat(owner, /^Jisu Member/);
      await message(owner, "We meet Friday at the blue whale café").waitFor();
      await message(owner, "We meet Friday at the blue whale café").getByText("Forwarded").waitFor();
    });

    it("searches every chat with Ctrl+K, marks the matches and opens the message in context", async () => {
      await owner.keyboard.press("Control+k");
      const dialog = owner.getByRole("dialog", { name: /search all chats/i });
      await dialog.getByRole("searchbox").fill('"blue whale"');
      const results = dialog.getByRole("list", { name: /search results/i });
      // The poster (direct), the café (group) and its two forwarded copies.
      await expect.poll(() => results.getByRole("listitem").count()).toBe(4);
      expect(await results.locator("mark").first().textContent()).toMatch(/blue whale/i);
      await results.getByRole("button", { name: /poster/i }).click();
      await owner.getByRole("heading", { name: "Jisu Member" }).waitFor();
      await expect.poll(() => lit(owner, "blue whale poster")).toContain("lit");
    });

    it("searches in the open chat with Ctrl+F and from:, keyboard only", async () => {
      await openChat(owner, /^Book club/);
      await owner.getByRole("log").focus();
      await owner.keyboard.press("Control+f");
      const dialog = owner.getByRole("dialog", { name: /search in this chat/i });
      const box = dialog.getByRole("searchbox");
      await box.fill(`line from:${users.member.user.username}`);
      await box.press("Enter");
      const results = dialog.getByRole("list", { name: /search results/i });
      await expect.poll(() => results.getByRole("listitem").count()).toBe(2);
      await box.press("ArrowDown");
      await owner.keyboard.press("Enter");
      await dialog.waitFor({ state: "detached" });
      await expect.poll(() => lit(owner, "Beta line from Jisu")).toContain("lit");
      // A sender nobody has: said plainly.
      await owner.keyboard.press("Control+f");
      await owner.getByRole("searchbox").fill("line from:nosuchuser");
      await owner.getByText(/no user named nosuchuser/i).waitFor();
      await owner.keyboard.press("Escape");
    });

    it("filters a search by files and by day, typed (has:file, after:, before:) or with the panel's controls", async () => {
      const day = (offset: number) =>
        owner.evaluate((n) => {
          const d = new Date();
          d.setDate(d.getDate() + n);
          const two = (x: number) => String(x).padStart(2, "0");
          return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
        }, offset);
      const [today, tomorrow] = [await day(0), await day(1)];
      await owner.keyboard.press("Control+k");
      const dialog = owner.getByRole("dialog", { name: /search all chats/i });
      const box = dialog.getByRole("searchbox");
      const results = dialog.getByRole("list", { name: /search results/i });
      const count = () => results.getByRole("listitem").count();
      // The poster, the café, its two forwarded copies and the map.
      await box.fill("whale");
      await expect.poll(count).toBe(5);
      await box.fill("whale has:file");
      await expect.poll(count).toBe(1);
      expect(await results.getByRole("listitem").textContent()).toContain("Whale map for the trip");
      await box.fill(`whale after:${tomorrow}`);
      await dialog.getByText("No messages found.").waitFor();
      await box.fill(`whale after:${today} before:${tomorrow}`);
      await expect.poll(count).toBe(5);
      await box.fill("whale before:2026-02-31");
      await dialog.getByText(/before:2026-02-31: write the day as/i).waitFor();
      // The panel's own controls do the same.
      await box.fill("whale");
      await expect.poll(count).toBe(5);
      await dialog.getByRole("checkbox", { name: /with files/i }).check();
      await expect.poll(count).toBe(1);
      await dialog.getByRole("checkbox", { name: /with files/i }).uncheck();
      await expect.poll(count).toBe(5);
      await dialog.getByLabel(/^from/i).fill(tomorrow);
      await dialog.getByText("No messages found.").waitFor();
      await dialog.getByLabel(/^from/i).fill(today);
      await dialog.getByLabel(/^to/i).fill(today);
      await expect.poll(count).toBe(5);
      await owner.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });

    it("pins a notice the members see, which opens its message; the owner unpins it", async () => {
      await messageAction(owner, "Chapter 30 notes", /^pin as notice$/i);
      for (const page of [owner, member]) {
        await page
          .getByRole("region", { name: /pinned notice/i })
          .getByText("Chapter 30 notes")
          .waitFor();
      }
      await member
        .getByRole("region", { name: /pinned notice/i })
        .getByRole("button")
        .first()
        .click();
      await expect.poll(() => lit(member, "Chapter 30 notes")).toContain("lit");
      expect(await member.getByRole("button", { name: /^unpin$/i }).count()).toBe(0);
      await owner.getByRole("button", { name: /^unpin$/i }).click();
      await member.getByRole("region", { name: /pinned notice/i }).waitFor({ state: "detached" });
    });
  });
}
