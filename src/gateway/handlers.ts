/** @module The request table: each WebSocket request type, the chat action that answers it, and what sets it apart in dispatch. */
import type { z } from "zod";
import * as accounts from "../chat/accounts.js";
import * as account from "../chat/actions/account.js";
import * as contacts from "../chat/actions/contacts.js";
import * as conversations from "../chat/actions/conversations.js";
import * as files from "../chat/actions/files.js";
import * as forward from "../chat/actions/forward.js";
import * as groupLinks from "../chat/actions/group-links.js";
import * as groupSettings from "../chat/actions/group-settings.js";
import * as invitations from "../chat/actions/invitations.js";
import * as memberProfiles from "../chat/actions/member-profiles.js";
import * as messages from "../chat/actions/messages.js";
import * as notifications from "../chat/actions/notifications.js";
import * as pins from "../chat/actions/pins.js";
import * as presence from "../chat/actions/presence.js";
import * as receipts from "../chat/actions/receipts.js";
import * as search from "../chat/actions/search.js";
import type { ChatContext } from "../chat/context.js";
import type { Metrics } from "../ops/metrics.js";
import type { Presence, REQUESTS, Replies, RequestType } from "../protocol/index.js";
import { HaetaeError } from "../protocol/index.js";
import type { DeviceAttention } from "./device-attention.js";
import type { PresenceRegistry } from "./presence.js";
import { checkPushEndpoint } from "./push-endpoint.js";
import type { Session } from "./session.js";

/** What a handler (or a request's traits) may use besides the chat context. */
export interface HandlerEnv {
  ctx: ChatContext;
  presence: PresenceRegistry;
  /** Which devices are looked at (they get no push); `session.visibility` moves a session in and out. */
  attention: DeviceAttention;
  metrics: Pick<Metrics, "messagesStored">;
  presenceSubscriptionLimit: number;
  syncShedQueuedReads: number;
  /** Web Push: the VAPID public key browsers subscribe with, and whether private endpoints are allowed (tests). */
  push: { publicKey: string; allowPrivateEndpoints: boolean } | null;
}

/** Web Push as this node offers it, or `unavailable` when it offers none. */
function pushOf(env: HandlerEnv): NonNullable<HandlerEnv["push"]> {
  if (!env.push) throw new HaetaeError("unavailable", "This server sends no push notifications.");
  return env.push;
}

type Handler<T extends RequestType> = (
  env: HandlerEnv,
  session: Session,
  params: z.output<(typeof REQUESTS)[T]>,
  /** Called by a handler whose write is queued in the store's order: the connection's next send may start. */
  queued: () => void,
) => Promise<Replies[T]>;

const empty = {} as Record<string, never>;

