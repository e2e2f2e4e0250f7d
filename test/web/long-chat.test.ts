/** @module A long chat in the browser at PC and phone sizes: opening at the first unread, a windowed log, paging both ways, jump to bottom, a quoted reply loaded on demand. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, logIn, message, openApp, openConversation, screenshot } from "./browser.js";
import { SEED_LIMITS, type SeededChat, seedChat } from "./seed-chat.js";

let server: TestServer;
let browser: Browser;
const COUNT = 1200;
const UNREAD = 300;
const FIRST_UNREAD = COUNT - UNREAD + 1;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(SEED_LIMITS), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Rows of the log in the page: messages, day lines, the unread line. */
const rowCount = (page: Page) => page.locator(".log li[data-key]").count();
const scrollTop = (page: Page) => page.locator(".log").evaluate((el) => el.scrollTop);

for (const size of ["pc", "phone"] as const) {
  describe(`a chat of ${COUNT} messages, ${UNREAD} unread (${size})`, () => {
    let chat: SeededChat;
    let page: Page;

    beforeAll(async () => {
      // Message 1150 quotes 150 (long before the first page); 1000 quotes 990.
      chat = await seedChat(server, { count: COUNT, unread: UNREAD, replies: [1150], replyGap: 1000, prefix: size });
      page = (await openApp(browser, server.url, { size })).page;
      await logIn(page, chat.reader.user.username);
      await openConversation(page, /Writer Kim/);
    }, 120_000);

    it("opens at the first unread message under an 'Unread messages' line", async () => {
      const line = page.locator(".log .unread-line", { hasText: "Unread messages" });
      await line.waitFor();
      await message(page, `Message ${FIRST_UNREAD}`).waitFor();
      // The line is near the top of the screen, the first unread right under it.
      const box = await line.boundingBox();
      const log = await page.locator(".log").boundingBox();
      expect(box && log && box.y - log.y).toBeLessThan(80);
      expect(await rowCount(page)).toBeLessThan(100);
      await screenshot(page, `${size}-unread-line`);
    });

    it("asks for older pages well before the top, and what is on screen does not move when one lands", async () => {
      // Scrolled up 40 px a frame: each time, the row that was at the top of the screen must be
      // exactly 40 px lower; a landed page shows as the space above the rows growing.
      // In-page code as text: the test's TypeScript has no DOM types.
      const run = await page.evaluate<{ landed: number; drift: number; nearestTop: number }>(`(async () => {
        const el = document.querySelector(".log");
        const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
        const pad = () => el.querySelector(".messages > .pad").offsetHeight;
        let landed = 0;
        let drift = 0;
        let nearestTop = Infinity;
        for (let step = 0; step < 400 && el.scrollTop > 80; step++) {
          const top = el.getBoundingClientRect().top;
          const row = [...el.querySelectorAll("li[data-seq]")].find((li) => li.getBoundingClientRect().bottom > top + 1);
          if (!row) throw new Error("no message on screen");
          const y = row.getBoundingClientRect().top;
          const padBefore = pad();
          el.scrollTop -= 40;
          await frame();
          await frame();
          const now = el.querySelector('li[data-seq="' + row.dataset.seq + '"]');
          drift = Math.max(drift, Math.abs((now ? now.getBoundingClientRect().top : NaN) - (y + 40)));
          if (pad() > padBefore + el.clientHeight) landed++;
          if (landed === 0) nearestTop = Math.min(nearestTop, el.scrollTop / el.clientHeight);
        }
        return { landed, drift, nearestTop };
      })()`);
      expect(run.landed).toBeGreaterThan(0);
      expect(run.drift).toBeLessThan(2);
      // The first page that landed during the scroll was asked for while the loaded rows still
      // reached more than two screens above the reader.
      expect(run.nearestTop).toBeGreaterThan(2);
    });

    it("keeps fewer than 100 rows in the page while scrolling up, loads older pages and keeps the place", async () => {
      for (let i = 0; i < 12; i++) {
        await page.locator(".log").evaluate((el) => el.scrollBy(0, -el.clientHeight));
        await page.waitForTimeout(60);
        expect(await rowCount(page)).toBeLessThan(100);
      }
      // Older pages came: a message well before the first loaded window is in the page after scrolling.
      const seqs = await page
        .locator(".log li[data-seq]")
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
      expect(Math.min(...seqs)).toBeLessThan(FIRST_UNREAD - 100);
      // The place is kept while an older page lands above: the same message stays at the same height.
      const anchor = page.locator(".log li[data-seq]").nth(5);
      const seq = await anchor.getAttribute("data-seq");
      const before = await page.locator(`.log li[data-seq="${seq}"]`).boundingBox();
      await page.waitForTimeout(400);
      const after = await page.locator(`.log li[data-seq="${seq}"]`).boundingBox();
      expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThan(2);
    });

    it("jumps to the newest messages with a button that counts them", async () => {
      const button = page.getByRole("button", { name: /jump to the newest messages/i });
      await button.waitFor();
      // The count is of the messages below the furthest one seen: the unread ones past the first screen.
      const count = Number((await button.textContent())?.match(/\d+/)?.[0]);
      expect(count).toBeGreaterThan(UNREAD - 60);
      expect(count).toBeLessThan(UNREAD);
      await button.click();
      await message(page, `Message ${COUNT}`).waitFor();
      await button.waitFor({ state: "detached" });
      expect(await rowCount(page)).toBeLessThan(100);
    });

    it("goes to a quoted message that is not loaded, highlighted, and the log pages down from there", async () => {
      const reply = page.locator(".log li[data-seq='1150']");
      // Windowed: the reply enters the page only once scrolled near.
      for (let i = 0; i < 40 && (await reply.count()) === 0; i++) {
        await page.locator(".log").evaluate((el) => el.scrollBy(0, -el.clientHeight / 2));
        await page.waitForTimeout(50);
      }
      await reply.scrollIntoViewIfNeeded();
      expect(await reply.locator(".bubble > .text").textContent()).toBe("Message 1150");
      await reply.locator(".quote").click();
      const quoted = message(page, /^Message 150$/);
      await quoted.waitFor();
      await expect.poll(() => quoted.getAttribute("class")).toContain("lit");
      expect(await quoted.isVisible()).toBe(true);
      // Scrolling down from there loads later pages (the window does not reach the end).
      const top = await scrollTop(page);
      for (let i = 0; i < 6; i++) {
        await page.locator(".log").evaluate((el) => el.scrollBy(0, el.clientHeight));
        await page.waitForTimeout(80);
      }
      expect(await scrollTop(page)).toBeGreaterThan(top);
      await message(page, /^Message 2[0-9]{2}$/)
        .first()
        .waitFor();
      expect(await rowCount(page)).toBeLessThan(100);
    });
  });
}
