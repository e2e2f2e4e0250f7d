/** @module One user on a PC and a phone at once: the same state on both, history paging, the device list and remote log out. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, Message } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import {
  launchBrowser,
  logIn,
  message,
  messageAction,
  messageTexts,
  openApp,
  openConversation,
  PASSWORD,
  screenshot,
  send,
  signUp,
  startDirectChat,
} from "./browser.js";

let server: TestServer;
let browser: Browser;
let kyle: RawClient;
let pc: Page;
let phone: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const auth = await postJson<AuthReply>(
    server.url,
    "/api/v1/auth/register",
    { username: "kyle", password: PASSWORD, displayName: "Kyle" },
    201,
  );
  kyle = await RawClient.connect(server.wsUrl, auth.token);
}, 60_000);

afterAll(async () => {
  await kyle?.close();
  await browser?.close();
  await server?.stop();
});

/** What a person sees of the open conversation: every message with its unread count and reactions. */
async function visibleState(page: Page): Promise<string[]> {
  const items = page.getByRole("log").locator("li.msg[data-seq]");
  const rows: string[] = [];
  for (let i = 0; i < (await items.count()); i += 1) {
    const item = items.nth(i);
    const badge = item.locator(".unread-by");
    const unread = (await badge.count()) > 0 ? await badge.getAttribute("data-count") : "0";
    const reactions = (await item.locator(".reaction").allTextContents()).join(",");
    const text = (await item.locator(".bubble").textContent()) ?? "";
    rows.push(`${text} | unread ${unread} | ${reactions}`);
  }
  return rows;
}