/** Every request type has exactly one handler; the type checker keeps this table complete. */
export const HANDLERS: { [T in RequestType]: Handler<T> } = {
  ping: async (env) => ({ now: env.ctx.now().toISOString() }),
  "user.find": async ({ ctx }, s, p) => ({ user: await contacts.findUser(ctx, p.username, s.userId) }),
  "user.get": async ({ ctx }, s, p) => ({ users: await contacts.getUsers(ctx, p.userIds, s.userId) }),
  "contact.add": async ({ ctx }, s, p) => ({ contacts: await contacts.addContact(ctx, s.userId, p.userId) }),
  "contact.remove": async ({ ctx }, s, p) => ({ contacts: await contacts.removeContact(ctx, s.userId, p.userId) }),
  "contact.list": async ({ ctx }, s) => ({ contacts: await contacts.listContacts(ctx, s.userId) }),
  "block.add": async ({ ctx }, s, p) => ({ blocked: await contacts.blockUser(ctx, s.userId, p.userId) }),
  "block.remove": async ({ ctx }, s, p) => ({ blocked: await contacts.unblockUser(ctx, s.userId, p.userId) }),
  "block.list": async ({ ctx }, s) => ({ blocked: await contacts.listBlocked(ctx, s.userId) }),
  "device.list": async ({ ctx }, s) => ({ devices: await accounts.listDevices(ctx, s.userId, s.deviceId) }),
  "device.revoke": async ({ ctx }, s, p) => {
    await accounts.revokeDevice(ctx, s.userId, p.deviceId, p.deviceId !== s.deviceId);
    return empty;
  },
  "auth.logout": async ({ ctx }, s) => {
    await accounts.revokeDevice(ctx, s.userId, s.deviceId);
    return empty;
  },
  "conversation.create": async ({ ctx }, s, p) => conversations.createConversation(ctx, s.userId, p),
  "conversation.list": async ({ ctx }, s, p) => conversations.listConversationPage(ctx, s.userId, p),
  "conversation.get": async ({ ctx }, s, p) => conversations.getConversation(ctx, s.userId, p.conversationId),
  "conversation.members": async ({ ctx }, s, p) => ({
    members: await memberProfiles.listMemberProfiles(ctx, s.userId, p.conversationId),
  }),
  "conversation.update": async ({ ctx }, s, p) => ({ conversation: await groupSettings.updateGroup(ctx, s.userId, p) }),
  "conversation.setRole": async ({ ctx }, s, p) => ({ conversation: await groupSettings.setRole(ctx, s.userId, p) }),
  "conversation.transferOwnership": async ({ ctx }, s, p) => ({
    conversation: await groupSettings.transferOwnership(ctx, s.userId, p),
  }),
  "conversation.addMembers": async ({ ctx }, s, p) =>
    conversations.addMembers(ctx, s.userId, p.conversationId, p.userIds),
  "conversation.removeMember": async ({ ctx }, s, p) => ({
    conversation: await conversations.removeMember(ctx, s.userId, p.conversationId, p.userId),
  }),
  "conversation.leave": async ({ ctx }, s, p) => {
    await conversations.leaveConversation(ctx, s.userId, p.conversationId);
    return empty;
  },
  "conversation.report": async ({ ctx }, s, p) => ({ report: await invitations.reportConversation(ctx, s.userId, p) }),
  "invitation.list": async ({ ctx }, s) => ({ invitations: await invitations.listInvitations(ctx, s.userId) }),
  "invitation.accept": async ({ ctx }, s, p) => invitations.acceptInvitation(ctx, s.userId, p.invitationId),
  "invitation.decline": async ({ ctx }, s, p) => ({
    invitation: await invitations.declineInvitation(ctx, s.userId, p.invitationId),
  }),
  "groupLink.create": async ({ ctx }, s, p) => ({ link: await groupLinks.createGroupLink(ctx, s.userId, p) }),
  "groupLink.list": async ({ ctx }, s, p) => ({
    links: await groupLinks.listGroupLinks(ctx, s.userId, p.conversationId),
  }),
  "groupLink.revoke": async ({ ctx }, s, p) => ({ link: await groupLinks.revokeGroupLink(ctx, s.userId, p) }),
  "groupLink.preview": async ({ ctx }, s, p) => ({
    preview: await groupLinks.previewGroupLink(ctx, s.userId, p.token),
  }),
  "groupLink.join": async ({ ctx }, s, p) => ({
    conversation: await groupLinks.joinByGroupLink(ctx, s.userId, p.token),
  }),
  "message.send": async ({ ctx }, s, p, queued) => messages.sendMessage(ctx, s.userId, p, queued),
  "message.edit": async ({ ctx }, s, p) => ({ message: await messages.editMessage(ctx, s.userId, p) }),
  "message.delete": async ({ ctx }, s, p) => ({ message: await messages.deleteMessage(ctx, s.userId, p) }),
  "reaction.add": async ({ ctx }, s, p) => ({ message: await messages.react(ctx, s.userId, p, true) }),
  "reaction.remove": async ({ ctx }, s, p) => ({ message: await messages.react(ctx, s.userId, p, false) }),
  history: async ({ ctx }, s, p) => messages.history(ctx, s.userId, p),
  read: async ({ ctx }, s, p) => ({ readSeq: await receipts.markRead(ctx, s.userId, p) }),
  sync: async ({ ctx }, s, p) => receipts.sync(ctx, s.userId, p),
  typing: async ({ ctx }, s, p) => {
    await receipts.typing(ctx, s.userId, p.conversationId);
    return empty;
  },
  "files.list": async ({ ctx }, s, p) => files.listFiles(ctx, s.userId, p),
  "notify.get": async ({ ctx }, s) => notifications.notifyState(ctx, s.userId),
  "notify.mute": async ({ ctx }, s, p) => ({ mute: await notifications.muteChat(ctx, s.userId, p) }),
  "notify.settings": async ({ ctx }, s, p) => ({ settings: await notifications.updateSettings(ctx, s.userId, p) }),
  "push.vapidKey": async (env) => ({ publicKey: pushOf(env).publicKey }),
  "push.subscribe": async (env, s, p) => {
    const endpoint = checkPushEndpoint(p.endpoint, pushOf(env).allowPrivateEndpoints);
    await notifications.subscribePush(env.ctx, s.userId, s.deviceId, { endpoint, keys: p.keys });
    return empty;
  },
  "push.unsubscribe": async ({ ctx }, s, p) => {
    await notifications.unsubscribePush(ctx, s.userId, p.endpoint);
    return empty;
  },
  "session.visibility": async ({ attention }, s, p) => {
    if (s.isOpen && p.visible !== s.visible) {
      s.visible = p.visible;
      if (p.visible) attention.attend(s.deviceId, s.userId);
      else attention.leave(s.deviceId, s.userId);
    }
    return empty;
  },
  "account.update": async ({ ctx }, s, p) => ({ user: await account.updateAccount(ctx, s.userId, p) }),
  "account.delete": async ({ ctx }, s, p) => {
    await account.deleteAccount(ctx, s.user, p.password);
    return empty;
  },
  search: async ({ ctx }, s, p) => search.search(ctx, s.userId, p),
  pin: async ({ ctx }, s, p) => pins.setPinned(ctx, s.userId, p.conversationId, p.seq),
  unpin: async ({ ctx }, s, p) => pins.setPinned(ctx, s.userId, p.conversationId, null),
  "message.forward": async ({ ctx }, s, p) => forward.forwardMessage(ctx, s.userId, p),
  "presence.subscribe": async (env, s, p) => {
    const choice = await presence.choosePresences(env.ctx, s.userId, p.userIds, env.presenceSubscriptionLimit);
    const { allowed, refused } = choice;
    s.presenceSubscriptions.clear();
    for (const userId of allowed) s.presenceSubscriptions.add(userId);
    // Kept even when all are refused: one who adds this user as a contact later is followed from then on.
    s.presenceRefused.clear();
    for (const userId of refused) s.presenceRefused.add(userId);
    presence.refuseIfNoneAllowed(choice);
    return { presences: await shownPresences(env, allowed), refused };
  },
  "presence.get": async (env, s, p) => {
    const { allowed, refused } = await presence.choosePresences(
      env.ctx,
      s.userId,
      p.userIds,
      env.presenceSubscriptionLimit,
    );
    return { presences: await shownPresences(env, allowed), refused };
  },
};

