/** @module Roles: an admin sets a user's role, and the staff conversation's membership follows it. */
import type { User, UserRole } from "../../protocol/index.js";
import { HaetaeError, normalizeUsername } from "../../protocol/index.js";
import { configuredAdmins } from "../accounts.js";
import type { ChatContext } from "../context.js";
import { followRole } from "./staff-conversation.js";

/**
 * Set the role of the user named `username`, as an admin: promoted to staff or admin they join
 * the staff conversation, demoted to user they leave it (removed by the server). System
 * accounts have no role to give: they answer as nobody does, `user_not_found`. A user listed in
 * `adminUsernames` stays admin (the setting wins at every sign-in and start), so demoting one
 * here is refused rather than half done.
 */
export async function setUserRole(
  ctx: ChatContext,
  actor: { role: UserRole },
  username: string,
  role: UserRole,
): Promise<User> {
  if (actor.role !== "admin") throw new HaetaeError("forbidden", "Only an admin may set roles.");
  const record = await ctx.store.getUserByUsername(normalizeUsername(username));
  if (!record || (await ctx.store.systemAccounts([record.id])).size > 0) throw new HaetaeError("user_not_found");
  if (role !== "admin" && configuredAdmins(ctx.limits.adminUsernames).has(record.username)) {
    throw new HaetaeError("forbidden", `${record.username} is admin by the adminUsernames setting; change it there.`);
  }
  const user = await ctx.store.setRole(record.username, role);
  if (!user) throw new HaetaeError("user_not_found");
  await followRole(ctx, user.id, role);
  return user;
}
