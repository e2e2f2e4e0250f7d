/** @module Schemas of every WebSocket request and the replies they get; shared by server, SDK and tests. */
import { z } from "zod";
import type {
  Conversation,
  ConversationFile,
  ConversationReport,
  ConversationSummary,
  Device,
  FileInfo,
  GroupLink,
  GroupLinkPreview,
  Invitation,
  MemberState,
  Message,
  Presence,
  SearchResult,
  User,
} from "./entities.js";
import type { FeedEvent } from "./events.js";
import { NOTIFY_REQUEST_BUILDERS, type NotifyReplies } from "./notifications.js";

/**
 * Hard bounds that keep a parser from doing unbounded work; the configurable limits (text
 * length, group size) are checked by the domain against the server's config.
 */
/** A string without NUL: PostgreSQL refuses it, and no client has a reason to send one. */
const str = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((v) => !v.includes("\u0000"), { message: "must not contain NUL characters" });
/** Sequences are 32-bit in the store: 2,147,483,647 messages per conversation. */
const MAX_SEQ = 2_147_483_647;
const id = str(1, 64);
const seq = z.int().min(1).max(MAX_SEQ);
const seqOrZero = z.int().min(0).max(MAX_SEQ);
const text = str(0, 1_000_000);
const emoji = str(1, 32);
const userIds = z.array(id).max(10_000);
/** An invite link's token as the server makes them (base64url); anything else is no token at all. */
const groupLinkToken = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "not an invite link token");
/** A point in time as the server writes `createdAt` (ISO 8601, UTC or with an offset). */
const instant = z.iso.datetime({ offset: true });
/** Longest search query (code units): longer is `invalid_request`, never a slow scan. */
export const MAX_SEARCH_QUERY = 200;
/** Most conversations one `message.forward` sends to. */
export const MAX_FORWARD_TARGETS = 20;
/** Files one message may carry (KakaoTalk sends up to 30 photos at once). */
export const MAX_FILES_PER_MESSAGE = 30;