/** The presences of users the viewer may see, as shown: masked for those who hide it, last seen from the store when this node never saw it. */
async function shownPresences(env: HandlerEnv, allowed: string[]): Promise<Presence[]> {
  // The store says who hides; the bus keeps it current afterwards.
  const hidden = new Set(await env.ctx.store.presenceHiddenAmong(allowed));
  for (const userId of allowed) env.presence.setHidden(userId, hidden.has(userId));
  // Users this node never saw go offline (it started later): the store kept when they did.
  const unknown = allowed.filter((userId) => env.presence.get(userId).lastSeenAt === null);
  for (const [userId, at] of await env.ctx.store.lastSeenAmong(unknown)) env.presence.seedLastSeen(userId, at);
  return allowed.map((userId) => env.presence.shown(userId));
}

/**
 * What sets a request type apart on its way through dispatch; a type not listed here has none
 * of these. Every request passes the same checks, in the same order, and is answered the same
 * way: these only say how a type takes part in them.
 */
export interface RequestTraits<T extends RequestType> {
  /**
   * A message write: counted against the account's send rate besides its request rate, and
   * started as soon as the connection's previous send has queued its write (its handler calls
   * `queued`), so a device's sends share group commits (see `Session.enqueue`).
   */
  send?: true;
  /**
   * Refused with `overloaded` when the store's write queue is full: then the connection is not
   * read until the queue drains (see `ReadPauses`), at once, not when the refusal's turn to be
   * answered comes, since the frames behind it wait unread.
   */
  pausesReadingWhenOverloaded?: true;
  /** Refused before it is queued when this node's reads should go elsewhere (counted under its code). */
  shed?(env: HandlerEnv, session: Session): HaetaeError | null;
  /** What the connection or the node learns from a reply, before it is sent. */
  answered?(env: HandlerEnv, session: Session, reply: Replies[T]): void;
}

export const TRAITS: { [T in RequestType]?: RequestTraits<T> } = {
  "message.send": {
    send: true,
    pausesReadingWhenOverloaded: true,
    answered: ({ metrics }, _s, reply) => {
      if (!reply.duplicate) metrics.messagesStored.inc();
    },
  },
  "presence.get": {
    // Presence is the first work shed (G5), with typing: a member list shows none until the load passes.
    shed: ({ ctx }) =>
      ctx.load.level >= 1
        ? new HaetaeError("overloaded", "Presence is paused under load; ask again after retryAfterMs.", 5000)
        : null,
  },
  search: {
    // Search is the first read deferred (G5): while reads queue for the store, it waits for them.
    shed: ({ ctx, syncShedQueuedReads }) =>
      ctx.store.queuedReads >= syncShedQueuedReads
        ? new HaetaeError("overloaded", "The store is busy; search again after retryAfterMs.", 5000)
        : null,
  },
  sync: {
    // A sync from a session already caught up only moves its cursor forward (its client has the
    // events live): while reads queue for the store, it waits, and the catch-up syncs and logins
    // of reconnecting sessions go first. The client retries after retryAfterMs; nothing is lost.
    shed: ({ ctx, syncShedQueuedReads }, s) =>
      s.caughtUp && ctx.store.queuedReads >= syncShedQueuedReads
        ? new HaetaeError("overloaded", "The store is busy; sync again after retryAfterMs.", 5000)
        : null,
    answered: (_env, s, reply) => {
      if (reply.hasMore === false) s.caughtUp = true;
    },
  },
};
