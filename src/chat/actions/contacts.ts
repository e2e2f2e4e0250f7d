/** @module Contacts and blocks: find a user, add/remove/list friends, block and unblock. */
import type { User } from "../../protocol/index.js";
import { HaetaeError, normalizeUsername } from "../../protocol/index.js";
import type { ChatContext } from "../context.js";
import { profileOf, profilesShownTogether } from "../profiles.js";

/** Find a user by exact username: their profile, never their role or secret. */
export async function findUser(ctx: ChatContext, username: string): Promise<User> {
  const record = await ctx.store.getUserByUsername(normalizeUsername(username));
  if (!record) throw new HaetaeError("user_not_found");
  return profileOf(record);
}

/** Users by id, as profiles; unknown ids are left out. */
export async function getUsers(ctx: ChatContext, userIds: readonly string[]): Promise<User[]> {
  return (await ctx.store.getUsers([...new Set(userIds)])).map(profileOf);
}

/** My contacts as profiles, with `nameCollides` on those whose names look alike. */
export async function listContacts(ctx: ChatContext, userId: string): Promise<User[]> {
  return profilesShownTogether(await ctx.store.listContacts(userId));
}

/** The users I blocked, as profiles. */
export async function listBlocked(ctx: ChatContext, userId: string): Promise<User[]> {
  return (await ctx.store.listBlocked(userId)).map(profileOf);
}

async function requireUser(ctx: ChatContext, userId: string): Promise<void> {
  const [user] = await ctx.store.getUsers([userId]);
  if (!user) throw new HaetaeError("user_not_found");
}

export async function addContact(ctx: ChatContext, userId: string, contactId: string): Promise<User[]> {
  if (contactId === userId) throw new HaetaeError("invalid_request", "userId: you cannot add yourself.");
  await requireUser(ctx, contactId);
  await ctx.store.addContact(userId, contactId, ctx.now().toISOString());
  return listContacts(ctx, userId);
}

export async function removeContact(ctx: ChatContext, userId: string, contactId: string): Promise<User[]> {
  await ctx.store.removeContact(userId, contactId);
  return listContacts(ctx, userId);
}

/** Block a user: from now on they cannot open a direct chat with you or message you there. */
export async function blockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  if (blockedId === userId) throw new HaetaeError("invalid_request", "userId: you cannot block yourself.");
  await requireUser(ctx, blockedId);
  await ctx.store.addBlock(userId, blockedId, ctx.now().toISOString());
  return listBlocked(ctx, userId);
}

export async function unblockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  await ctx.store.removeBlock(userId, blockedId);
  return listBlocked(ctx, userId);
}
