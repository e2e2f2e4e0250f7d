/** @module zod schemas of the objects and events the server sends, for clients and tests that validate what arrives. */
import { z } from "zod";

const iso = z.iso.datetime();
const id = z.string().min(1);
const seq = z.int().min(1);

/** A user as others see it: exactly the profile fields (never a role). */
export const userSchema = z.strictObject({
  id,
  username: z.string(),
  displayName: z.string(),
  createdAt: iso,
  nameCollides: z.literal(true).optional(),
  statusText: z.string().optional(),
  avatarUrl: z.string().startsWith("/api/v1/files/").optional(),
  deleted: z.literal(true).optional(),
});

/** A file a message carries (entities.ts `FileInfo`). */
export const fileSchema = z.strictObject({
  id,
  name: z.string().min(1),
  size: z.int().min(1),
  contentType: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  width: z.int().min(1).optional(),
  height: z.int().min(1).optional(),
  url: z.string().startsWith("/api/v1/files/"),
  thumbnailUrl: z.string().startsWith("/api/v1/files/").optional(),
});

/** A link preview a message carries (entities.ts `LinkPreview`). */
export const linkPreviewSchema = z.strictObject({
  url: z.string().regex(/^https?:\/\//),
  title: z.string().min(1).optional(),
  description: z.string().min(1).optional(),
  siteName: z.string().min(1).optional(),
  imageUrl: z.string().startsWith("/api/v1/previews/").optional(),
});

export const conversationSchema = z.strictObject({
  id,
  kind: z.enum(["direct", "group"]),
  memberIds: z.array(id),
  title: z.string().optional(),
  createdAt: iso,
  createdBy: id,
  ownerId: id.optional(),
  adminIds: z.array(id).optional(),
  photo: fileSchema.optional(),
  pinned: z.strictObject({ seq, byUserId: id, pinnedAt: iso }).optional(),
});

export const messageSchema = z.strictObject({
  id,
  conversationId: id,
  seq,
  senderId: id,
  clientMsgId: z.string().min(1),
  text: z.string(),
  createdAt: iso,
  replyToSeq: seq.optional(),
  mentions: z.array(id),
  mentionsAll: z.boolean(),
  editedAt: iso.optional(),
  deleted: z.literal(true).optional(),
  deletedAt: iso.optional(),
  reactions: z.record(z.string(), z.int().min(1)),
  forwarded: z.literal(true).optional(),
  files: z.array(fileSchema).min(1).optional(),
  preview: linkPreviewSchema.optional(),
  system: z
    .strictObject({
      action: z.enum(["added", "joined", "removed", "left", "renamed", "photo", "role", "owner"]),
      userIds: z.array(id),
      title: z.string().optional(),
      role: z.enum(["admin", "member"]).optional(),
    })
    .optional(),
});

export const invitationSchema = z.strictObject({
  id,
  conversationId: id,
  title: z.string().optional(),
  inviterId: id,
  inviteeId: id,
  status: z.enum(["pending", "accepted", "declined"]),
  createdAt: iso,
  expiresAt: iso,
});

const feedBase = { eventId: z.int().min(1), conversationId: id };
const messageEvent = <T extends string>(type: T) =>
  z.strictObject({ ...feedBase, type: z.literal(type), seq, message: messageSchema });

/** Every feed event, by its `type`. */
export const feedEventSchema = z.discriminatedUnion("type", [
  messageEvent("message.new"),
  messageEvent("message.edited"),
  messageEvent("message.deleted"),
  messageEvent("message.preview"),
  z.strictObject({
    ...feedBase,
    type: z.literal("message.reaction"),
    seq,
    userId: id,
    emoji: z.string().min(1),
    added: z.boolean(),
    message: messageSchema,
  }),
  z.strictObject({ ...feedBase, type: z.literal("receipt"), userId: id, readSeq: z.int().min(0) }),
  z.strictObject({ ...feedBase, type: z.literal("conversation.created"), conversation: conversationSchema }),
  z.strictObject({
    ...feedBase,
    type: z.literal("conversation.updated"),
    conversation: conversationSchema,
    byUserId: id,
    added: z.array(id),
    removed: z.array(id),
  }),
  z.strictObject({ ...feedBase, type: z.literal("invitation.new"), invitation: invitationSchema }),
  z.strictObject({ ...feedBase, type: z.literal("invitation.updated"), invitation: invitationSchema }),
  z.strictObject({
    ...feedBase,
    type: z.literal("notify.mute"),
    mute: z.strictObject({ conversationId: id, mutedUntil: iso.nullable(), mentionsOverrideMute: z.boolean() }),
  }),
  z.strictObject({
    ...feedBase,
    type: z.literal("notify.settings"),
    settings: z.strictObject({
      dnd: z.strictObject({ start: z.int().min(0).max(1439), end: z.int().min(0).max(1439) }).nullable(),
      utcOffsetMinutes: z.int().min(-840).max(840),
      hideText: z.boolean(),
      mentionsInQuietHours: z.boolean(),
    }),
  }),
  z.strictObject({
    ...feedBase,
    type: z.literal("account.updated"),
    user: userSchema.extend({ role: z.enum(["user", "staff", "admin"]), hidePresence: z.literal(true).optional() }),
  }),
]);

/** Every event the server pushes: feed events and the ephemeral ones. */
export const serverEventSchema = z.union([
  feedEventSchema,
  z.strictObject({ type: z.literal("typing"), conversationId: id, userId: id }),
  z.strictObject({
    type: z.literal("presence"),
    userId: id,
    online: z.boolean(),
    lastSeenAt: iso.nullable(),
    hidden: z.literal(true).optional(),
  }),
  z.strictObject({ type: z.literal("session"), userId: id, deviceId: id, sessionId: id }),
  z.strictObject({ type: z.literal("resync") }),
  z.strictObject({
    type: z.literal("incident"),
    incident: z.strictObject({
      id,
      title: z.string().min(1),
      titles: z.strictObject({ en: z.string().min(1), ko: z.string().min(1) }).optional(),
      status: z.enum(["investigating", "identified", "monitoring", "resolved"]),
      impact: z.enum(["none", "minor", "major", "critical"]),
      url: z.string().min(1),
    }),
  }),
]);
