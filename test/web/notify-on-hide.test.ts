/**
 * @module A message arriving in the instant a tab hides notifies exactly once on that device, in
 * Chromium at PC and phone widths: delivered while the tab is shown (the server pushes nothing:
 * the device is looked at), the tab owes it a notification when it hides within `OWED_MS`;
 * nothing for a message in the open chat or one shown long enough to be seen; with Web Push on,
 * no push for it either, and a message after the hide comes by push alone.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { PushReceiver } from "../notifications/push-receiver.js";
import { seriousViolations } from "./axe.js";
import { launchBrowser, PASSWORD, PC, PHONE, signUp, startDirectChat } from "./browser.js";

let server: TestServer;
let browser: Browser;
let receiver: PushReceiver;
let kyle: RawClient;
/** The tab's grace after a message arrived (`OWED_MS` in web/src/state/attention.ts). */
const OWED_MS = 3000;

beforeAll(async () => {
  [server, browser, receiver] = await Promise.all([
    startTestServer({ pushPrivateEndpoints: true }),
    launchBrowser(),
    PushReceiver.start(),
  ]);
  const auth = await postJson<AuthReply>(
    server.url,
    "/api/v1/auth/register",
    { username: "hkyle", password: PASSWORD, displayName: "Kyle" },
    201,
  );
  kyle = await RawClient.connect(server.wsUrl, auth.token);
}, 60_000);

afterAll(async () => {
  await kyle?.close();
  await browser?.close();
  await server?.stop();
  await receiver?.close();
});

/**
 * Records what the page hands the operating system (notifications, tones); `__hidden` plays the
 * tab in the background (headless Chromium's tabs are always shown); the push service is the
 * local receiver (headless Chromium has none).
 */
function instrument(subscription: { endpoint: string; keys: { p256dh: string; auth: string } }): string {
  return `(() => {
    window.__notes = [];
    window.__tones = 0;
    window.__hidden = false;
    Object.defineProperty(Document.prototype, "hidden", { get: () => window.__hidden });
    Object.defineProperty(Document.prototype, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        window.__notes.push({ title, body: options && options.body });
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    Recorded.requestPermission = (...a) => Real.requestPermission(...a);
    window.Notification = Recorded;
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () { window.__tones += 1; return oscillator.call(this); };
    const sub = ${JSON.stringify(subscription)};
    // Kept across page loads, as a browser keeps its push subscription.
    let subscribed = null;
    const fake = { endpoint: sub.endpoint, toJSON: () => ({ endpoint: sub.endpoint, keys: sub.keys }), unsubscribe: async () => { subscribed = null; localStorage.removeItem("__subscribed"); return true; } };
    if (localStorage.getItem("__subscribed")) subscribed = fake;
    PushManager.prototype.subscribe = async function () { subscribed = fake; localStorage.setItem("__subscribed", "1"); return fake; };
    PushManager.prototype.getSubscription = async function () { return subscribed; };
  })();`;
}

