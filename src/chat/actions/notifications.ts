/** @module Notifications: per-chat mutes and the user's settings (synced to every device through their feed), and Web Push subscriptions. */
import {
  type ChatMute,
  MUTE_DURATIONS,
  MUTED_FOREVER,
  type NotifyReplies,
  type NotifySettings,
} from "../../protocol/index.js";
import { accessConversation } from "../access.js";
import { type ChatContext, publishEvent } from "../context.js";

/** My settings and chat mutes, for a device that starts (later changes come as feed events). */
export function notifyState(ctx: ChatContext, userId: string): Promise<NotifyReplies["notify.get"]> {
  return ctx.store.notifyState(userId);
}

/**
 * Mute a chat for an hour, eight hours or until turned on, or turn its mute off. The end is
 * reckoned on the server's clock, so a device with a wrong clock mutes for as long as the
 * others think. `mentionsOverrideMute` keeps its last value when not given (true at first).
 */
export async function muteChat(
  ctx: ChatContext,
  userId: string,
  input: {
    conversationId: string;
    duration: "1h" | "8h" | "forever" | "off";
    mentionsOverrideMute?: boolean | undefined;
  },
): Promise<ChatMute> {
  await accessConversation(ctx, userId, input.conversationId);
  const now = ctx.now();
  const before = (await ctx.store.notifyPrefs([userId], input.conversationId)).get(userId)?.mute;
  const mutedUntil =
    input.duration === "off"
      ? null
      : input.duration === "forever"
        ? MUTED_FOREVER
        : new Date(now.getTime() + MUTE_DURATIONS[input.duration]).toISOString();
  const mute: ChatMute = {
    conversationId: input.conversationId,
    mutedUntil,
    mentionsOverrideMute: input.mentionsOverrideMute ?? before?.mentionsOverrideMute ?? true,
  };
  const written = await ctx.store.setMute(userId, mute, now.toISOString());
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** Change some of my settings; what is not given stays as it was. */
export async function updateSettings(
  ctx: ChatContext,
  userId: string,
  input: {
    dnd?: { start: number; end: number } | null | undefined;
    utcOffsetMinutes?: number | undefined;
    hideText?: boolean | undefined;
    mentionsInQuietHours?: boolean | undefined;
  },
): Promise<NotifySettings> {
  const { settings: before } = await ctx.store.notifyState(userId);
  const settings: NotifySettings = {
    dnd: input.dnd === undefined ? before.dnd : input.dnd,
    utcOffsetMinutes: input.utcOffsetMinutes ?? before.utcOffsetMinutes,
    hideText: input.hideText ?? before.hideText,
    mentionsInQuietHours: input.mentionsInQuietHours ?? before.mentionsInQuietHours,
  };
  const written = await ctx.store.setNotifySettings(userId, settings, ctx.now().toISOString());
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  return written.value;
}

/** Keep this device's push subscription (its endpoint already checked by the edge's address policy). */
export async function subscribePush(
  ctx: ChatContext,
  userId: string,
  deviceId: string,
  input: { endpoint: string; keys: { p256dh: string; auth: string } },
): Promise<void> {
  await ctx.store.addPushSubscription({
    endpoint: input.endpoint,
    userId,
    deviceId,
    p256dh: input.keys.p256dh,
    auth: input.keys.auth,
    createdAt: ctx.now().toISOString(),
  });
}

/** Remove one of my push subscriptions; an endpoint that is not mine is left alone. */
export async function unsubscribePush(ctx: ChatContext, userId: string, endpoint: string): Promise<void> {
  await ctx.store.removePushSubscription(endpoint, userId);
}
