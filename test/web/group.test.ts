/** @module A group of three (two PCs and a phone in Korean): creating it (strangers accept an invitation), @all, mention suggestions, reads, typing; contacts. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness.js";
import {
  launchBrowser,
  message,
  messageTexts,
  openApp,
  openConversation,
  screenshot,
  send,
  signUp,
} from "./browser.js";

let server: TestServer;
let browser: Browser;
let minsu: Page;
let yuna: Page;
let doyun: Page;
const GROUP = "주말 등산";

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  [minsu, yuna, doyun] = await Promise.all([
    openApp(browser, server.url).then((a) => a.page),
    openApp(browser, server.url).then((a) => a.page),
    openApp(browser, server.url, { size: "phone", locale: "ko-KR" }).then((a) => a.page),
  ]);
  await screenshot(doyun, "phone-login");
  await Promise.all([
    signUp(minsu, "minsu", "Minsu Lee"),
    signUp(yuna, "yuna", "Yuna"),
    signUp(doyun, "doyun", "도윤"),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A member's list entry for the group. */
const entry = (page: Page) => page.getByRole("link", { name: new RegExp(GROUP) });

describe("a group of three", () => {
  it("is created by picking members and naming it", async () => {
    await minsu.getByRole("link", { name: /new chat/i }).click();
    await minsu.getByLabel(/^group$/i).check();
    for (const username of ["yuna", "doyun"]) {
      await minsu.getByLabel(/find by username/i).fill(username);
      await minsu.getByRole("button", { name: /^find$/i }).click();
      await minsu.getByRole("checkbox", { name: new RegExp(`@${username}`) }).waitFor();
    }
    await minsu.getByText("2 selected").waitFor();
    await minsu.getByLabel(/group name/i).fill(GROUP);
    await screenshot(minsu, "pc-new-group");
    await minsu.getByRole("button", { name: /create group/i }).click();
    await minsu.getByRole("heading", { name: GROUP }).waitFor();
    // Yuna and 도윤 have not added Minsu as a contact: they are invited, and join by accepting.
    await minsu.getByText(/were invited: they join when they accept/).waitFor();
    const invitation = (page: Page) => page.locator(".invitation", { hasText: GROUP });
    await invitation(yuna).getByText("Invited by Minsu Lee").waitFor();
    expect(await entry(yuna).count()).toBe(0);
    await invitation(yuna).getByRole("button", { name: "Accept" }).click();
    await invitation(doyun).getByText("Minsu Lee님이 초대했습니다").waitFor();
    await invitation(doyun).getByRole("button", { name: "수락" }).click();
    for (const page of [yuna, doyun]) {
      await entry(page).waitFor();
      await invitation(page).waitFor({ state: "detached" });
    }
  });

  it("delivers @all to everyone as a mention, and the unread count falls as each one reads", async () => {
    await send(minsu, "@all meet at 9 at the station");
    const sent = message(minsu, "meet at 9");
    await expect.poll(() => sent.locator(".unread-by").getAttribute("data-count")).toBe("2");
    for (const page of [yuna, doyun]) {
      await expect.poll(() => entry(page).locator(".badge.mention").getAttribute("data-count")).toBe("1");
    }
    await screenshot(doyun, "phone-list");

    await openConversation(doyun, new RegExp(GROUP));
    const seen = message(doyun, "meet at 9");
    await expect.poll(() => seen.getAttribute("class")).toContain("mentions-me");
    expect(await seen.locator("mark.mention").textContent()).toBe("@all");
    await expect.poll(() => sent.locator(".unread-by").getAttribute("data-count")).toBe("1");

    await openConversation(yuna, new RegExp(GROUP));
    await expect.poll(() => sent.locator(".unread-by").count()).toBe(0);
    for (const page of [yuna, doyun]) await expect.poll(() => entry(page).locator(".badge").count()).toBe(0);
  });

  it("suggests members while typing @, and mentions only the one picked", async () => {
    const box = minsu.getByRole("textbox", { name: /^message$/i });
    await box.pressSequentially("@yu");
    // Names that start with the text come first (Yuna), then names that contain it (doyun).
    await minsu.getByRole("option", { name: /doyun/i }).waitFor();
    expect(await minsu.getByRole("option").allTextContents()).toEqual(["Yuna @yuna", "도윤 @doyun"]);
    expect(await minsu.getByRole("option", { selected: true }).textContent()).toBe("Yuna @yuna");
    await box.press("Enter");
    expect(await box.inputValue()).toBe("@yuna ");
    await box.pressSequentially("bring snacks please");
    await box.press("Enter");
    await expect.poll(() => message(yuna, "bring snacks").getAttribute("class")).toContain("mentions-me");
    await message(doyun, "bring snacks").waitFor();
    expect(await message(doyun, "bring snacks").getAttribute("class")).not.toContain("mentions-me");
    expect(await message(doyun, "bring snacks").locator("mark.mention").textContent()).toBe("@yuna");
  });

  it("shows who is typing, and everyone ends with the same messages in the same order", async () => {
    await doyun.getByRole("textbox", { name: /^메시지$/ }).fill("좋아요");
    await minsu.getByText("도윤 is typing…").waitFor();
    await send(doyun, "좋아요! 간식은 제가 챙길게요 🍙");
    await yuna.getByRole("textbox", { name: /^message$/i }).fill("See you there");
    await yuna.getByRole("textbox", { name: /^message$/i }).press("Enter");
    const all = [
      "@all meet at 9 at the station",
      "@yuna bring snacks please",
      "좋아요! 간식은 제가 챙길게요 🍙",
      "See you there",
    ];
    for (const page of [minsu, yuna, doyun]) await expect.poll(() => messageTexts(page)).toEqual(all);
    await messageAction(doyun, "See you there", "👍");
    await expect.poll(() => message(minsu, "See you there").locator(".reaction").textContent()).toBe("👍 1");
    await minsu.mouse.move(0, 0);
    await screenshot(minsu, "pc-group-chat");
    await screenshot(doyun, "phone-chat");
  });
});

describe("contacts", () => {
  it("finds a user by username, adds, blocks and unblocks them", async () => {
    await minsu
      .getByRole("navigation")
      .getByRole("link", { name: /contacts/i })
      .click();
    await minsu.getByLabel(/find by username/i).fill("yuna");
    await minsu.getByRole("button", { name: /^find$/i }).click();
    await minsu.locator(".people li[data-user=yuna]").getByRole("button", { name: /^add$/i }).click();
    const contacts = minsu
      .getByRole("heading", { name: /^contacts$/i, level: 3 })
      .locator("xpath=following-sibling::ul[1]");
    await contacts.locator("li[data-user=yuna]").waitFor();
    await contacts
      .locator("li[data-user=yuna]")
      .getByRole("button", { name: /^block$/i })
      .click();
    const blocked = minsu.getByRole("heading", { name: /^blocked$/i }).locator("xpath=following-sibling::ul[1]");
    await blocked.locator("li[data-user=yuna]").waitFor();
    await screenshot(minsu, "pc-contacts");
    await blocked
      .locator("li[data-user=yuna]")
      .getByRole("button", { name: /^unblock$/i })
      .click();
    await blocked.locator("li[data-user=yuna]").waitFor({ state: "detached" });
  });
});

/** React from the phone's menu (its labels are Korean). */
async function messageAction(page: Page, text: string, emoji: string): Promise<void> {
  await message(page, text).getByRole("button", { name: "메시지 메뉴" }).click();
  await page.getByRole("menuitem", { name: `${emoji} 공감하기` }).click();
}