/** How to build each request type's schema (`REQUESTS` builds it when first read). */
const REQUEST_BUILDERS = {
  ping: () => z.object({}),
  "user.find": () => z.object({ username: str(1, 64) }),
  "user.get": () => z.object({ userIds: z.array(id).min(1).max(1000) }),
  "contact.add": () => z.object({ userId: id }),
  "contact.remove": () => z.object({ userId: id }),
  "contact.list": () => z.object({}),
  "block.add": () => z.object({ userId: id }),
  "block.remove": () => z.object({ userId: id }),
  "block.list": () => z.object({}),
  "device.list": () => z.object({}),
  "device.revoke": () => z.object({ deviceId: id }),
  "auth.logout": () => z.object({}),
  "conversation.create": () =>
    z.object({
      kind: z.enum(["direct", "group"]),
      memberIds: userIds,
      title: str(1, 200).optional(),
    }),
  "conversation.list": () => z.object({ limit: z.int().min(1).max(10_000).optional(), cursor: str(1, 200).optional() }),
  "conversation.get": () => z.object({ conversationId: id }),
  "conversation.members": () => z.object({ conversationId: id }),
  /** Rename, set the photo (an uploaded image's id), or remove it (`photoFileId: null`); at least one. */
  "conversation.update": () =>
    z
      .object({ conversationId: id, title: str(1, 200).optional(), photoFileId: id.nullable().optional() })
      .refine((p) => p.title !== undefined || p.photoFileId !== undefined, {
        message: "title or photoFileId is required",
      }),
  "conversation.setRole": () => z.object({ conversationId: id, userId: id, role: z.enum(["admin", "member"]) }),
  "conversation.transferOwnership": () => z.object({ conversationId: id, userId: id }),
  "conversation.addMembers": () => z.object({ conversationId: id, userIds: userIds.min(1) }),
  "conversation.removeMember": () => z.object({ conversationId: id, userId: id }),
  "conversation.leave": () => z.object({ conversationId: id }),
  "conversation.report": () => z.object({ conversationId: id, reason: str(1, 1000).optional() }),
  "invitation.list": () => z.object({}),
  "invitation.accept": () => z.object({ invitationId: id }),
  "invitation.decline": () => z.object({ invitationId: id }),
  /** A new invite link: lives `expiresInMs` (none: until revoked) and admits `maxUses` joins (none: any number). */
  "groupLink.create": () =>
    z.object({
      conversationId: id,
      expiresInMs: z
        .int()
        .min(60_000)
        .max(366 * 24 * 3_600_000)
        .optional(),
      maxUses: z.int().min(1).max(100_000).optional(),
    }),
  "groupLink.list": () => z.object({ conversationId: id }),
  "groupLink.revoke": () => z.object({ conversationId: id, linkId: id }),
  "groupLink.preview": () => z.object({ token: groupLinkToken }),
  "groupLink.join": () => z.object({ token: groupLinkToken }),
  "message.send": () =>
    z.object({
      conversationId: id,
      clientMsgId: str(1, 128),
      // Text may be empty when files come with it (checked by the domain).
      text: text.optional(),
      replyToSeq: seq.optional(),
      fileIds: z.array(id).min(1).max(MAX_FILES_PER_MESSAGE).optional(),
    }),
  "message.edit": () => z.object({ conversationId: id, seq, text }),
  "message.delete": () => z.object({ conversationId: id, seq }),
  "reaction.add": () => z.object({ conversationId: id, seq, emoji }),
  "reaction.remove": () => z.object({ conversationId: id, seq, emoji }),
  history: () =>
    z.object({
      conversationId: id,
      beforeSeq: seq.optional(),
      afterSeq: seqOrZero.optional(),
      /** A window around this seq (it, and messages before and after it), ascending; one of the three at most. */
      aroundSeq: seq.optional(),
      limit: z.int().min(1).max(1000).optional(),
    }),
  read: () => z.object({ conversationId: id, seq: seqOrZero }),
  // A scale-out cursor names a database snapshot: its length grows with the transactions running then.
  sync: () => z.object({ cursor: str(0, 2000).optional(), limit: z.int().min(1).max(5000).optional() }),
  typing: () => z.object({ conversationId: id }),
  "presence.subscribe": () => z.object({ userIds: z.array(id).max(1000) }),
  /** The presence of these users once, without subscribing (a group's member list). */
  "presence.get": () => z.object({ userIds: z.array(id).max(1000) }),
  /** My profile; `null` clears the status line or the photo. */
  "account.update": () =>
    z
      .object({
        displayName: str(1, 64).optional(),
        statusText: str(0, 140).nullable().optional(),
        avatarFileId: id.nullable().optional(),
        /** Hide my presence and last seen from everyone (they see "last seen recently"). */
        hidePresence: z.boolean().optional(),
      })
      .refine((p) => Object.keys(p).length > 0, { message: "nothing to change" }),
  "account.delete": () => z.object({ password: str(1, 1024) }),
  "files.list": () =>
    z.object({
      conversationId: id,
      kind: z.enum(["photo", "file"]).optional(),
      cursor: str(1, 64).optional(),
      limit: z.int().min(1).max(200).optional(),
    }),
  ...NOTIFY_REQUEST_BUILDERS,
  search: () =>
    z.object({
      // Checked by the domain past the schema (blank, one character): a clear `invalid_request`.
      query: str(0, MAX_SEARCH_QUERY),
      conversationId: id.optional(),
      senderId: id.optional(),
      /** Messages created before / after this instant. */
      before: instant.optional(),
      after: instant.optional(),
      hasFile: z.boolean().optional(),
      order: z.enum(["newest", "relevance"]).optional(),
      limit: z.int().min(1).max(100).optional(),
      cursor: str(1, 300).optional(),
    }),
  pin: () => z.object({ conversationId: id, seq }),
  unpin: () => z.object({ conversationId: id }),
  "message.forward": () =>
    z.object({
      fromConversationId: id,
      seq,
      toConversationIds: z.array(id).min(1).max(MAX_FORWARD_TARGETS),
      /** Makes a retried forward exactly-once: each copy's clientMsgId is derived from it and its target. */
      clientMsgId: str(1, 63).optional(),
    }),
} as const;

/**
 * Request schemas by `type`. Each frame also carries a client-chosen `id`. A schema is built the
 * first time it is read (the first request of its type, or a look at it): a node keeps only the
 * schemas of the requests it has been sent, not some hundreds of zod objects for all of them.
 */
export const REQUESTS = lazySchemas(REQUEST_BUILDERS);

function lazySchemas<B extends Record<string, () => z.ZodType>>(
  builders: B,
): { readonly [K in keyof B]: ReturnType<B[K]> } {
  const schemas = {} as { [K in keyof B]: ReturnType<B[K]> };
  for (const [key, build] of Object.entries(builders)) {
    Object.defineProperty(schemas, key, {
      enumerable: true,
      configurable: true,
      get() {
        const schema = build();
        Object.defineProperty(schemas, key, { value: schema, enumerable: true });
        return schema;
      },
    });
  }
  return schemas;
}

/** Every request `type` the server knows. */
export type RequestType = keyof typeof REQUESTS;

/** The parameters of a request of type `T` (the frame without `type` and `id`). */
export type RequestParams<T extends RequestType> = z.input<(typeof REQUESTS)[T]>;