/** Wait until `done` holds (beforeAll cannot use expect.poll). */
async function until(done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the page");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const notes = (page: Page) => page.evaluate<{ title: string; body: string }[]>("window.__notes");
const hide = (page: Page, hidden: boolean) =>
  page.evaluate(`window.__hidden = ${hidden}; document.dispatchEvent(new Event('visibilitychange'))`);

for (const size of ["pc", "phone"] as const) {
  describe(`a tab hiding as a message arrives, on a ${size}`, () => {
    let context: BrowserContext;
    let page: Page;
    let conversationId = "";
    let subscription: ReturnType<PushReceiver["subscription"]>;
    let counter = 0;
    // The page's own frames: to know when its connection is up, and when the server heard the tab is hidden.
    const sent: string[] = [];
    const received: string[] = [];
    /** The last `session.visibility` sent from frame `from` on was answered, telling `visible`. */
    const told = (visible: boolean, from = 0) => {
      const request = sent
        .slice(from)
        .map((text) => JSON.parse(text) as { type: string; id?: number; visible?: boolean })
        .findLast((frame) => frame.type === "session.visibility");
      return (
        request?.visible === visible &&
        received.some((text) => {
          const frame = JSON.parse(text) as { type: string; id?: number };
          return frame.type === "ok" && frame.id === request.id;
        })
      );
    };
    /** Open the chat list and wait until it is loaded and the connection told the server the tab is shown. */
    async function openList(): Promise<void> {
      const from = sent.length;
      await page.goto("/");
      await page
        .getByRole("list", { name: /conversations/i })
        .getByRole("link")
        .first()
        .waitFor();
      await until(() => told(true, from));
    }

    /** Kyle sends; resolves once the page shows it in the chat list (delivered to the tab). */
    async function arrive(text: string, where: "list" | "chat" = "list"): Promise<number> {
      counter += 1;
      const reply = await kyle.ok<{ message: { seq: number } }>("message.send", {
        conversationId,
        clientMsgId: `${size}-${counter}`,
        text,
      });
      const shown =
        where === "list"
          ? page.getByRole("list", { name: /conversations/i }).getByText(text)
          : page.getByRole("log").getByText(text);
      await shown.first().waitFor();
      return reply.message.seq;
    }

    beforeAll(async () => {
      subscription = receiver.subscription();
      const phone = size === "phone";
      context = await browser.newContext({
        baseURL: server.url,
        viewport: phone ? PHONE : PC,
        locale: "en-US",
        ...(phone ? { isMobile: true, hasTouch: true } : {}),
      });
      await context.grantPermissions(["notifications"], { origin: server.url });
      await context.addInitScript(instrument(subscription));
      page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
      page.on("websocket", (socket) => {
        socket.on("framesent", (frame) => sent.push(String(frame.payload)));
        socket.on("framereceived", (frame) => received.push(String(frame.payload)));
      });
      await page.goto("/");
      await signUp(page, `hider_${size}`, `Hider ${size}`);
      await startDirectChat(page, "hkyle");
      conversationId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
      await openList();
    }, 60_000);

    afterAll(async () => {
      await context?.close();
    });

    it("notifies once, as the tab hides, for a message that arrived an instant before", async () => {
      await arrive("just as you switch tabs");
      expect(await notes(page)).toEqual([]);
      await hide(page, true);
      await expect.poll(() => notes(page)).toEqual([{ title: "Kyle", body: "just as you switch tabs" }]);
      expect(await page.evaluate<number>("window.__tones")).toBeGreaterThan(0);
      // Once: hiding again, or time passing, owes nothing more.
      await hide(page, false);
      await hide(page, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await notes(page)).toHaveLength(1);
      await hide(page, false);
      expect(await seriousViolations(page)).toEqual([]);
    });

    it("owes nothing for a message shown long enough to be seen, or in the open chat", async () => {
      await arrive("you had time to see this");
      await new Promise((resolve) => setTimeout(resolve, OWED_MS + 300));
      await hide(page, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await notes(page)).toHaveLength(1);
      await hide(page, false);

      const from = sent.length;
      await page.goto(`/c/${encodeURIComponent(conversationId)}`);
      await page.getByRole("log").waitFor();
      await expect.poll(() => told(true, from), { timeout: 15_000 }).toBe(true);
      const before = (await notes(page)).length;
      await arrive("read as it came", "chat");
      await hide(page, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await notes(page)).toHaveLength(before);
      await hide(page, false);
    });

    it("with Web Push on: the message of the instant is notified by the tab and not pushed; one after the hide is pushed and not notified by the tab", async () => {
      await page.goto("/settings");
      await page.getByRole("button", { name: /^turn on notifications$/i }).click();
      await page.getByText(/even when haetae is closed/i).waitFor();
      await openList();
      const seq = await arrive("at the very moment");
      await hide(page, true);
      await expect.poll(() => notes(page)).toEqual([{ title: "Kyle", body: "at the very moment" }]);
      await server.app.pushes.settled();
      expect(receiver.to(subscription.endpoint).map((push) => push.json.seq)).not.toContain(seq);

      // The server has heard the tab is hidden: the next message is its push's alone.
      await expect.poll(() => told(false), { timeout: 10_000 }).toBe(true);
      const later = await kyle.ok<{ message: { seq: number } }>("message.send", {
        conversationId,
        clientMsgId: `${size}-later`,
        text: "after the tab hid",
      });
      await receiver.waitFor(subscription.endpoint, 1, 10_000);
      expect(receiver.to(subscription.endpoint).map((push) => push.json.seq)).toEqual([later.message.seq]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await notes(page)).toEqual([{ title: "Kyle", body: "at the very moment" }]);
      await hide(page, false);
    });
  });
}
