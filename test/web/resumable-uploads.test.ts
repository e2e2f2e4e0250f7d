/** @module Resumable uploads in real Chromium at PC and phone widths: a cut upload resumes from the server's offset, a file sent offline survives a reload and arrives once, cancel drops an upload. */
import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { RawClient, startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, message, openApp, openConversation, send, signUp, startDirectChat } from "./browser.js";

const MIB = 1024 * 1024;
let server: TestServer;
let browser: Browser;
let pc: { context: BrowserContext; page: Page };
let phone: { context: BrowserContext; page: Page };
let conversationId = "";

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ fileSweepMs: 0 }), launchBrowser()]);
  pc = await openApp(browser, server.url);
  phone = await openApp(browser, server.url, { size: "phone" });
  await signUp(pc.page, "yuna", "Yuna");
  await signUp(phone.page, "doyun", "Doyun");
  await startDirectChat(pc.page, "doyun");
  await send(pc.page, "hi");
  await message(pc.page, "hi").waitFor();
  await openConversation(phone.page, /Yuna/);
  conversationId = decodeURIComponent(new URL(pc.page.url()).pathname.split("/").pop() ?? "");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every message of the conversation as the server stores it. */
async function stored(page: Page): Promise<Message[]> {
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem("haetae.session")).token`);
  const raw = await RawClient.connect(server.wsUrl, token);
  try {
    return (await raw.ok<{ messages: Message[] }>("history", { conversationId, limit: 100 })).messages;
  } finally {
    await raw.close();
  }
}

describe("resumable uploads", () => {
  it("resumes an upload cut by a network drop from the server's offset, sending nothing twice (PC)", async () => {
    const size = 10 * MIB;
    const body = randomBytes(size);
    const patches: { offset: number; bytes: number; cut: boolean }[] = [];
    const heads: number[] = [];
    let cut = false;
    await pc.context.route("**/api/v1/files/tus/**", async (route) => {
      const request = route.request();
      if (request.method() !== "PATCH") return route.continue();
      const offset = Number(request.headers()["upload-offset"]);
      const bytes = request.postDataBuffer()?.length ?? 0;
      // The second chunk is cut: the connection drops before the server gets it.
      if (!cut && offset > 0) {
        cut = true;
        patches.push({ offset, bytes, cut: true });
        return route.abort("connectionreset");
      }
      patches.push({ offset, bytes, cut: false });
      return route.continue();
    });
    pc.page.on("response", (response) => {
      if (response.request().method() === "HEAD" && response.url().includes("/api/v1/files/tus/")) {
        heads.push(Number(response.headers()["upload-offset"]));
      }
    });
    await pc.page
      .getByTestId("attach-input")
      .setInputFiles([{ name: "big.bin", mimeType: "application/octet-stream", buffer: body }]);
    const tray = pc.page.getByRole("list", { name: /attach files/i });
    await expect.poll(() => tray.locator("li[data-state=done]").count(), { timeout: 30_000 }).toBe(1);
    await send(pc.page, "the big one");
    await message(phone.page, "the big one").waitFor({ timeout: 15_000 });
    await pc.context.unroute("**/api/v1/files/tus/**");

    // After the cut the client asked the server where it stood, and went on from there.
    expect(heads).toEqual([4 * MIB]);
    expect(patches.map((p) => [p.offset, p.cut])).toEqual([
      [0, false],
      [4 * MIB, true],
      [4 * MIB, false],
      [8 * MIB, false],
    ]);
    // What reached the server is the file exactly once.
    const delivered = patches.filter((p) => !p.cut).reduce((sum, p) => sum + p.bytes, 0);
    expect(delivered).toBe(size);
    const last = (await stored(pc.page)).at(-1);
    expect(last?.text).toBe("the big one");
    expect(last?.files?.map((f) => [f.name, f.size])).toEqual([["big.bin", size]]);
  }, 60_000);

  it("keeps a file sent offline through a reload and sends its message once when back online (phone)", async () => {
    const { context, page } = phone;
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)");
    await context.setOffline(true);
    await page
      .getByRole("status")
      .filter({ hasText: /you are offline/i })
      .waitFor();
    await page
      .getByTestId("attach-input")
      .setInputFiles([{ name: "offline.bin", mimeType: "application/octet-stream", buffer: randomBytes(2 * MIB) }]);
    await send(page, "sent from the tunnel");
    const waiting = page.locator("li.msg.unsent[data-state=sending]");
    await expect.poll(() => waiting.locator(".text").allTextContents()).toEqual(["sent from the tunnel"]);

    await page.reload();
    await page
      .getByRole("status")
      .filter({ hasText: /you are offline/i })
      .waitFor();
    await expect.poll(() => waiting.locator(".text").allTextContents()).toEqual(["sent from the tunnel"]);

    await context.setOffline(false);
    await message(pc.page, "sent from the tunnel").waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator("li.msg.unsent").count(), { timeout: 15_000 }).toBe(0);
    const mine = (await stored(page)).filter((m) => m.text === "sent from the tunnel");
    expect(mine).toHaveLength(1);
    expect(mine[0]?.files?.map((f) => [f.name, f.size])).toEqual([["offline.bin", 2 * MIB]]);
    // A second reload online finds nothing left to send, and sends nothing again.
    await page.reload();
    await message(page, "sent from the tunnel").waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await page.locator("li.msg.unsent").count()).toBe(0);
    expect((await stored(page)).filter((m) => m.text === "sent from the tunnel")).toHaveLength(1);
  }, 90_000);

  it("cancels an upload in progress: the tray empties and the server drops its part (PC)", async () => {
    const deletes: number[] = [];
    // Chunks crawl, so the upload is still going when it is cancelled.
    await pc.context.route("**/api/v1/files/tus/**", async (route) => {
      if (route.request().method() === "PATCH") await new Promise((resolve) => setTimeout(resolve, 1500));
      return route.continue().catch(() => undefined);
    });
    pc.page.on("response", (response) => {
      if (response.request().method() === "DELETE" && response.url().includes("/api/v1/files/tus/")) {
        deletes.push(response.status());
      }
    });
    await pc.page
      .getByTestId("attach-input")
      .setInputFiles([{ name: "cancel-me.bin", mimeType: "application/octet-stream", buffer: randomBytes(12 * MIB) }]);
    const tray = pc.page.getByRole("list", { name: /attach files/i });
    await tray.locator("li[data-state=uploading] progress").waitFor();
    await pc.page.getByRole("button", { name: /remove cancel-me\.bin/i }).click();
    expect(await tray.count()).toBe(0);
    await expect.poll(() => deletes, { timeout: 15_000 }).toEqual([204]);
    await pc.context.unroute("**/api/v1/files/tus/**");
    expect((await stored(pc.page)).some((m) => m.files?.some((f) => f.name === "cancel-me.bin"))).toBe(false);
  }, 60_000);
});
