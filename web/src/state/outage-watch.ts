/** @module While the chat server stays unreachable, asks the status page now and then what is known, so the banner can say more than "reconnecting". */
import {
  parseWebSettings,
  statusPageBase,
  WEB_SETTINGS_META,
  type WebSettings,
} from "../../../src/protocol/web-settings.js";
import type { ConnectionState } from "../../../src/sdk/index.js";
import { type OutageReport, readStatusSummary } from "./status-summary.js";

/** The settings the server rendered into the page (the service worker's cached copy has them too). */
export function pageSettings(): WebSettings {
  return parseWebSettings(document.querySelector(`meta[name="${WEB_SETTINGS_META}"]`)?.getAttribute("content"));
}

/**
 * A blip (a node restarting, a balancer moving the client) is over before `statusAfterMs`, and
 * asks nothing: the status page is for an outage, and a reconnect storm of clients all asking
 * it at once would be one more load on the day it matters. After that the client asks every
 * `statusEveryMs` while the connection stays down, and stops the moment it is open again.
 */
export class OutageWatch {
  /** What the status page said last; undefined while connected and before the first answer. */
  report: OutageReport | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every stop, so an answer that arrives after the connection came back is dropped. */
  private round = 0;

  constructor(
    private readonly settings: WebSettings,
    private readonly onChange: () => void,
  ) {}

  /** The client's connection changed. */
  follow(state: ConnectionState | "idle"): void {
    if (state === "connecting" || state === "reconnecting") {
      // "reconnecting" comes again for every failed attempt: the first one starts the clock.
      if (this.timer === undefined) this.schedule(this.settings.statusAfterMs);
      return;
    }
    this.stop();
  }

  /** Stop asking and forget the last answer (connected again, or the app is closing). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.round += 1;
    if (this.report === undefined) return;
    this.report = undefined;
    this.onChange();
  }

  private schedule(ms: number): void {
    const round = this.round;
    this.timer = setTimeout(() => void this.ask(round), ms);
  }

  private async ask(round: number): Promise<void> {
    // Offline, the browser knows why already and the banner says so; a request would only fail.
    if (navigator.onLine) {
      const language = document.documentElement.lang || navigator.language;
      const report = await readStatusSummary(statusPageBase(this.settings, location), language);
      if (round !== this.round) return;
      this.report = report;
      this.onChange();
    }
    this.schedule(this.settings.statusEveryMs);
  }
}
