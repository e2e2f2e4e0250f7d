/** @module Photos and files in the web client, in real Chromium at PC and phone widths: attach several, drop, upload progress, send, the photo's box from its dimensions, the lightbox, file cards. */
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness.js";
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
let browser: Browser;
let minji: Page;
let junho: Page;
let photo: Buffer;

beforeAll(async () => {
  [server, browser, photo] = await Promise.all([
    startTestServer({ fileSweepMs: 0 }),
    launchBrowser(),
    sharp({ create: { width: 800, height: 400, channels: 3, background: "#3b8" } })
      .jpeg()
      .toBuffer(),
  ]);
  minji = (await openApp(browser, server.url)).page;
  junho = (await openApp(browser, server.url, { size: "phone" })).page;
  await signUp(minji, "minjif", "김민지");
  await signUp(junho, "junhof", "Junho Park");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const sendButton = (page: Page) => page.getByRole("button", { name: /^send$/i });

describe("sending photos and files", () => {
  it("attaches a photo and a file at once, shows their upload, and sends them with a caption", async () => {
    await startDirectChat(minji, "junhof");
    await send(minji, "hello");
    await message(minji, "hello").waitFor();
    await minji.getByTestId("attach-input").setInputFiles([
      { name: "여행.jpg", mimeType: "image/jpeg", buffer: photo },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("x".repeat(2048)) },
    ]);
    const tray = minji.getByRole("list", { name: /attach files/i });
    await expect.poll(() => tray.locator("li[data-state=done]").count()).toBe(2);
    await expect.poll(() => sendButton(minji).isEnabled()).toBe(true);
    await send(minji, "our trip");
    const sent = message(minji, "our trip");
    await sent.waitFor();
    expect(await tray.count()).toBe(0);
    // The photo's box comes from the stored dimensions: 240 wide, half as tall.
    const img = sent.locator(".photo img");
    expect([await img.getAttribute("width"), await img.getAttribute("height")]).toEqual(["240", "120"]);
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    await expect.poll(() => sent.locator(".file-card .file-name").textContent()).toBe("notes.txt");
    expect(await sent.locator(".file-card .file-size").textContent()).toBe("2.0 KB");
    await screenshot(minji, "pc-files");
  });

  it("shows them to the other on a phone, the photo in its box at once, and opens it in a lightbox", async () => {
    await openConversation(junho, /김민지/);
    const received = message(junho, "our trip");
    await received.waitFor();
    const box = await received.locator(".photo").boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(Math.abs((box?.width ?? 0) / 2 - (box?.height ?? 0))).toBeLessThan(4);
    await received.getByRole("button", { name: /open 여행\.jpg/i }).click();
    const dialog = junho.getByRole("dialog", { name: /photo viewer/i });
    await dialog.waitFor();
    await expect
      .poll(() => dialog.locator("img").evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(800);
    await screenshot(junho, "phone-lightbox");
    await junho.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("takes several files dropped on the composer, and removes one from the tray", async () => {
    // A drop as a desktop's file manager makes it (in the page: its DataTransfer and File types).
    await minji.evaluate(`(() => {
      const data = new DataTransfer();
      for (const name of ["a.txt", "b.txt", "c.txt"]) data.items.add(new File(["file " + name], name));
      const form = document.querySelector("form.composer");
      form.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
      form.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    const tray = minji.getByRole("list", { name: /attach files/i });
    await expect.poll(() => tray.locator("li[data-state=done]").count()).toBe(3);
    await minji.getByRole("button", { name: /remove b\.txt/i }).click();
    expect(await tray.locator("li").count()).toBe(2);
    await sendButton(minji).click();
    const last = minji.getByRole("log").locator("li.msg[data-seq]").last();
    await expect.poll(() => last.locator(".file-card .file-name").allTextContents()).toEqual(["a.txt", "c.txt"]);
    await expect
      .poll(() => junho.getByRole("log").locator("li.msg[data-seq]").last().locator(".file-name").allTextContents())
      .toEqual(["a.txt", "c.txt"]);
  });
});
