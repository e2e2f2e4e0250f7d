/** @module Two people in two browser profiles: sign up, a direct chat, the unread "1", mentions, reply, reaction, edit, delete, keyboard and IME. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEB_SETTINGS_META } from "../../src/protocol/web-settings.js";
import { startTestServer, type TestServer } from "../harness.js";
import {
  launchBrowser,
  message,
  messageAction,
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
let minji: Page;
let junho: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  minji = (await openApp(browser, server.url)).page;
  junho = (await openApp(browser, server.url)).page;
  await screenshot(minji, "pc-login");
  await signUp(minji, "minji", "김민지");
  await signUp(junho, "junho", "Junho Park");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Junho's list entry for the chat with Minji. */
const junhosEntry = () => junho.getByRole("link", { name: /김민지/ });

describe("two people chatting in a direct conversation", () => {
  it("delivers messages and shows the unread badge to the other", async () => {
    await startDirectChat(minji, "junho");
    await send(minji, "Hello Junho!");
    await message(minji, "Hello Junho!").waitFor();
    await expect.poll(() => junhosEntry().locator(".badge.unread").getAttribute("data-count")).toBe("1");
    await expect.poll(() => junhosEntry().locator(".preview").textContent()).toBe("Hello Junho!");
  });

  it("shows the unread 1 beside my message until the other reads it", async () => {
    await expect.poll(() => message(minji, "Hello Junho!").locator(".unread-by").getAttribute("data-count")).toBe("1");
    await send(minji, "@junho are you there?");
    await message(minji, "are you there?").waitFor();
    // A mention counts: Junho's list shows an @ badge beside the unread count.
    await expect.poll(() => junhosEntry().locator(".badge.mention").getAttribute("data-count")).toBe("1");
    await expect.poll(() => junhosEntry().locator(".badge.unread").getAttribute("data-count")).toBe("2");

    await openConversation(junho, /김민지/);
    expect(await messageTexts(junho)).toEqual(["Hello Junho!", "@junho are you there?"]);
    // The mention is highlighted for the one it names.
    const mention = message(junho, "are you there?");
    await expect.poll(() => mention.getAttribute("class")).toContain("mentions-me");
    expect(await mention.locator("mark.mention").textContent()).toBe("@junho");
    // Junho read both: Minji's "1"s disappear, and Junho's badges are gone.
    await expect.poll(() => minji.locator(".unread-by").count()).toBe(0);
    await expect.poll(() => junhosEntry().locator(".badge").count()).toBe(0);
  });

  it("shows a reply with its quote on both sides", async () => {
    await messageAction(junho, "Hello Junho!", /^reply$/i);
    await junho.getByText(/replying to 김민지/i).waitFor();
    await send(junho, "Hi Minji 👋");
    for (const page of [junho, minji]) {
      await expect.poll(() => message(page, "Hi Minji").locator(".quote").textContent()).toContain("Hello Junho!");
    }
  });

  it("shows a reaction on both sides, and taking it back", async () => {
    await messageAction(minji, "Hi Minji", /react with 👍/i);
    for (const page of [minji, junho]) {
      await expect.poll(() => message(page, "Hi Minji").locator(".reaction").textContent()).toBe("👍 1");
    }
    await message(minji, "Hi Minji").getByRole("button", { name: "👍 1" }).click();
    for (const page of [minji, junho]) {
      await expect.poll(() => message(page, "Hi Minji").locator(".reaction").count()).toBe(0);
    }
    await messageAction(junho, "Hi Minji", /react with ❤️/i);
    await expect.poll(() => message(minji, "Hi Minji").locator(".reaction").textContent()).toBe("❤️ 1");
  });

  it("shows an edit on both sides", async () => {
    await messageAction(minji, "Hello Junho!", /^edit$/i);
    const box = minji.getByRole("textbox", { name: /^message$/i });
    // The composer takes the text on its next render, after the menu's click.
    await expect.poll(() => box.inputValue()).toBe("Hello Junho!");
    await box.fill("Hello, Junho!");
    await box.press("Enter");
    for (const page of [minji, junho]) {
      await expect.poll(() => message(page, "Hello, Junho!").locator(".edited").textContent()).toContain("edited");
    }
    // The reply's quote follows the edit.
    await expect.poll(() => message(junho, "Hi Minji").locator(".quote").textContent()).toContain("Hello, Junho!");
  });

  it("shows a delete for everyone on both sides", async () => {
    await messageAction(minji, "are you there?", /delete for everyone/i);
    await minji
      .getByRole("alertdialog")
      .getByRole("button", { name: /delete for everyone/i })
      .click();
    for (const page of [minji, junho]) {
      await expect.poll(() => page.getByRole("log").getByText("This message was deleted.").count()).toBe(1);
      await expect.poll(() => page.getByRole("log").getByText("are you there?").count()).toBe(0);
    }
    await screenshot(minji, "pc-chat");
  });
});

