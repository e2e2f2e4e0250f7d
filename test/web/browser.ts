/** @module Browser-test helpers: Debian's Chromium through playwright-core, page sizes, and the steps a person takes in the app. */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

/** The browser the tests drive: the distribution's package (CI installs it with apt). Never downloaded. */
export const CHROMIUM = "/usr/bin/chromium";

export const PC = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const PASSWORD = "correct horse";
/**
 * Where screenshots go: a temporary folder, so `npm test` leaves the work tree as it found it;
 * `npm run screenshots` sets SCREENSHOT_DIR=docs/screenshots to renew the README's pictures.
 */
const SCREENSHOTS = process.env.SCREENSHOT_DIR
  ? resolve(process.env.SCREENSHOT_DIR)
  : join(tmpdir(), "haetae-screenshots");

/** Launch Chromium, or fail loudly: a machine without it must not pass these tests by skipping them. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's "chromium" package (apt-get install chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A fresh browser profile (its own storage: another device) at PC or phone size. */
export async function openApp(
  browser: Browser,
  baseURL: string,
  options: { size?: "pc" | "phone"; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const phone = options.size === "phone";
  const context = await browser.newContext({
    baseURL,
    viewport: phone ? PHONE : PC,
    locale: options.locale ?? "en-US",
    ...(phone ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto("/");
  return { context, page };
}

/** Sign up through the form, as a person would. */
export async function signUp(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole("button", { name: /sign up|회원가입/i }).click();
  await page.getByLabel(/^username|^아이디/i).fill(username);
  await page.getByLabel(/name shown to others|다른 사람에게 보일 이름/i).fill(displayName);
  await page.getByLabel(/^password|^비밀번호/i).fill(PASSWORD);
  await page.getByRole("button", { name: /create account|계정 만들기/i }).click();
  await page.getByRole("navigation").waitFor();
}

/** Log in through the form (a second device of an existing user). */
export async function logIn(page: Page, username: string): Promise<void> {
  await page.getByLabel(/^username/i).fill(username);
  await page.getByLabel(/^password/i).fill(PASSWORD);
  await page.getByRole("button", { name: /^log in$/i }).click();
  await page.getByRole("navigation").waitFor();
}

/** Start (or reopen) a direct chat with a user found by username. */
export async function startDirectChat(page: Page, username: string): Promise<void> {
  await page.getByRole("link", { name: /new chat/i }).click();
  await page.getByLabel(/find by username/i).fill(username);
  await page.getByRole("button", { name: /^find$/i }).click();
  await page
    .locator(".people li", { hasText: `@${username}` })
    .getByRole("button", { name: /^chat$/i })
    .click();
  await page.getByRole("log").waitFor();
}

/** Open a conversation from the list by its title. */
export async function openConversation(page: Page, title: string | RegExp): Promise<void> {
  await page
    .getByRole("list", { name: /conversations|채팅 목록/i })
    .getByRole("link", { name: title })
    .click();
  await page.getByRole("log").waitFor();
}

/** Type a message and press Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: /^message$|^메시지$/i });
  await box.fill(text);
  await box.press("Enter");
}

/** The stored (acknowledged) message with this text in the open conversation. */
export function message(page: Page, text: string | RegExp): Locator {
  // Matched on the message's own text, not on a quote of it inside a reply.
  return page.getByRole("log").locator("li.msg[data-seq]", { has: page.locator(".bubble > .text", { hasText: text }) });
}

/** The text of every stored message in the open conversation, in order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.getByRole("log").locator("li.msg[data-seq] .bubble .text").allTextContents();
}

/** Open a message's actions menu and choose an item. */
export async function messageAction(page: Page, text: string, action: RegExp): Promise<void> {
  const item = message(page, text);
  await item.hover();
  await item.getByRole("button", { name: /message actions/i }).click();
  await page.getByRole("menu").getByRole("menuitem", { name: action }).click();
}

/** Save a screenshot (into docs/screenshots under `npm run screenshots`; the README shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The caret blinks and would make every run's picture differ.
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), caret: "hide", animations: "disabled" });
}
