/** @module Events the server pushes; feed events also come back, in the same shape, from `sync`. */
import type { Conversation, Invitation, Message, Presence, User } from "./entities.js";
import type { ChatMute, NotifySettings } from "./notify-rules.js";

/**
 * Fields every feed event has. `eventId` is the event's place in the feed: it grows, so a
 * client that saw an event live can drop the copy `sync` returns later.
 */
interface FeedEventBase {
  eventId: number;
  conversationId: string;
}

export interface MessageNewEvent extends FeedEventBase {
  type: "message.new";
  seq: number;
  message: Message;
}
export interface MessageEditedEvent extends FeedEventBase {
  type: "message.edited";
  seq: number;
  message: Message;
}
export interface MessageDeletedEvent extends FeedEventBase {
  type: "message.deleted";
  seq: number;
  message: Message;
}
/** The message's link preview arrived (fetched after the send): `message` carries it in `preview`. */
export interface MessagePreviewEvent extends FeedEventBase {
  type: "message.preview";
  seq: number;
  message: Message;
}
export interface ReactionEvent extends FeedEventBase {
  type: "message.reaction";
  seq: number;
  userId: string;
  emoji: string;
  added: boolean;
  message: Message;
}
export interface ReceiptEvent extends FeedEventBase {
  type: "receipt";
  userId: string;
  readSeq: number;
}
export interface ConversationCreatedEvent extends FeedEventBase {
  type: "conversation.created";
  conversation: Conversation;
}
/** Title or membership changed; a user who was removed or left finds itself in `removed`. */
export interface ConversationUpdatedEvent extends FeedEventBase {
  type: "conversation.updated";
  conversation: Conversation;
  byUserId: string;
  added: string[];
  removed: string[];
}

/**
 * An invitation for me was made (`invitation.new`) or answered on one of my devices
 * (`invitation.updated`). Only the invitee hears it, live and in `sync`; `conversationId` is the
 * group's, which the invitee is not (yet) a member of.
 */
export interface InvitationNewEvent extends FeedEventBase {
  type: "invitation.new";
  invitation: Invitation;
}
export interface InvitationUpdatedEvent extends FeedEventBase {
  type: "invitation.updated";
  invitation: Invitation;
}

/**
 * I muted or unmuted a chat (`notify.mute`) on one of my devices. Only I hear it, on every
 * device, live and in `sync` (my own channel, like invitations).
 */
export interface NotifyMuteEvent extends FeedEventBase {
  type: "notify.mute";
  mute: ChatMute;
}
/**
 * I changed my notification settings (`notify.settings`); `conversationId` is my own channel,
 * `user:<my id>`, since the settings belong to no chat. Only I hear it.
 */
export interface NotifySettingsEvent extends FeedEventBase {
  type: "notify.settings";
  settings: NotifySettings;
}
/**
 * My profile changed (`account.update`, on any of my devices). Only my own devices hear it, live
 * and in `sync`; `conversationId` is my user id (the event belongs to no conversation).
 */
export interface AccountUpdatedEvent extends FeedEventBase {
  type: "account.updated";
  user: User;
}

/** An event that is stored and returned by `sync`. */
export type FeedEvent =
  | MessageNewEvent
  | MessageEditedEvent
  | MessageDeletedEvent
  | MessagePreviewEvent
  | ReactionEvent
  | ReceiptEvent
  | ConversationCreatedEvent
  | ConversationUpdatedEvent
  | InvitationNewEvent
  | InvitationUpdatedEvent
  | NotifyMuteEvent
  | NotifySettingsEvent
  | AccountUpdatedEvent;

/** Someone is typing; ephemeral, never stored; show for a few seconds. */
export interface TypingEvent {
  type: "typing";
  conversationId: string;
  userId: string;
}
/** A presence change of a user this session subscribed to; ephemeral, never stored. */
export interface PresenceEvent extends Presence {
  type: "presence";
}

/** The first frame of every accepted connection: who the server took the token for. */
export interface SessionEvent {
  type: "session";
  userId: string;
  deviceId: string;
  sessionId: string;
}

/** The node lost live events (its bus connection was cut and is back): sync now. */
export interface ResyncEvent {
  type: "resync";
}

/** An incident as the in-app banner shows it; `url` is its page on the public status page. */
export interface IncidentNotice {
  id: string;
  /** The public title in English (the words of `titles.en`), for clients that know no other. */
  title: string;
  /** The public title in each language the web client speaks; show the UI language's. */
  titles?: { en: string; ko: string };
  /** `resolved` is the last word on an incident: the client hides its banner. */
  status: "investigating" | "identified" | "monitoring" | "resolved";
  impact: "none" | "minor" | "major" | "critical";
  url: string;
}

/**
 * The control tower's in-app banner: sent to every session when an incident opens, changes or
 * is resolved, and to a new session right after its `session` frame for each open incident.
 * Live only (not in the feed), but never shed under load: during an incident it is the news
 * users most need.
 */
export interface IncidentEvent {
  type: "incident";
  incident: IncidentNotice;
}

/** Ephemeral events: delivered live only, shed first under load. */
export type EphemeralEvent = TypingEvent | PresenceEvent;

/** Any event the server pushes. */
export type ServerEvent = FeedEvent | EphemeralEvent | SessionEvent | ResyncEvent | IncidentEvent;

/** The `type` of every feed event, in one list for validation and docs. */
export const FEED_EVENT_TYPES = [
  "message.new",
  "message.edited",
  "message.deleted",
  "message.reaction",
  "receipt",
  "conversation.created",
  "conversation.updated",
  "invitation.new",
  "invitation.updated",
  "message.preview",
  "notify.mute",
  "notify.settings",
  "account.updated",
] as const satisfies readonly FeedEvent["type"][];
