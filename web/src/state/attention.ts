/** @module Getting the user's attention: a notification and a short sound for a message while the tab is hidden, the unread total in the title and the app badge, and this device's Web Push subscription. */
import type { Call } from "./directory.js";

/** What a push subscription of this browser can be. */
export type PushState = "unsupported" | "denied" | "off" | "on" | "failed";

/** A notification the tab may still owe: a message that arrived while the tab was shown. */
interface Owed {
  message: { conversationId: string; seq: number };
  title: string;
  body: string;
  open: () => void;
  at: number;
}

/**
 * How long after a message arrived in a shown tab that turns hidden the tab still notifies for
 * it: the server counted the device as looked at and pushed nothing, yet a tab hidden this soon
 * was most likely switched away from before the user read the list.
 */
export const OWED_MS = 3000;

/** The page title without unread messages. */
const BASE_TITLE = "Haetae";

/** `applicationServerKey` wants the key's bytes; the server gives base64url. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

export class Attention {
  push: PushState = "off";
  /**
   * The server knows this tab is hidden and this browser is subscribed: the server pushes to this
   * device now (a device with no visible session gets pushes, docs/notifications.md), so the tab
   * stays quiet instead of notifying twice.
   */
  private pushedWhileHidden = false;
  private audio: AudioContext | undefined;
  /** Messages worth telling about that arrived while the tab was shown, not in the open chat: owed if it hides at once. */
  private owed: Owed[] = [];
  private shownTotal = -1;

  constructor(
    private readonly call: Call,
    private readonly changed: () => void,
  ) {}

  /** Show `(N) Haetae` and the app badge for the unread total (only when it changed). */
  showUnread(total: number): void {
    if (total === this.shownTotal) return;
    this.shownTotal = total;
    document.title = total > 0 ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
    // The Badging API: the installed app's icon; absent in most browser tabs, which is fine.
    const nav = navigator as Navigator & { setAppBadge?(n: number): Promise<void>; clearAppBadge?(): Promise<void> };
    if (total > 0) nav.setAppBadge?.(total).catch(() => undefined);
    else nav.clearAppBadge?.().catch(() => undefined);
  }

  /**
   * A message worth telling about arrived while the tab is hidden: a notification (if the user
   * allowed them) that opens the chat when clicked, and a short tone. Visible tabs stay quiet:
   * the message is on screen or in the list.
   */
  alert(
    message: { conversationId: string; seq: number },
    title: string,
    body: string,
    open: () => void,
    onScreen = false,
  ): void {
    if (!document.hidden) {
      // Shown, so the server pushes nothing; but the tab may hide in the next instant (`hidden`).
      if (!onScreen) this.owe({ message, title, body, open, at: Date.now() });
      return;
    }
    if (this.pushedWhileHidden) return;
    this.show(message, title, body, open);
    this.beep();
  }

  /**
   * The tab just turned hidden: notify now for what arrived in the last `OWED_MS` while it was
   * shown, outside the open chat. The server decided those messages' pushes while this device
   * was looked at and sent none, and the tab stayed quiet because it was shown: without this,
   * a message arriving in the instant a tab hides got neither (docs/notifications.md).
   */
  hidden(): void {
    const since = Date.now() - OWED_MS;
    const owed = this.owed.filter((o) => o.at >= since);
    this.owed = [];
    for (const o of owed) this.show(o.message, o.title, o.body, o.open);
    if (owed.length > 0) this.beep();
  }

  private owe(owed: Owed): void {
    const since = owed.at - OWED_MS;
    this.owed = this.owed.filter((o) => o.at >= since);
    this.owed.push(owed);
  }

  private show(message: { conversationId: string; seq: number }, title: string, body: string, open: () => void): void {
    if ("Notification" in window && Notification.permission === "granted") {
      // The push's tag (sw/service-worker.ts): one notification per chat, so a push for a message
      // this tab already showed replaces it instead of standing beside it.
      const notification = new Notification(title, { body, tag: `chat:${message.conversationId}` });
      notification.onclick = () => {
        window.focus();
        open();
        notification.close();
      };
    }
  }

  /** Tell the server whether this tab is shown: a hidden tab's device gets pushes like a closed one's. */
  async tellVisibility(): Promise<void> {
    const visible = !document.hidden;
    if (visible) {
      this.pushedWhileHidden = false;
      this.owed = [];
    } else {
      this.hidden();
    }
    const told = await this.call("session.visibility", { visible }, true);
    this.pushedWhileHidden = Boolean(told) && !visible && document.hidden && this.push === "on";
  }

  /** The state of this browser's push subscription, as far as the browser tells. */
  async refreshPush(): Promise<void> {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      this.push = "unsupported";
    } else if (Notification.permission === "denied") {
      this.push = "denied";
    } else {
      const registration = await navigator.serviceWorker.getRegistration();
      const subscription = await registration?.pushManager.getSubscription();
      this.push = subscription ? "on" : "off";
    }
    this.changed();
  }

  /** Ask for permission, subscribe this browser with the server's key, and tell the server. */
  async enablePush(): Promise<void> {
    if (!("Notification" in window)) return;
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      this.push = permission === "denied" ? "denied" : "off";
      this.changed();
      return;
    }
    try {
      const key = await this.call("push.vapidKey", {}, true);
      const registration = await navigator.serviceWorker.ready;
      if (!key) throw new Error("no key");
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(key.publicKey),
      });
      const json = subscription.toJSON();
      const kept = await this.call("push.subscribe", {
        endpoint: subscription.endpoint,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
      });
      this.push = kept ? "on" : "failed";
    } catch {
      // No push service (some browsers, private windows): notifications still come while the app is open.
      this.push = "failed";
    }
    this.changed();
  }

  async disablePush(): Promise<void> {
    const registration = await navigator.serviceWorker?.getRegistration();
    const subscription = await registration?.pushManager.getSubscription();
    if (subscription) {
      await this.call("push.unsubscribe", { endpoint: subscription.endpoint }, true);
      await subscription.unsubscribe().catch(() => false);
    }
    this.push = "off";
    this.changed();
  }

  /** Two short soft tones; a browser that has not been clicked yet may refuse to play, which is fine. */
  private beep(): void {
    try {
      this.audio ??= new AudioContext();
      const at = this.audio.currentTime;
      for (const [offset, frequency] of [
        [0, 880],
        [0.12, 1320],
      ] as const) {
        const tone = this.audio.createOscillator();
        const gain = this.audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.08, at + offset);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + offset + 0.1);
        tone.connect(gain).connect(this.audio.destination);
        tone.start(at + offset);
        tone.stop(at + offset + 0.1);
      }
    } catch {
      // No audio device or not allowed yet.
    }
  }
}