describe("the same user on a PC and a phone", () => {
  it("sees the same conversation state on both", async () => {
    pc = (await openApp(browser, server.url)).page;
    await signUp(pc, "jisoo", "Jisoo Kim");
    await startDirectChat(pc, "kyle");
    const conversationId = decodeURIComponent(new URL(pc.url()).pathname.split("/").pop() ?? "");
    await send(pc, "from the PC");
    await message(pc, "from the PC").waitFor();
    await kyle.ok("message.send", { conversationId, clientMsgId: "k1", text: "hi @jisoo, on both devices?" });
    await message(pc, "on both devices?").waitFor();

    phone = (await openApp(browser, server.url, { size: "phone" })).page;
    await logIn(phone, "jisoo");
    await openConversation(phone, /kyle/i);
    await expect.poll(() => messageTexts(phone)).toEqual(["from the PC", "hi @jisoo, on both devices?"]);

    await messageAction(pc, "on both devices?", /react with 👍/i);
    await send(phone, "from the phone");
    await expect.poll(() => messageTexts(pc)).toEqual(["from the PC", "hi @jisoo, on both devices?", "from the phone"]);
    await expect.poll(() => message(phone, "on both devices?").locator(".reaction").textContent()).toBe("👍 1");
    // Kyle has not read Jisoo's messages: both devices show the "1" on them...
    await expect.poll(() => visibleState(phone)).toEqual(await visibleState(pc));
    expect(await message(phone, "from the phone").locator(".unread-by").getAttribute("data-count")).toBe("1");
    // ...until Kyle reads, on both at once.
    const { messages } = await kyle.ok<{ messages: Message[] }>("history", { conversationId });
    await kyle.ok("read", { conversationId, seq: messages.at(-1)?.seq ?? 0 });
    for (const page of [pc, phone]) await expect.poll(() => page.locator(".unread-by").count()).toBe(0);
    expect(await visibleState(phone)).toEqual(await visibleState(pc));
  });

  it("scrolls back through a long history, page by page, keeping the order", async () => {
    const conversationId = decodeURIComponent(new URL(phone.url()).pathname.split("/").pop() ?? "");
    const texts = Array.from({ length: 120 }, (_, i) => `old ${i + 1}`);
    for (const [i, text] of texts.entries())
      await kyle.ok("message.send", { conversationId, clientMsgId: `h${i}`, text });
    await expect.poll(() => messageTexts(phone).then((t) => t.at(-1))).toBe("old 120");
    // A fresh start loads only the newest page.
    await phone.reload();
    await expect.poll(() => messageTexts(phone).then((t) => t.at(-1))).toBe("old 120");
    const before = (await messageTexts(phone)).length;
    expect(before).toBeLessThan(123);
    // Scrolling to the top loads the page before the first loaded message, until the start. The
    // log keeps only what is near the screen in the page, so what it shows at each stop is a
    // stretch of the conversation in order, and at the top it is the conversation's beginning.
    const everything = ["from the PC", "hi @jisoo, on both devices?", "from the phone", ...texts];
    const inOrder = (shown: string[]) => {
      const at = everything.indexOf(shown[0] ?? "");
      expect(at, shown.join("|")).toBeGreaterThanOrEqual(0);
      expect(shown).toEqual(everything.slice(at, at + shown.length));
    };
    for (let i = 0; i < 10 && !(await phone.getByText("This is the start of the conversation.").isVisible()); i += 1) {
      await phone.evaluate("document.querySelector('[role=log]').scrollTop = 0");
      await phone.waitForTimeout(200);
      inOrder(await messageTexts(phone));
    }
    await phone.getByText("This is the start of the conversation.").waitFor();
    // The first page has arrived: at the very top again, the log draws the conversation's start.
    await phone.evaluate("document.querySelector('[role=log]').scrollTop = 0");
    await expect.poll(async () => (await messageTexts(phone))[0]).toBe("from the PC");
    const top = await messageTexts(phone);
    inOrder(top);
    expect(top.slice(0, 4)).toEqual(everything.slice(0, 4));
  });

  it("lists both devices and logs the PC out from the phone", async () => {
    await phone.getByRole("link", { name: /^back$/i }).click();
    await phone
      .getByRole("navigation")
      .getByRole("link", { name: /devices/i })
      .click();
    const devices = phone.locator(".devices li");
    await expect.poll(() => devices.count()).toBe(2);
    expect(await phone.locator(".devices li[data-current=true]").textContent()).toContain("This device");
    await screenshot(phone, "phone-devices");
    await phone
      .locator(".devices li[data-current=false]")
      .getByRole("button", { name: /log out/i })
      .click();
    await expect.poll(() => devices.count()).toBe(1);
    await pc.getByText(/this device was logged out/i).waitFor();
    await pc.getByRole("button", { name: /^log in$/i }).waitFor();
  });

  it("changes the password in Settings: a weak one is refused with the reason, then the other devices are logged out", async () => {
    await logIn(pc, "jisoo");
    // The browser keeps the device key its login returned, apart from the session, and sends it next time.
    const deviceKey = await pc.evaluate("localStorage.getItem('haetae.deviceKey.jisoo')");
    expect(deviceKey).toMatch(/^hk_/);
    await pc
      .getByRole("navigation")
      .getByRole("link", { name: /settings/i })
      .click();
    // Account deletion below asks for the current password too: this is the change form's.
    const form = pc.locator('form[aria-labelledby="password-title"]');
    await form.getByLabel(/^current password/i).fill(PASSWORD);
    await form.getByLabel(/^new password/i).fill("password123");
    await pc.getByRole("button", { name: /^change password$/i }).click();
    await pc
      .getByRole("alert")
      .getByText(/too easy to guess.*commonly used password/i)
      .waitFor();
    await form.getByLabel(/^current password/i).fill(PASSWORD);
    await form.getByLabel(/^new password/i).fill("saffron kettle marble orchard");
    await pc.getByRole("button", { name: /^change password$/i }).click();
    await pc
      .getByRole("status")
      .getByText(/other devices logged out: 1/i)
      .waitFor();
    await screenshot(pc, "pc-password-changed");
    await phone.getByText(/this device was logged out/i).waitFor();
    // The PC's session goes on.
    await pc
      .getByRole("navigation")
      .getByRole("link", { name: /devices/i })
      .click();
    await expect.poll(() => pc.locator(".devices li").count()).toBe(1);
  });
});