/** What the `ok` reply of each request carries besides `type` and `id`. */
export interface Replies extends NotifyReplies {
  ping: { now: string };
  "user.find": { user: User };
  "user.get": { users: User[] };
  "contact.add": { contacts: User[] };
  "contact.remove": { contacts: User[] };
  "contact.list": { contacts: User[] };
  "block.add": { blocked: User[] };
  "block.remove": { blocked: User[] };
  "block.list": { blocked: User[] };
  "device.list": { devices: Device[] };
  "device.revoke": Record<string, never>;
  "auth.logout": Record<string, never>;
  /** `invitations`: the people asked to join instead of added (they are not the creator's contacts). */
  "conversation.create": { conversation: Conversation; created: boolean; invitations: Invitation[] };
  /** `cursor` is null on the last page. */
  "conversation.list": { conversations: ConversationSummary[]; cursor: string | null; hasMore: boolean };
  "conversation.get": { conversation: Conversation; members: MemberState[]; lastSeq: number };
  "conversation.members": { members: User[] };
  "conversation.update": { conversation: Conversation };
  "conversation.addMembers": { conversation: Conversation; invitations: Invitation[] };
  "conversation.removeMember": { conversation: Conversation };
  "conversation.setRole": { conversation: Conversation };
  "conversation.transferOwnership": { conversation: Conversation };
  "conversation.leave": Record<string, never>;
  "conversation.report": { report: ConversationReport };
  "invitation.list": { invitations: Invitation[] };
  "invitation.accept": { invitation: Invitation; conversation: Conversation };
  "invitation.decline": { invitation: Invitation };
  "groupLink.create": { link: GroupLink };
  "groupLink.list": { links: GroupLink[] };
  "groupLink.revoke": { link: GroupLink };
  "groupLink.preview": { preview: GroupLinkPreview };
  "groupLink.join": { conversation: Conversation };
  "message.send": { message: Message; duplicate: boolean };
  "message.edit": { message: Message };
  "message.delete": { message: Message };
  "reaction.add": { message: Message };
  "reaction.remove": { message: Message };
  /**
   * `hasMore`: there are messages beyond the page in the direction it was read (older for
   * `beforeSeq` or none, newer for `afterSeq`). With `aroundSeq`, `hasMoreBefore` and
   * `hasMoreAfter` say it for each side, and `hasMore` is their or.
   */
  history: {
    messages: Message[];
    hasMore: boolean;
    hasMoreBefore?: boolean;
    hasMoreAfter?: boolean;
    readSeqs: Record<string, number>;
  };
  read: { readSeq: number };
  sync: { events: FeedEvent[]; cursor: string; hasMore: boolean };
  typing: Record<string, never>;
  "presence.subscribe": { presences: Presence[]; refused: string[] };
  "presence.get": { presences: Presence[]; refused: string[] };
  /** Newest first; `cursor` is null on the last page. */
  "files.list": { files: ConversationFile[]; cursor: string | null; hasMore: boolean };
  "account.update": { user: User };
  "account.delete": Record<string, never>;
  /** Newest first (or by relevance); `cursor` is null on the last page. */
  search: { results: SearchResult[]; cursor: string | null; hasMore: boolean };
  pin: { conversation: Conversation };
  unpin: { conversation: Conversation };
  /** The copies, one per target, in the order of `toConversationIds`. */
  "message.forward": { messages: Message[] };
}

/** A reply frame: `{type: "ok", id, ...}`. */
export type OkFrame<T extends RequestType> = { type: "ok"; id: string | number } & Replies[T];

/** An error reply frame: `{type: "error", id, code, message, retryAfterMs?}`. */
export interface ErrorFrame {
  type: "error";
  id: string | number | null;
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** The envelope every request frame has: a known `type` and a client-chosen `id`. */
export const requestEnvelope = z.object({
  type: z.string().min(1).max(64),
  id: z.union([z.string().min(1).max(128), z.int()]),
});

/** HTTP bodies. */
export const registerBody = z.object({
  username: str(0, 64),
  password: str(0, 1024),
  displayName: str(0, 256).optional(),
});
export const loginBody = z.object({
  username: str(0, 64),
  password: str(0, 1024),
  deviceName: str(0, 128).optional(),
  /** The device key an earlier login on this device returned: the account's failed-login backoff does not apply to it. */
  deviceKey: str(0, 256).optional(),
});
/** `POST /api/v1/auth/password` (Bearer). */
export const passwordChangeBody = z.object({
  currentPassword: str(0, 1024),
  newPassword: str(0, 1024),
});
/** `POST /api/v1/auth/password/reset`: redeem a staff-issued reset code. */
export const passwordResetBody = z.object({
  username: str(0, 64),
  code: str(0, 64),
  newPassword: str(0, 1024),
  deviceName: str(0, 128).optional(),
});

/** The reply of register (201), login and a redeemed reset (200). */
export interface AuthReply {
  user: User;
  token: string;
  deviceId: string;
  /**
   * This device's long-lived device key: kept by the client (apart from the token, and across
   * logouts) and sent as `deviceKey` with its next login; each login returns a new one.
   */
  deviceKey: string;
}

/** The reply of `POST /api/v1/auth/ws-ticket`: a one-time ticket for `/api/v1/ws?ticket=…`, void after `expiresAt`. */
export interface WsTicketReply {
  ticket: string;
  expiresAt: string;
}

/** The reply of `POST /api/v1/files` (201): the stored file. */
export interface FileUploadReply {
  file: FileInfo;
}

/** Describe the first problem zod found, with its path, for an `invalid_request` message. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid request";
  const path = issue.path.length > 0 ? issue.path.join(".") : "(frame)";
  return `${path}: ${issue.message}`;
}
