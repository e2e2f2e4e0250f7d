/** @module Notification requests on the wire: per-chat mutes, quiet hours, the privacy setting and Web Push subscriptions (their rules and objects: notify-rules.ts). */
import { z } from "zod";
import type { ChatMute, NotifySettings } from "./notify-rules.js";

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, { message: "must be base64url" });
const minuteOfDay = z.int().min(0).max(1439);

/** The notification requests' schemas, built when first read: merged into `REQUESTS` (requests.ts). */
export const NOTIFY_REQUEST_BUILDERS = {
  "notify.get": () => z.object({}),
  "notify.mute": () =>
    z.object({
      conversationId: z.string().min(1).max(64),
      duration: z.enum(["1h", "8h", "forever", "off"]),
      mentionsOverrideMute: z.boolean().optional(),
    }),
  "notify.settings": () =>
    z.object({
      dnd: z.strictObject({ start: minuteOfDay, end: minuteOfDay }).nullable().optional(),
      utcOffsetMinutes: z
        .int()
        .min(-14 * 60)
        .max(14 * 60)
        .optional(),
      hideText: z.boolean().optional(),
      mentionsInQuietHours: z.boolean().optional(),
    }),
  "push.vapidKey": () => z.object({}),
  "push.subscribe": () =>
    z.object({
      endpoint: z.string().min(1).max(2000),
      keys: z.object({ p256dh: base64url(200), auth: base64url(100) }),
    }),
  "push.unsubscribe": () => z.object({ endpoint: z.string().min(1).max(2000) }),
  "session.visibility": () => z.object({ visible: z.boolean() }),
} as const;

/** The replies of the notification requests. */
export interface NotifyReplies {
  /** My settings and every chat mute I set (expired ones included: their `mentionsOverrideMute` stays). */
  "notify.get": { settings: NotifySettings; mutes: ChatMute[] };
  "notify.mute": { mute: ChatMute };
  "notify.settings": { settings: NotifySettings };
  /** The server's VAPID public key (base64url), the `applicationServerKey` of `pushManager.subscribe`. */
  "push.vapidKey": { publicKey: string };
  "push.subscribe": Record<string, never>;
  "push.unsubscribe": Record<string, never>;
  /** This session's app is shown (`visible`) or hidden: a device with no visible session gets pushes. */
  "session.visibility": Record<string, never>;
}
