/** @module Contacts and blocks: find a user, add/remove/list friends, block and unblock. */
import type { User } from "../../protocol/index.js";
import { HaetaeError, normalizeUsername } from "../../protocol/index.js";
import type { ChatContext } from "../context.js";

/** Find a user by exact username. */
export async function findUser(ctx: ChatContext, username: string): Promise<User> {
  const record = await ctx.store.getUserByUsername(normalizeUsername(username));
  if (!record) throw new HaetaeError("user_not_found");
  const { passwordHash: _secret, ...user } = record;
  return user;
}

/** Users by id; unknown ids are left out. */
export async function getUsers(ctx: ChatContext, userIds: readonly string[]): Promise<User[]> {
  return ctx.store.getUsers([...new Set(userIds)]);
}

async function requireUser(ctx: ChatContext, userId: string): Promise<void> {
  const [user] = await ctx.store.getUsers([userId]);
  if (!user) throw new HaetaeError("user_not_found");
}

export async function addContact(ctx: ChatContext, userId: string, contactId: string): Promise<User[]> {
  if (contactId === userId) throw new HaetaeError("invalid_request", "userId: you cannot add yourself.");
  await requireUser(ctx, contactId);
  await ctx.store.addContact(userId, contactId, ctx.now().toISOString());
  return ctx.store.listContacts(userId);
}

export async function removeContact(ctx: ChatContext, userId: string, contactId: string): Promise<User[]> {
  await ctx.store.removeContact(userId, contactId);
  return ctx.store.listContacts(userId);
}

/** Block a user: from now on they cannot open a direct chat with you or message you there. */
export async function blockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  if (blockedId === userId) throw new HaetaeError("invalid_request", "userId: you cannot block yourself.");
  await requireUser(ctx, blockedId);
  await ctx.store.addBlock(userId, blockedId, ctx.now().toISOString());
  return ctx.store.listBlocked(userId);
}

export async function unblockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  await ctx.store.removeBlock(userId, blockedId);
  return ctx.store.listBlocked(userId);
}
