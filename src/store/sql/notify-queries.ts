/** @module SQL of notifications: chat mutes and settings (announced on the user's own channel) and Web Push subscriptions. */
import { type ChatMute, DEFAULT_NOTIFY_SETTINGS, type NotifySettings } from "../../protocol/index.js";
import type { NotifyPrefs, PushSubscriptionRecord, Written } from "../store.js";
import { appendEvent, userChannel } from "./feed-queries.js";
import { placeholders, type SqlExecutor } from "./sql-driver.js";

interface MuteRow {
  user_id: string;
  conversation_id: string;
  muted_until: string | null;
  mentions_override: number | boolean;
}

interface SettingsRow {
  user_id: string;
  dnd_start: number | null;
  dnd_end: number | null;
  utc_offset: number;
  hide_text: number | boolean;
  mentions_in_dnd: number | boolean;
}

interface SubscriptionRow {
  endpoint: string;
  user_id: string;
  device_id: string;
  p256dh: string;
  auth: string;
  created_at: string;
}

const toMute = (row: MuteRow): ChatMute => ({
  conversationId: row.conversation_id,
  mutedUntil: row.muted_until,
  mentionsOverrideMute: Boolean(row.mentions_override),
});

const toSettings = (row: SettingsRow | undefined): NotifySettings =>
  row
    ? {
        dnd: row.dnd_start === null || row.dnd_end === null ? null : { start: row.dnd_start, end: row.dnd_end },
        utcOffsetMinutes: Number(row.utc_offset),
        hideText: Boolean(row.hide_text),
        mentionsInQuietHours: Boolean(row.mentions_in_dnd),
      }
    : { ...DEFAULT_NOTIFY_SETTINGS };

const toSubscription = (row: SubscriptionRow): PushSubscriptionRecord => ({
  endpoint: row.endpoint,
  userId: row.user_id,
  deviceId: row.device_id,
  p256dh: row.p256dh,
  auth: row.auth,
  createdAt: row.created_at,
});

/** Inside a write: keep the user's mute of one chat and announce it on their own channel. */
export async function setMute(db: SqlExecutor, userId: string, mute: ChatMute, at: string): Promise<Written<ChatMute>> {
  await db.run(
    `INSERT INTO chat_mutes (user_id, conversation_id, muted_until, mentions_override, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET muted_until = excluded.muted_until,
       mentions_override = excluded.mentions_override, updated_at = excluded.updated_at`,
    [userId, mute.conversationId, mute.mutedUntil, mute.mentionsOverrideMute ? 1 : 0, at],
  );
  const event = await appendEvent(db, { type: "notify.mute", conversationId: mute.conversationId, mute }, at, {
    channel: userChannel(userId),
  });
  return { value: mute, event, audience: [userId] };
}

/** Inside a write: keep the user's settings and announce them on their own channel. */
export async function setSettings(
  db: SqlExecutor,
  userId: string,
  settings: NotifySettings,
  at: string,
): Promise<Written<NotifySettings>> {
  await db.run(
    `INSERT INTO notify_settings (user_id, dnd_start, dnd_end, utc_offset, hide_text, mentions_in_dnd, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET dnd_start = excluded.dnd_start, dnd_end = excluded.dnd_end,
       utc_offset = excluded.utc_offset, hide_text = excluded.hide_text,
       mentions_in_dnd = excluded.mentions_in_dnd, updated_at = excluded.updated_at`,
    [
      userId,
      settings.dnd?.start ?? null,
      settings.dnd?.end ?? null,
      settings.utcOffsetMinutes,
      settings.hideText ? 1 : 0,
      settings.mentionsInQuietHours ? 1 : 0,
      at,
    ],
  );
  const channel = userChannel(userId);
  const event = await appendEvent(db, { type: "notify.settings", conversationId: channel, settings }, at, { channel });
  return { value: settings, event, audience: [userId] };
}

export async function settingsOf(db: SqlExecutor, userId: string): Promise<NotifySettings> {
  return toSettings(await db.get<SettingsRow>("SELECT * FROM notify_settings WHERE user_id = ?", [userId]));
}

export async function mutesOf(db: SqlExecutor, userId: string): Promise<ChatMute[]> {
  const rows = await db.all<MuteRow>("SELECT * FROM chat_mutes WHERE user_id = ? ORDER BY conversation_id", [userId]);
  return rows.map(toMute);
}

/** The settings and this chat's mute of each of these users (defaults for those who set none). */
export async function prefsOf(
  db: SqlExecutor,
  userIds: readonly string[],
  conversationId: string,
): Promise<Map<string, NotifyPrefs>> {
  const prefs = new Map<string, NotifyPrefs>();
  for (let i = 0; i < userIds.length; i += 400) {
    const chunk = userIds.slice(i, i + 400);
    const settings = await db.all<SettingsRow>(
      `SELECT * FROM notify_settings WHERE user_id IN (${placeholders(chunk.length)})`,
      chunk,
    );
    const mutes = await db.all<MuteRow>(
      `SELECT * FROM chat_mutes WHERE conversation_id = ? AND user_id IN (${placeholders(chunk.length)})`,
      [conversationId, ...chunk],
    );
    const settingsBy = new Map(settings.map((row) => [row.user_id, row]));
    const muteBy = new Map(mutes.map((row) => [row.user_id, row]));
    for (const userId of chunk) {
      const mute = muteBy.get(userId);
      prefs.set(userId, { settings: toSettings(settingsBy.get(userId)), mute: mute ? toMute(mute) : null });
    }
  }
  return prefs;
}

/** Keep a subscription; an endpoint already kept (a browser subscribing again, maybe after another login) moves to this device. */
export async function upsertSubscription(db: SqlExecutor, sub: PushSubscriptionRecord): Promise<void> {
  await db.run(
    `INSERT INTO push_subscriptions (endpoint, user_id, device_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id,
       p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
    [sub.endpoint, sub.userId, sub.deviceId, sub.p256dh, sub.auth, sub.createdAt],
  );
}

/**
 * The subscriptions of these users whose device is neither revoked nor expired at `now`: a push
 * never reaches the browser of a device that was logged out.
 */
export async function subscriptionsOf(
  db: SqlExecutor,
  userIds: readonly string[],
  now: string,
): Promise<PushSubscriptionRecord[]> {
  const found: PushSubscriptionRecord[] = [];
  for (let i = 0; i < userIds.length; i += 400) {
    const chunk = userIds.slice(i, i + 400);
    const rows = await db.all<SubscriptionRow>(
      `SELECT p.* FROM push_subscriptions p JOIN devices d ON d.id = p.device_id
       WHERE p.user_id IN (${placeholders(chunk.length)}) AND d.revoked_at IS NULL AND d.expires_at > ?
       ORDER BY p.user_id, p.endpoint`,
      [...chunk, now],
    );
    found.push(...rows.map(toSubscription));
  }
  return found;
}
