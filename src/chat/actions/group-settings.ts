/** @module A group's photo, its admins and its owner: the changes beyond title and members, each with its system line. */
import type { Conversation } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import { type ChatContext, publishWritten } from "../context.js";
import { accessGroup, checkTitle } from "./conversations.js";
import { filesToAttach } from "./files.js";

/**
 * `conversation.update`: rename, set the photo or remove it (`photoFileId: null`), as any member.
 * The photo must be an image the member may read (their upload, or one in a chat of theirs).
 */
export async function updateGroup(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; title?: string | undefined; photoFileId?: string | null | undefined },
): Promise<Conversation> {
  await accessGroup(ctx, userId, input.conversationId);
  const title = input.title === undefined ? undefined : checkTitle(input.title);
  let photo = null;
  if (input.photoFileId) {
    const [file] = await filesToAttach(ctx, userId, [input.photoFileId]);
    if (!file?.thumbnailUrl) throw new HaetaeError("invalid_request", "photoFileId: not an image.");
    photo = file;
  }
  let conversation: Conversation | undefined;
  if (title !== undefined) {
    const written = await ctx.store.updateTitle(input.conversationId, title, userId, ctx.now().toISOString());
    await publishWritten(ctx, written);
    conversation = written.value;
  }
  if (input.photoFileId !== undefined) {
    const written = await ctx.store.updatePhoto(input.conversationId, photo, userId, ctx.now().toISOString());
    await publishWritten(ctx, written);
    conversation = written.value;
  }
  if (!conversation) throw new HaetaeError("invalid_request", "title or photoFileId is required.");
  return conversation;
}

/** `conversation.setRole`: the owner makes a member an admin, or an admin a member again. */
export async function setRole(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; userId: string; role: "admin" | "member" },
): Promise<Conversation> {
  await accessGroup(ctx, userId, input.conversationId);
  const written = await ctx.store.setMemberRole(
    input.conversationId,
    input.userId,
    input.role,
    userId,
    ctx.now().toISOString(),
  );
  await publishWritten(ctx, written);
  return written.value;
}

/** `conversation.transferOwnership`: the owner hands the group to another member and stays as an admin. */
export async function transferOwnership(
  ctx: ChatContext,
  userId: string,
  input: { conversationId: string; userId: string },
): Promise<Conversation> {
  await accessGroup(ctx, userId, input.conversationId);
  const written = await ctx.store.transferOwnership(
    input.conversationId,
    input.userId,
    userId,
    ctx.now().toISOString(),
  );
  await publishWritten(ctx, written);
  return written.value;
}
