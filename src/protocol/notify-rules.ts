/** @module The objects and rules of notifications, without zod (the web client imports this file directly): chat mutes, settings, who is notified, the push payload. */

/** `mutedUntil` of a chat muted "until turned on": a time no clock reaches. */
export const MUTED_FOREVER = "9999-12-31T23:59:59.999Z";

/** How long `notify.mute` mutes a chat; `off` turns the mute off. */
export const MUTE_DURATIONS = { "1h": 3_600_000, "8h": 8 * 3_600_000 } as const;

/**
 * My mute of one chat. `mutedUntil` null: not muted. While muted, a message that mentions me
 * (or `@all`) still notifies unless `mentionsOverrideMute` is false.
 */
export interface ChatMute {
  conversationId: string;
  mutedUntil: string | null;
  mentionsOverrideMute: boolean;
}

/**
 * My notification settings, the same on every device. `dnd`: quiet hours as minutes after local
 * midnight (`start` up to, not including, `end`; past midnight when `end` < `start`), in the
 * time zone `utcOffsetMinutes` east of UTC; null: none. `hideText`: notifications say that a
 * message came, never what it says. `mentionsInQuietHours`: a message that mentions me rings even
 * in quiet hours (off by default: quiet hours silence everything, as KakaoTalk's do-not-disturb
 * does, unless the user asks mentions to pass).
 */
export interface NotifySettings {
  dnd: { start: number; end: number } | null;
  utcOffsetMinutes: number;
  hideText: boolean;
  mentionsInQuietHours: boolean;
}

export const DEFAULT_NOTIFY_SETTINGS: NotifySettings = {
  dnd: null,
  utcOffsetMinutes: 0,
  hideText: false,
  mentionsInQuietHours: false,
};

/** True while the mute holds at `now`. */
export function isMuted(mute: ChatMute | null | undefined, now: Date): boolean {
  return mute?.mutedUntil != null && Date.parse(mute.mutedUntil) > now.getTime();
}

/** True when `now` falls in the quiet hours (in the settings' own time zone). */
export function inQuietHours(settings: NotifySettings, now: Date): boolean {
  const dnd = settings.dnd;
  if (!dnd || dnd.start === dnd.end) return false;
  const minutes = (((now.getUTCHours() * 60 + now.getUTCMinutes() + settings.utcOffsetMinutes) % 1440) + 1440) % 1440;
  return dnd.start < dnd.end ? minutes >= dnd.start && minutes < dnd.end : minutes >= dnd.start || minutes < dnd.end;
}

/**
 * Whether a message should notify me: in quiet hours only a mention, and only when I let
 * mentions pass quiet hours; in a muted chat only when it mentions me and mentions may pass the
 * mute (both must hold when both apply). The server's pushes and the web client's in-tab
 * notifications decide alike.
 */
export function shouldNotify(
  input: { mute: ChatMute | null | undefined; settings: NotifySettings; mentioned: boolean },
  now: Date,
): boolean {
  if (inQuietHours(input.settings, now) && !(input.mentioned && input.settings.mentionsInQuietHours)) return false;
  if (!isMuted(input.mute, now)) return true;
  return input.mentioned && (input.mute?.mentionsOverrideMute ?? true);
}

/**
 * What a push carries (JSON, encrypted with RFC 8291 aes128gcm): enough to show a notification
 * and open the chat. `body` is absent when the recipient hides message text.
 */
export interface PushPayload {
  conversationId: string;
  seq: number;
  title: string;
  body?: string;
}
