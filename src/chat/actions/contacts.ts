/** @module Contacts and blocks: find a user, add/remove/list friends, block and unblock. */
import type { User } from "../../protocol/index.js";
import { HaetaeError, normalizeUsername } from "../../protocol/index.js";
import type { ChatContext } from "../context.js";
import { profileOf, profilesShownTogether } from "../profiles.js";

/** Find a user by exact username: their profile, never their role or secret; one who blocked `viewerId` is not found (as if there were none). */
export async function findUser(ctx: ChatContext, username: string, viewerId?: string): Promise<User> {
  const record = await ctx.store.getUserByUsername(normalizeUsername(username));
  if (!record || (await hiddenFrom(ctx, viewerId, [record.id])).has(record.id)) throw new HaetaeError("user_not_found");
  return profileOf(record);
}

/** Users by id, as profiles; unknown ids, and users who blocked `viewerId`, are left out alike. */
export async function getUsers(ctx: ChatContext, userIds: readonly string[], viewerId?: string): Promise<User[]> {
  const users = await ctx.store.getUsers([...new Set(userIds)]);
  const hidden = await hiddenFrom(
    ctx,
    viewerId,
    users.map((u) => u.id),
  );
  return (hidden.size === 0 ? users : users.filter((u) => !hidden.has(u.id))).map(profileOf);
}

/** Of these users, those who blocked the viewer: their profile is answered as one that does not exist. */
async function hiddenFrom(ctx: ChatContext, viewerId: string | undefined, ids: string[]): Promise<Set<string>> {
  const others = ids.filter((id) => id !== viewerId);
  if (viewerId === undefined || others.length === 0) return new Set();
  return new Set(await ctx.store.blockersAmong(viewerId, others));
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
  // My presence is now theirs to see: a subscription of theirs that was refused it starts following it.
  if (!(await ctx.store.isBlockedEitherWay(userId, contactId))) {
    await ctx.bus.publishControl({ kind: "contact.added", userId, contactId }).catch((error: Error) => {
      console.error("contact publish failed:", error.message);
    });
  }
  return listContacts(ctx, userId);
}

/** Remove a contact: from now on they no longer see my presence (a subscription they hold ends on every node). */
export async function removeContact(ctx: ChatContext, userId: string, contactId: string): Promise<User[]> {
  await ctx.store.removeContact(userId, contactId);
  await ctx.bus.publishControl({ kind: "contact.removed", userId, contactId }).catch((error: Error) => {
    console.error("contact removal publish failed:", error.message);
  });
  return listContacts(ctx, userId);
}

/**
 * Block a user: from now on they cannot open a direct chat with you or message you there, put you
 * in a group or invite you, mention you, see your presence or your profile (docs/security.md).
 */
export async function blockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  if (blockedId === userId) throw new HaetaeError("invalid_request", "userId: you cannot block yourself.");
  await requireUser(ctx, blockedId);
  await ctx.store.addBlock(userId, blockedId, ctx.now().toISOString());
  // Presence subscriptions live in the gateways' memory: every node drops those between the two.
  await ctx.bus.publishControl({ kind: "block", userId, blockedId }).catch((error: Error) => {
    console.error("block publish failed:", error.message);
  });
  return listBlocked(ctx, userId);
}

export async function unblockUser(ctx: ChatContext, userId: string, blockedId: string): Promise<User[]> {
  await ctx.store.removeBlock(userId, blockedId);
  return listBlocked(ctx, userId);
}
