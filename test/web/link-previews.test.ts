/** @module Link preview cards in the web client, in real Chromium at PC and phone widths: the card under a message with a link (site, title, description, the image in a fixed box), its image through the server, live on both sides. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREVIEW_USER_AGENT } from "../../src/chat/link-preview/guarded-fetch.js";
import { startTestServer, type TestServer } from "../harness.js";
import { type PageServer, startPageServer } from "../previews/page-server.js";
import {
  launchBrowser,
  message,
  openApp,
  openConversation,
  screenshot,
  send,
  signUp,
  startDirectChat,
} from "./browser.js";

let server: TestServer;
let site: PageServer;
let browser: Browser;
let minji: Page;
let junho: Page;

beforeAll(async () => {
  site = await startPageServer();
  [server, browser] = await Promise.all([
    startTestServer({ linkPreviews: true, linkPreviewAllowPrivate: "127.0.0.1/32" }),
    launchBrowser(),
  ]);
  minji = (await openApp(browser, server.url)).page;
  junho = (await openApp(browser, server.url, { size: "phone" })).page;
  await signUp(minji, "minjil", "김민지");
  await signUp(junho, "junhol", "Junho Park");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await site?.close();
});

/** The card's parts, once it is there. */
async function cardOf(page: Page, text: string) {
  const card = message(page, text).getByTestId("link-preview");
  await card.waitFor({ timeout: 15_000 });
  return card;
}

describe("link preview cards", () => {
  it("shows the card under the sender's message on a PC: site, title, description and the image in its box", async () => {
    await startDirectChat(minji, "junhol");
    const text = `read this ${site.origin}/og-web`;
    await send(minji, text);
    const card = await cardOf(minji, text);
    expect(await card.locator(".link-card-site").textContent()).toBe("Local & Co");
    expect(await card.locator(".link-card-title").textContent()).toBe("Title of /og-web");
    expect(await card.locator(".link-card-description").textContent()).toBe("About /og-web");
    expect(await card.getAttribute("href")).toBe(`${site.origin}/og-web`);
    expect(await card.getAttribute("rel")).toContain("noopener");
    const img = card.locator(".link-card-image img");
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    // Read through the server with the token, as a blob: the browser never asks the linked site.
    expect(await img.getAttribute("src")).toMatch(/^blob:/);
    const box = await card.locator(".link-card-image").boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(Math.abs((box?.width ?? 0) / 1.91 - (box?.height ?? 0))).toBeLessThan(3);
    await screenshot(minji, "pc-link-preview");
  });

  it("brings the card to the other side on a phone, within the screen, and the site saw only the server", async () => {
    await openConversation(junho, /김민지/);
    const text = `read this ${site.origin}/og-web`;
    const card = await cardOf(junho, text);
    expect(await card.locator(".link-card-title").textContent()).toBe("Title of /og-web");
    const img = card.locator(".link-card-image img");
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    const box = await card.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 999)).toBeLessThanOrEqual(390);
    // A live card, sent while the phone looks: it arrives without a reload.
    await send(minji, `and ${site.origin}/og-live`);
    const live = await cardOf(junho, `and ${site.origin}/og-live`);
    expect(await live.locator(".link-card-title").textContent()).toBe("Title of /og-live");
    await screenshot(junho, "phone-link-preview");
    const images = site.hits("/photo.png");
    expect(images.length).toBeGreaterThan(0);
    for (const request of [...images, ...site.hits("/og-web"), ...site.hits("/og-live")]) {
      expect(request.headers["user-agent"]).toBe(PREVIEW_USER_AGENT);
    }
  });
});
