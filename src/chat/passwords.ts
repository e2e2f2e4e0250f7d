/** @module Passwords: the strength rule for a new one, change (ending every other login), and the staff-initiated reset. */
import { randomInt } from "node:crypto";
import type { AuthReply, User, UserRole } from "../protocol/index.js";
import { HaetaeError, normalizeUsername } from "../protocol/index.js";
import {
  announceRevoked,
  hashPassword,
  hashToCheck,
  hashToken,
  issueDevice,
  type LoginThrottle,
  verifyPassword,
} from "./accounts.js";
import type { ChatContext } from "./context.js";
import { checkNewPassword } from "./password-strength.js";

/** What a reset leaves as the password hash: no password matches it, so the old one stops working at once. */
const DISABLED_BY_RESET = "!reset";

/** Reset codes are read out or typed: Crockford's base32 (no I, L, O, U), 20 characters, 100 bits. */
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 20;

/**
 * Change the password of a signed-in user: the current password must be right (failures count
 * against this device, so a stolen token cannot guess it quickly), and every other device of the
 * user is logged out, its device key deleted and its open sessions closed on every node.
 */
export async function changePassword(
  ctx: ChatContext,
  user: User,
  deviceId: string,
  input: { currentPassword: string; newPassword: string },
  throttle: LoginThrottle,
): Promise<{ revokedDevices: number }> {
  const counted = `device:${deviceId}`;
  const wait = throttle.credentials.attempt(counted);
  if (wait > 0) throw new HaetaeError("rate_limited", "Too many wrong passwords; retry after retryAfterMs.", wait);
  const record = await ctx.store.getUserByUsername(user.username);
  const hash = await hashToCheck(ctx, record?.passwordHash);
  const right = await verifyPassword(input.currentPassword, hash);
  if (!record || !right || hash !== record.passwordHash) {
    throw new HaetaeError("invalid_credentials", "The current password is wrong.");
  }
  throttle.credentials.succeeded(counted);
  await checkNewPassword(ctx, input.newPassword, record);
  const revoked = await ctx.store.setPassword(
    user.id,
    await hashPassword(input.newPassword, ctx.limits.scryptLogN),
    deviceId,
    ctx.now().toISOString(),
  );
  await announceRevoked(ctx, revoked);
  return { revokedDevices: revoked.length };
}

/** A new reset code, grouped by five for reading out: `ABCDE-FGHJK-…`. */
function newResetCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return (chars.join("").match(/.{5}/g) as string[]).join("-");
}

/** A code as typed (any case, with or without dashes or spaces) in the form it was hashed in. */
function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, "");
}

/**
 * Start a staff-initiated reset: the user's password stops working, every device is logged out
 * and every device key deleted, and a one-time code valid `passwordResetTtlMs` is returned for
 * staff to hand to the user. Only an admin may reset a staff or admin account: otherwise a staff
 * member could redeem the code and take over an admin.
 */
export async function startPasswordReset(
  ctx: ChatContext,
  username: string,
  actor: { username: string; role: UserRole },
): Promise<{ username: string; code: string; expiresAt: string }> {
  const record = await ctx.store.getUserByUsername(normalizeUsername(username));
  // A system account (the status account, a canary) has no password to reset: a code would let
  // staff sign in as the server's own voice, or break the probes. It answers as nobody does.
  if (!record || (await ctx.store.systemAccounts([record.id])).size > 0) throw new HaetaeError("user_not_found");
  const role = record.role ?? "user";
  if (role !== "user" && actor.role !== "admin") {
    throw new HaetaeError("forbidden", "Only an admin may reset the password of a staff or admin account.");
  }
  const code = newResetCode();
  const expiresAt = new Date(ctx.now().getTime() + ctx.limits.passwordResetTtlMs).toISOString();
  const revoked = await ctx.store.startPasswordReset(
    record.id,
    hashToken(normalizeCode(code)),
    expiresAt,
    DISABLED_BY_RESET,
    ctx.now().toISOString(),
  );
  await announceRevoked(ctx, revoked);
  // The record of who reset whom: ops actions on accounts are logged, not kept in the tower.
  console.warn(`haetae: audit: ${actor.username} (${actor.role}) started a password reset of ${record.username}`);
  return { username: record.username, code, expiresAt };
}

/**
 * Redeem a reset code with a new password: the code is used up, the password set, and this
 * device logged in. A wrong or expired code answers `invalid_credentials`; tries are counted per
 * account like logins (apart from them, so failed logins do not block a reset).
 */
export async function redeemPasswordReset(
  ctx: ChatContext,
  input: { username: string; code: string; newPassword: string; deviceName?: string | undefined },
  throttle: LoginThrottle,
): Promise<AuthReply> {
  const username = normalizeUsername(input.username);
  const counted = `reset:${username}`;
  const wait = throttle.accounts.attempt(counted);
  if (wait > 0) throw new HaetaeError("rate_limited", "Too many wrong reset codes; retry after retryAfterMs.", wait);
  const wrong = new HaetaeError("invalid_credentials", "The reset code is wrong, used or expired.");
  const record = await ctx.store.getUserByUsername(username);
  if (!record || (await ctx.store.systemAccounts([record.id])).size > 0) throw wrong;
  // Checked before the code is used up, so a refused password does not cost the user their code.
  await checkNewPassword(ctx, input.newPassword, record);
  if (!(await ctx.store.takePasswordReset(record.id, hashToken(normalizeCode(input.code)), ctx.now().toISOString()))) {
    throw wrong;
  }
  throttle.accounts.succeeded(counted);
  const hash = await hashPassword(input.newPassword, ctx.limits.scryptLogN);
  await ctx.store.setPassword(record.id, hash, null, ctx.now().toISOString());
  const { passwordHash: _secret, ...user } = record;
  return issueDevice(ctx, user, input.deviceName ?? "device");
}
