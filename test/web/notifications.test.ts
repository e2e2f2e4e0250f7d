/** @module Notifications in the browser at PC and phone widths: unread count in the title, a notification and tone in a hidden tab, the mute menu and notification settings by keyboard alone, a push subscription that really pushes, axe on each screen. */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, ChatMute, FeedEvent, NotifySettings } from "../../src/protocol/index.js";
import { loginDevice, postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { PushReceiver } from "../notifications/push-receiver.js";
import { tabTo } from "./a11y.js";
import { seriousViolations } from "./axe.js";
import { launchBrowser, PASSWORD, PC, PHONE, screenshot, signUp, startDirectChat } from "./browser.js";

let server: TestServer;
let browser: Browser;
let receiver: PushReceiver;
let kyle: RawClient;

beforeAll(async () => {
  [server, browser, receiver] = await Promise.all([
    startTestServer({ pushPrivateEndpoints: true }),
    launchBrowser(),
    PushReceiver.start(),
  ]);
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
  await receiver?.close();
});

/**
 * What the page would hand the operating system, recorded: notifications shown, tones played.
 * `__hidden` plays a tab in the background (headless Chromium's tabs are always visible), and the
 * browser's push service (none in headless Chromium) is a subscription to the local receiver.
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
        window.__tags = [...(window.__tags || []), options && options.tag];
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    Recorded.requestPermission = (...a) => Real.requestPermission(...a);
    window.Notification = Recorded;
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () { window.__tones += 1; return oscillator.call(this); };
    const sub = ${JSON.stringify(subscription)};
    let subscribed = null;
    const fake = { endpoint: sub.endpoint, toJSON: () => ({ endpoint: sub.endpoint, keys: sub.keys }), unsubscribe: async () => { subscribed = null; return true; } };
    PushManager.prototype.subscribe = async function (options) {
      if (!options || !options.userVisibleOnly || !options.applicationServerKey) throw new Error("bad subscribe options");
      window.__serverKey = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
      subscribed = fake;
      return fake;
    };
    PushManager.prototype.getSubscription = async function () { return subscribed; };
  })();`;
}

for (const size of ["pc", "phone"] as const) {
  describe(`notifications on a ${size}`, () => {
    const username = `nari_${size}`;
    let context: BrowserContext;
    let page: Page;
    let conversationId: string;
    let other: RawClient;
    let subscription: ReturnType<PushReceiver["subscription"]>;

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
      page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
      await page.goto("/");
      await signUp(page, username, `Nari ${size}`);
      await startDirectChat(page, "kyle");
      conversationId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
      // The same user's other device, to see that choices reach every device.
      other = await RawClient.connect(server.wsUrl, (await loginDevice(server.url, username, "tablet")).token);
    }, 60_000);

    afterAll(async () => {
      await other?.close();
      await context?.close();
    });

    it("shows the unread total in the title; a hidden tab gets a notification and a tone", async () => {
      await page.goto("/");
      await page.getByRole("list", { name: /conversations/i }).waitFor();
      await kyle.ok("message.send", { conversationId, clientMsgId: `${size}-1`, text: "are you there?" });
      await expect.poll(() => page.title()).toBe("(1) Haetae");
      expect(await page.evaluate("window.__notes")).toEqual([]);

      await page.evaluate("window.__hidden = true");
      await kyle.ok("message.send", { conversationId, clientMsgId: `${size}-2`, text: "ping from Kyle" });
      await expect.poll(() => page.title()).toBe("(2) Haetae");
      await expect.poll(() => page.evaluate("window.__notes")).toEqual([{ title: "Kyle", body: "ping from Kyle" }]);
      // The push's tag: a push for the same chat replaces this notification rather than doubling it.
      expect(await page.evaluate("window.__tags")).toEqual([`chat:${conversationId}`]);
      expect(await page.evaluate<number>("window.__tones")).toBeGreaterThan(0);
      await page.evaluate("window.__hidden = false");
    });

    it("mutes the chat from its header by keyboard alone, on every device, and a muted chat stays quiet", async () => {
      await page.goto(`/c/${encodeURIComponent(conversationId)}`);
      await page.getByRole("log").waitFor();
      // Opening the chat reads it: the title's count goes.
      await expect.poll(() => page.title()).toBe("Haetae");
      const bell = page.getByRole("button", { name: /^notifications: notifications on$/i });
      await tabTo(page, bell);
      await page.keyboard.press("Enter");
      const forever = page.getByRole("button", { name: /mute until i turn it on/i });
      await tabTo(page, forever, 6);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, `${size}-mute-menu`);
      await page.keyboard.press("Enter");
      await page.getByRole("button", { name: /^notifications: muted until turned on$/i }).waitFor();
      // Focus is back on the bell, so the keyboard user keeps their place.
      await expect
        .poll(() => page.evaluate<string | null>("document.activeElement?.getAttribute('aria-controls') ?? null"))
        .toMatch(/^mute-/);
      await expect
        .poll(() =>
          other.events.filter((e) => e.type === "notify.mute").map((e) => (e as FeedEvent & { mute: ChatMute }).mute),
        )
        .toEqual([{ conversationId, mutedUntil: "9999-12-31T23:59:59.999Z", mentionsOverrideMute: true }]);

      await page.goto("/");
      await page.getByRole("list", { name: /conversations/i }).waitFor();
      await page.evaluate("window.__hidden = true");
      await kyle.ok("message.send", { conversationId, clientMsgId: `${size}-3`, text: "muted noise" });
      // The chat's row shows the unread message; the title and the badge leave a muted chat out.
      await page.locator(".badge.unread[data-count='1']").waitFor();
      expect(await page.title()).toBe("Haetae");
      // (The page was loaded again: its record starts empty.)
      expect(await page.evaluate<unknown[]>("window.__notes")).toEqual([]);
      await page.evaluate("window.__hidden = false");

      // Turned on again by keyboard.
      await page.goto(`/c/${encodeURIComponent(conversationId)}`);
      const mutedBell = page.getByRole("button", { name: /^notifications: muted until turned on$/i });
      await tabTo(page, mutedBell);
      await page.keyboard.press("Enter");
      await tabTo(page, page.getByRole("button", { name: /^turn notifications on$/i }), 8);
      await page.keyboard.press("Enter");
      await page.getByRole("button", { name: /^notifications: notifications on$/i }).waitFor();
    });

    it("sets quiet hours and hidden text in settings by keyboard alone; both reach the other device", async () => {
      await page.goto("/settings");
      const section = page.getByRole("region", { name: /^notifications$/i });
      await section.waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      const hide = page.getByRole("checkbox", { name: /hide message text/i });
      await tabTo(page, hide, 60);
      await page.keyboard.press("Space");
      await expect
        .poll(async () => (await other.ok<{ settings: NotifySettings }>("notify.get")).settings.hideText)
        .toBe(true);
      const mentions = page.getByRole("checkbox", { name: /mentions of me still notify during quiet hours/i });
      expect(await mentions.isChecked()).toBe(false);
      await tabTo(page, mentions, 4);
      await page.keyboard.press("Space");
      await expect
        .poll(async () => (await other.ok<{ settings: NotifySettings }>("notify.get")).settings.mentionsInQuietHours)
        .toBe(true);
      const from = page.getByLabel(/^from$/i);
      await tabTo(page, from, 10);
      // The en-US time field: hour, minutes, AM/PM segments, each typed into.
      await page.keyboard.type("1030P");
      await tabTo(page, page.getByLabel(/^to$/i), 6);
      await page.keyboard.type("0645A");
      await page.keyboard.press("Enter");
      await page.getByText(/no notifications from 22:30 to 06:45/i).waitFor();
      const settings = (await other.ok<{ settings: NotifySettings }>("notify.get")).settings;
      expect(settings).toMatchObject({ dnd: { start: 22 * 60 + 30, end: 6 * 60 + 45 }, hideText: true });
      expect(settings.utcOffsetMinutes).toBe(0 - new Date().getTimezoneOffset());
      expect(other.events.filter((e) => e.type === "notify.settings").length).toBeGreaterThanOrEqual(2);
      await screenshot(page, `${size}-notify-settings`);
      // Quiet hours off again (by keyboard), so the next test's push is not held back.
      await tabTo(page, page.getByRole("button", { name: /turn off quiet hours/i }), 10);
      await page.keyboard.press("Enter");
      await page.getByText(/^off$/i).waitFor();
    }, 90_000);

    it("the service worker shows a pushed message as a notification, without the text when it is hidden", async () => {
      await page.goto("/");
      await page.evaluate("navigator.serviceWorker.ready");
      const cdp = await context.newCDPSession(page);
      const registrations: { registrationId: string; scopeURL: string }[] = [];
      cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...event.registrations));
      await cdp.send("ServiceWorker.enable");
      await expect.poll(() => registrations.length).toBeGreaterThan(0);
      const registrationId = registrations[0]?.registrationId ?? "";
      const deliver = (payload: object) =>
        cdp.send("ServiceWorker.deliverPushMessage", {
          origin: new URL(server.url).origin,
          registrationId,
          data: JSON.stringify(payload),
        });
      const shown = () =>
        page.evaluate<{ title: string; body: string; tag: string }[]>(
          "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag })))",
        );
      await deliver({ conversationId, seq: 7, title: "Kyle", body: "from the push service" });
      await expect
        .poll(shown)
        .toEqual([{ title: "Kyle", body: "from the push service", tag: `chat:${conversationId}` }]);
      // A newer message of the same chat replaces the notification; hidden text says only that one came.
      await deliver({ conversationId, seq: 8, title: "Kyle" });
      await expect.poll(shown).toEqual([{ title: "Kyle", body: "New message", tag: `chat:${conversationId}` }]);
      await cdp.detach();
    });

    it("subscribes this browser for Web Push by keyboard; a hidden tab and a closed app then get real pushes without the text", async () => {
      // The page's own frames, to know when the server has heard that the tab is hidden.
      const sentFrames: string[] = [];
      const receivedFrames: string[] = [];
      page.on("websocket", (socket) => {
        socket.on("framesent", (frame) => sentFrames.push(String(frame.payload)));
        socket.on("framereceived", (frame) => receivedFrames.push(String(frame.payload)));
      });
      await page.goto("/settings");
      const enable = page.getByRole("button", { name: /^turn on notifications$/i });
      await tabTo(page, enable, 60);
      await page.keyboard.press("Enter");
      await page.getByText(/even when haetae is closed/i).waitFor();
      const key = (await kyle.ok<{ publicKey: string }>("push.vapidKey")).publicKey;
      expect(await page.evaluate("window.__serverKey")).toBe(key);

      // The tab goes to the background while the tablet stays online: this device is pushed to,
      // and the tab leaves the notification to the push (one notification, not two).
      await page.evaluate("window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))");
      const told = () => {
        const request = sentFrames
          .map((text) => JSON.parse(text) as { type: string; id?: number; visible?: boolean })
          .findLast((frame) => frame.type === "session.visibility");
        return (
          request?.visible === false &&
          receivedFrames.some((text) => {
            const frame = JSON.parse(text) as { type: string; id?: number };
            return frame.type === "ok" && frame.id === request.id;
          })
        );
      };
      await expect.poll(told).toBe(true);
      const hiddenBefore = receiver.to(subscription.endpoint).length;
      const whileHidden = await kyle.ok<{ message: { seq: number } }>("message.send", {
        conversationId,
        clientMsgId: `${size}-hidden`,
        text: "while the tab is hidden",
      });
      const hiddenPushes = await receiver.waitFor(subscription.endpoint, hiddenBefore + 1, 10_000);
      expect(hiddenPushes.at(-1)?.json).toMatchObject({ conversationId, seq: whileHidden.message.seq });
      await expect.poll(() => page.title()).toMatch(/^\(\d+\) Haetae$/);
      expect(await page.evaluate<unknown[]>("window.__notes")).toEqual([]);
      await page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))");

      // Every session of the user ends: the browser's tab and the other device.
      await page.goto("about:blank");
      await other.close();
      const before = receiver.to(subscription.endpoint).length;
      const sent = await kyle.ok<{ message: { seq: number } }>("message.send", {
        conversationId,
        clientMsgId: `${size}-4`,
        text: "a secret for the lock screen",
      });
      const pushes = await receiver.waitFor(subscription.endpoint, before + 1, 10_000);
      expect(receiver.errors).toEqual([]);
      expect(pushes.at(-1)?.json).toEqual({ conversationId, seq: sent.message.seq, title: "Kyle" });
    });
  });
}