/** The accessible label of the focused element. */
const focused = (page: Page) => page.evaluate<string | null>("document.activeElement.getAttribute('aria-label')");

describe("keyboard use", () => {
  it("opens a message's menu, moves through it and closes it with the keyboard", async () => {
    const item = message(junho, "Hi Minji");
    const trigger = item.getByRole("button", { name: /message actions/i });
    await trigger.focus();
    await junho.keyboard.press("Enter");
    const menu = junho.getByRole("menu");
    await menu.waitFor();
    // Focus moved into the menu, on its first item; arrows move it; Escape returns to the button.
    await expect.poll(() => focused(junho)).toBe("React with 👍");
    await junho.keyboard.press("ArrowDown");
    await expect.poll(() => focused(junho)).toBe("React with ❤️");
    await junho.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });
    await expect.poll(() => focused(junho)).toBe("Message actions");
    // Escape in the composer leaves reply mode.
    await junho.keyboard.press("Enter");
    await junho.getByRole("menuitem", { name: /^reply$/i }).click();
    await junho.getByText(/replying to/i).waitFor();
    await junho.getByRole("textbox", { name: /^message$/i }).press("Escape");
    await junho.getByText(/replying to/i).waitFor({ state: "detached" });
  });
});

describe("a message the server refuses", () => {
  it("shows as not sent with Retry and Discard, and survives a reload until discarded", async () => {
    // A page from a server that allowed longer messages (a cached shell after the limit was
    // lowered): its composer lets 4,001 characters go, and the server refuses them.
    await minji.evaluate(`(() => {
      const meta = document.querySelector('meta[name="${WEB_SETTINGS_META}"]');
      const settings = JSON.parse(meta.getAttribute("content") || "{}");
      meta.setAttribute("content", JSON.stringify({ ...settings, maxTextLength: 100000 }));
    })()`);
    await send(minji, "x".repeat(4001)); // over the server's maxTextLength: text_too_long
    const failed = minji.locator("li.msg.unsent[data-state=failed]");
    await failed.waitFor();
    expect(await failed.getByText("Not sent").count()).toBe(1);
    await failed.getByRole("button", { name: /^retry$/i }).click();
    await failed.waitFor(); // refused again: still there
    await minji.reload();
    await failed.waitFor();
    await failed.getByRole("button", { name: /^discard$/i }).click();
    await failed.waitFor({ state: "detached" });
    await minji.reload();
    await message(minji, "Hello, Junho!").waitFor();
    expect(await minji.locator("li.msg.unsent").count()).toBe(0);
  });
});

describe("Korean input with an IME", () => {
  it("does not send on Enter while composing, and sends once after", async () => {
    const box = minji.getByRole("textbox", { name: /^message$/i });
    const before = (await messageTexts(junho)).length;
    await box.dispatchEvent("compositionstart", { data: "" });
    await box.fill("안녕하세요");
    await box.dispatchEvent("keydown", { key: "Enter", code: "Enter", keyCode: 229, isComposing: true });
    await box.dispatchEvent("keydown", { key: "Enter", code: "Enter", keyCode: 13, isComposing: true });
    // Nothing was sent: the text is still in the box and no bubble (stored or sending) appeared.
    expect(await box.inputValue()).toBe("안녕하세요");
    expect(await minji.locator("li.msg.unsent").count()).toBe(0);
    await box.dispatchEvent("compositionend", { data: "안녕하세요" });
    await box.press("Enter");
    await expect.poll(() => messageTexts(junho)).toHaveLength(before + 1);
    expect((await messageTexts(junho)).at(-1)).toBe("안녕하세요");
    expect(await box.inputValue()).toBe("");
  });
});
