/** @module The notification rule alone: every combination of a chat's mute, quiet hours and a mention, with both overrides, as docs/notifications.md tabulates it. */
import { expect, it } from "vitest";
import {
  type ChatMute,
  DEFAULT_NOTIFY_SETTINGS,
  MUTED_FOREVER,
  type NotifySettings,
  shouldNotify,
} from "./notify-rules.js";

const now = new Date("2026-03-01T14:00:00Z"); // 23:00 in Seoul
const quiet: NotifySettings = {
  ...DEFAULT_NOTIFY_SETTINGS,
  dnd: { start: 22 * 60, end: 7 * 60 },
  utcOffsetMinutes: 540,
};
const muted = (mentionsOverrideMute: boolean): ChatMute => ({
  conversationId: "c",
  mutedUntil: MUTED_FOREVER,
  mentionsOverrideMute,
});

it("decides by mute, quiet hours and mention, each override on its own", () => {
  const cases: [ChatMute | null, NotifySettings, boolean, boolean][] = [
    // mute, settings, mentioned → notifies
    [null, DEFAULT_NOTIFY_SETTINGS, false, true],
    [muted(true), DEFAULT_NOTIFY_SETTINGS, false, false],
    [muted(true), DEFAULT_NOTIFY_SETTINGS, true, true],
    [muted(false), DEFAULT_NOTIFY_SETTINGS, true, false],
    [null, quiet, false, false],
    [null, quiet, true, false],
    [null, { ...quiet, mentionsInQuietHours: true }, true, true],
    [null, { ...quiet, mentionsInQuietHours: true }, false, false],
    [muted(true), { ...quiet, mentionsInQuietHours: true }, true, true],
    [muted(false), { ...quiet, mentionsInQuietHours: true }, true, false],
    [muted(true), quiet, true, false],
  ];
  for (const [mute, settings, mentioned, expected] of cases) {
    expect(shouldNotify({ mute, settings, mentioned }, now), JSON.stringify({ mute, settings, mentioned })).toBe(
      expected,
    );
  }
  // Outside the quiet hours (08:00 in Seoul) the setting changes nothing.
  expect(shouldNotify({ mute: null, settings: quiet, mentioned: false }, new Date("2026-03-01T23:00:00Z"))).toBe(true);
});
