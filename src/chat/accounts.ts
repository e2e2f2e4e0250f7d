/** @module Accounts and devices: register, login (with device keys and the failed-login backoff), token check, logout, device list and revoke. */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { LoginBackoff } from "../guard/login-backoff.js";
import type { AuthReply, Device, User, UserRole } from "../protocol/index.js";
import { HaetaeError, isValidUsername, normalizeUsername } from "../protocol/index.js";
import { type DeviceRecord, type Store, StoreConflictError } from "../store/store.js";
import { followRole } from "./actions/staff-conversation.js";
import { type ChatContext, newId } from "./context.js";
import { checkDisplayName } from "./display-names.js";
import { checkNewPassword } from "./password-strength.js";

const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hash a password with scrypt; the parameters travel in the hash so they can be raised later. */
export async function hashPassword(password: string, logN: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, logN, SCRYPT_R, SCRYPT_P);
  return `scrypt$${logN}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Check a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !logN || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64url"), Number(logN), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Tokens are opaque random strings; only their SHA-256 is stored, so a leaked database holds no usable token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Log a new device in: its bearer token, and a device key (see `login`) that replaces the key the
 * login presented, if it had one of this user's.
 */
export async function issueDevice(
  ctx: ChatContext,
  user: User,
  deviceName: string,
  replacesKeyHash?: string,
): Promise<AuthReply> {
  const token = `ht_${randomBytes(32).toString("base64url")}`;
  const deviceKey = `hk_${randomBytes(32).toString("base64url")}`;
  const now = ctx.now();
  const device: DeviceRecord = {
    id: newId(),
    userId: user.id,
    name: deviceName,
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ctx.limits.tokenTtlMs).toISOString(),
  };
  await ctx.store.createDevice(device, hashToken(token), {
    keyHash: hashToken(deviceKey),
    expiresAt: new Date(now.getTime() + ctx.limits.deviceKeyTtlMs).toISOString(),
    replacesKeyHash,
  });
  return { user, token, deviceId: device.id, deviceKey };
}

/** Create an account and log its first device in. */
export async function register(
  ctx: ChatContext,
  input: { username: string; password: string; displayName?: string | undefined; deviceName?: string | undefined },
): Promise<AuthReply> {
  const username = normalizeUsername(input.username);
  if (!isValidUsername(username)) {
    throw new HaetaeError(
      "invalid_username",
      "A username is 3–32 characters: a–z, 0–9, '_' and '.', not starting with '.', and not a reserved word.",
    );
  }
  const displayName = (input.displayName ?? username).trim();
  await checkDisplayName(ctx, displayName);
  // A taken name is answered before the strength check, whose thread is the costly part: a
  // client retrying a registration that went through is told at once.
  if (await ctx.store.getUserByUsername(username)) throw new HaetaeError("username_taken");
  await checkNewPassword(ctx, input.password, { username, displayName });
  // A username listed in `adminUsernames` is admin from its registration: a fresh install's way in.
  const role: UserRole = configuredAdmins(ctx.limits.adminUsernames).has(username) ? "admin" : "user";
  const user: User = { id: newId(), username, displayName, createdAt: ctx.now().toISOString(), role };
  const passwordHash = await hashPassword(input.password, ctx.limits.scryptLogN);
  try {
    await ctx.store.createUser({ ...user, passwordHash });
  } catch (error) {
    if (error instanceof StoreConflictError) throw new HaetaeError("username_taken");
    throw error;
  }
  if (role !== "user") {
    // A configured admin joins the staff conversation. The account exists already, so a failure
    // here must not fail the registration (a retry would meet username_taken): the server's
    // reconciliation before the next staff post adds them.
    await followRole(ctx, user.id, role).catch((error: Error) =>
      console.warn(`staff conversation: ${username} not added yet (${error.message})`),
    );
  }
  return issueDevice(ctx, user, input.deviceName ?? "first device");
}

/** The usernames of the `adminUsernames` setting (comma-separated), normalized. */
export function configuredAdmins(list: string): Set<string> {
  return new Set(
    list
      .split(",")
      .map((name) => normalizeUsername(name))
      .filter((name) => name !== ""),
  );
}

/**
 * Make every user listed in `adminUsernames` admin (at start; users registered later get the
 * role at registration). Names without an account yet are skipped.
 */
export async function promoteConfiguredAdmins(store: Store, list: string): Promise<string[]> {
  const promoted: string[] = [];
  for (const username of configuredAdmins(list)) {
    if (await store.setRole(username, "admin")) promoted.push(username);
  }
  return promoted;
}

/** This node's failed-login counters, in memory: per account (by username), and per credential (a device key, a signed-in device). */
export interface LoginThrottle {
  accounts: LoginBackoff;
  credentials: LoginBackoff;
}

// A real hash, so that a login for an unknown user takes as long as one with a wrong password.
let decoyHash: Promise<string> | undefined;

/** The user's hash, or (for no user, or a password disabled by a reset) a decoy that costs as much to check. */
export async function hashToCheck(ctx: ChatContext, stored: string | undefined): Promise<string> {
  if (stored?.startsWith("scrypt$")) return stored;
  decoyHash ??= hashPassword("decoy password", ctx.limits.scryptLogN);
  return decoyHash;
}

/**
 * Log a device in with username and password. Failed attempts are counted per account, and
 * past `loginFailuresPerAccount` the account is tried at most once per backoff wait, from
 * anywhere. A login that presents a device key this account issued (to a device that logged in
 * before) is counted against that key instead: an attacker who makes the account wait cannot
 * make its owner's devices wait. The wait answers `rate_limited` the same way for an unknown
 * username, so it tells nobody which accounts exist.
 */
export async function login(
  ctx: ChatContext,
  input: { username: string; password: string; deviceName?: string | undefined; deviceKey?: string | undefined },
  throttle: LoginThrottle,
): Promise<AuthReply> {
  const username = normalizeUsername(input.username);
  const record = await ctx.store.getUserByUsername(username);
  const keyHash = input.deviceKey ? hashToken(input.deviceKey) : undefined;
  const key = keyHash && record ? await ctx.store.getDeviceKey(keyHash, ctx.now().toISOString()) : null;
  // A key of another account is no key; a key that failed too often is no key until its wait ends.
  const trusted = keyHash && key && key.userId === record?.id && !throttle.credentials.waiting(keyHash);
  const [backoff, counted] = trusted ? [throttle.credentials, keyHash] : [throttle.accounts, username];
  const wait = backoff.attempt(counted);
  if (wait > 0) {
    throw new HaetaeError(
      "rate_limited",
      "Too many failed logins to this account; retry after retryAfterMs, or log in from a device that logged in to it before.",
      wait,
    );
  }
  const hash = await hashToCheck(ctx, record?.passwordHash);
  const right = await verifyPassword(input.password, hash);
  if (!record || !right || hash !== record.passwordHash) throw new HaetaeError("invalid_credentials");
  backoff.succeeded(counted);
  const { passwordHash: _secret, ...user } = record;
  return issueDevice(ctx, user, input.deviceName ?? "device", keyHash);
}

/** The user and device a token belongs to; `unauthorized` when it is unknown, revoked or expired. */
export async function authenticate(
  ctx: ChatContext,
  token: string | undefined,
): Promise<{ user: User; device: DeviceRecord }> {
  if (!token) throw new HaetaeError("unauthorized");
  const now = ctx.now();
  const found = await ctx.store.getDeviceByTokenHash(hashToken(token), now.toISOString());
  if (!found) throw new HaetaeError("unauthorized");
  const { device, user } = found;
  if (!(now.getTime() - Date.parse(device.lastSeenAt) < DEVICE_SEEN_RESOLUTION_MS)) {
    ctx.seen.note(device.id, now.toISOString());
  }
  return { user, device };
}

/**
 * How old a device's `lastSeenAt` may be before a new session or request writes it again. The
 * device list shows it as "last active", where a minute is precise enough. Writing it on every
 * connect put each reconnect of a storm into the store's write lane — on PostgreSQL one lane
 * serialized across the cluster — where it queued ahead of the messages being sent (G5). What is
 * written goes through `DeviceSeen`: once a second, for every device seen meanwhile.
 */
export const DEVICE_SEEN_RESOLUTION_MS = 60_000;

/** The devices logged in to this account. */
export async function listDevices(ctx: ChatContext, userId: string, currentDeviceId: string): Promise<Device[]> {
  const devices = await ctx.store.listDevices(userId, ctx.now().toISOString());
  return devices.map((d) => ({
    id: d.id,
    name: d.name,
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
    expiresAt: d.expiresAt,
    current: d.id === currentDeviceId,
  }));
}

/**
 * Revoke one device (logout is revoking one's own); its open sessions are closed on every node.
 * `forgetKey` (a revoke from another device: lost or stolen) deletes its device key as well, so
 * its logins wait like a stranger's; a logout keeps the key for the next login there.
 */
export async function revokeDevice(
  ctx: ChatContext,
  userId: string,
  deviceId: string,
  forgetKey = false,
): Promise<void> {
  if (!(await ctx.store.revokeDevice(userId, deviceId, ctx.now().toISOString(), forgetKey)))
    throw new HaetaeError("device_not_found");
  await announceRevoked(ctx, [deviceId]);
}

/** Tell every node that these devices are revoked, so their open sessions close (4501). */
export async function announceRevoked(ctx: ChatContext, deviceIds: readonly string[]): Promise<void> {
  for (const deviceId of deviceIds) {
    try {
      await ctx.bus.publishControl({ kind: "device.revoked", deviceId });
    } catch (error) {
      // The token is already dead in the store; a session that misses this closes at its next check.
      console.error("revocation publish failed:", (error as Error).message);
    }
  }
}
