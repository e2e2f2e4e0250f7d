/** @module SQL of users, devices, contacts and blocks. */
import type { User, UserRole } from "../../protocol/index.js";
import type { DeviceKeyRecord, DeviceRecord, NewDeviceKey, SystemKind, UserRecord } from "../store.js";
import { type DeviceRow, toDevice, toOwnUser, toUser, type UserRow } from "./rows.js";
import { placeholders, type SqlExecutor } from "./sql-driver.js";

export async function insertUser(db: SqlExecutor, user: UserRecord, system: SystemKind | null): Promise<void> {
  await db.run(
    "INSERT INTO users (id, username, display_name, password_hash, created_at, role, system_kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [user.id, user.username, user.displayName, user.passwordHash, user.createdAt, user.role ?? "user", system],
  );
}

export async function userByUsername(db: SqlExecutor, username: string): Promise<UserRecord | null> {
  const row = await db.get<UserRow>("SELECT * FROM users WHERE username = ?", [username]);
  return row ? { ...toOwnUser(row), passwordHash: row.password_hash } : null;
}

/** Set a user's role by username; the user with its new role, or null when there is no such user. */
export async function updateRole(db: SqlExecutor, username: string, role: UserRole): Promise<User | null> {
  const { changes } = await db.run("UPDATE users SET role = ? WHERE username = ?", [role, username]);
  if (changes === 0) return null;
  const row = await db.get<UserRow>("SELECT * FROM users WHERE username = ?", [username]);
  return row ? toOwnUser(row) : null;
}

export async function roleOf(db: SqlExecutor, userId: string): Promise<UserRole | null> {
  const row = await db.get<{ role: UserRole }>("SELECT role FROM users WHERE id = ?", [userId]);
  return row?.role ?? null;
}

/** Users with a staff or admin role, and the server's own accounts (the status account, the canaries), without their role (a handful on any server). */
export async function staffUsers(db: SqlExecutor): Promise<User[]> {
  const rows = await db.all<UserRow>(
    "SELECT * FROM users WHERE role IN ('staff', 'admin') OR system_kind IS NOT NULL ORDER BY username",
  );
  return rows.map(toUser);
}

/** People (never system accounts) whose role is one of these. */
export async function idsWithRoles(db: SqlExecutor, roles: readonly UserRole[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const rows = await db.all<{ id: string }>(
    `SELECT id FROM users WHERE system_kind IS NULL AND role IN (${placeholders(roles.length)}) ORDER BY id`,
    roles,
  );
  return rows.map((r) => r.id);
}

/** The system accounts among these users, in chunks like `usersById`. */
export async function systemKinds(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, SystemKind>> {
  const found = new Map<string, SystemKind>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = await db.all<{ id: string; system_kind: SystemKind }>(
      `SELECT id, system_kind FROM users WHERE system_kind IS NOT NULL AND id IN (${placeholders(chunk.length)})`,
      chunk,
    );
    for (const row of rows) found.set(row.id, row.system_kind);
  }
  return found;
}

/** Users by id, in chunks so no statement exceeds a dialect's parameter limit. */
export async function usersById(db: SqlExecutor, ids: readonly string[]): Promise<User[]> {
  const users: User[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = await db.all<UserRow>(`SELECT * FROM users WHERE id IN (${placeholders(chunk.length)})`, chunk);
    users.push(...rows.map(toUser));
  }
  return users;
}

export async function insertDevice(db: SqlExecutor, device: DeviceRecord, tokenHash: string): Promise<void> {
  await db.run(
    "INSERT INTO devices (id, user_id, name, token_hash, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [device.id, device.userId, device.name, tokenHash, device.createdAt, device.lastSeenAt, device.expiresAt],
  );
}

export function deviceByTokenHash(
  db: SqlExecutor,
  tokenHash: string,
  now: string,
): Promise<{ device: DeviceRecord; user: User } | null> {
  return activeDeviceWhere(db, "d.token_hash = ?", tokenHash, now);
}

/** The active device with this id and its user (a redeemed WebSocket ticket names its device). */
export function deviceById(
  db: SqlExecutor,
  deviceId: string,
  now: string,
): Promise<{ device: DeviceRecord; user: User } | null> {
  return activeDeviceWhere(db, "d.id = ?", deviceId, now);
}

async function activeDeviceWhere(
  db: SqlExecutor,
  condition: "d.token_hash = ?" | "d.id = ?",
  value: string,
  now: string,
): Promise<{ device: DeviceRecord; user: User } | null> {
  const row = await db.get<DeviceRow & { username: string; display_name: string; user_created_at: string }>(
    `SELECT d.*, u.username, u.display_name, u.created_at AS user_created_at
     FROM devices d JOIN users u ON u.id = d.user_id
     WHERE ${condition} AND d.revoked_at IS NULL AND d.expires_at > ?`,
    [value, now],
  );
  if (!row) return null;
  return {
    device: toDevice(row),
    user: { id: row.user_id, username: row.username, displayName: row.display_name, createdAt: row.user_created_at },
  };
}

export async function devicesOf(db: SqlExecutor, userId: string, now: string): Promise<DeviceRecord[]> {
  const rows = await db.all<DeviceRow>(
    "SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at",
    [userId, now],
  );
  return rows.map(toDevice);
}

export async function contactsOf(db: SqlExecutor, userId: string): Promise<User[]> {
  const rows = await db.all<UserRow>(
    "SELECT u.* FROM contacts c JOIN users u ON u.id = c.contact_id WHERE c.user_id = ? ORDER BY u.display_name, u.username",
    [userId],
  );
  return rows.map(toUser);
}

export async function blockedBy(db: SqlExecutor, userId: string): Promise<User[]> {
  const rows = await db.all<UserRow>(
    "SELECT u.* FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.user_id = ? ORDER BY u.username",
    [userId],
  );
  return rows.map(toUser);
}

export async function blockedEitherWay(db: SqlExecutor, a: string, b: string): Promise<boolean> {
  const row = await db.get(
    "SELECT 1 AS x FROM blocks WHERE (user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?)",
    [a, b, b, a],
  );
  return row !== undefined;
}

/** Of `others`, those with a block either way with `userId`, in chunks (a dialect's parameter limit). */
export async function blockedEitherWayAmong(
  db: SqlExecutor,
  userId: string,
  others: readonly string[],
): Promise<string[]> {
  return eachChunk(others, async (chunk) => {
    const list = placeholders(chunk.length);
    const rows = await db.all<{ id: string }>(
      `SELECT blocked_id AS id FROM blocks WHERE user_id = ? AND blocked_id IN (${list})
       UNION SELECT user_id AS id FROM blocks WHERE blocked_id = ? AND user_id IN (${list})`,
      [userId, ...chunk, userId, ...chunk],
    );
    return rows.map((r) => r.id);
  });
}

/** Of `others`, those who blocked `userId`. */
export function blockersAmong(db: SqlExecutor, userId: string, others: readonly string[]): Promise<string[]> {
  return listersAmong(db, "blocks", "blocked_id", userId, others);
}

/** Of `others`, those who added `userId` as a contact. */
export function contactOfAmong(db: SqlExecutor, userId: string, others: readonly string[]): Promise<string[]> {
  return listersAmong(db, "contacts", "contact_id", userId, others);
}

/** Of `others`, the users whose rows in `table` (blocks or contacts) name `userId` in `column`. */
function listersAmong(
  db: SqlExecutor,
  table: "blocks" | "contacts",
  column: "blocked_id" | "contact_id",
  userId: string,
  others: readonly string[],
): Promise<string[]> {
  return eachChunk(others, async (chunk) => {
    const rows = await db.all<{ user_id: string }>(
      `SELECT user_id FROM ${table} WHERE ${column} = ? AND user_id IN (${placeholders(chunk.length)})`,
      [userId, ...chunk],
    );
    return rows.map((r) => r.user_id);
  });
}

/** Run `query` over `ids` (deduplicated) 400 at a time and concatenate the answers. */
async function eachChunk(ids: readonly string[], query: (chunk: string[]) => Promise<string[]>): Promise<string[]> {
  const unique = [...new Set(ids)];
  const found: string[] = [];
  for (let i = 0; i < unique.length; i += 400) found.push(...(await query(unique.slice(i, i + 400))));
  return found;
}

export async function touchDevices(db: SqlExecutor, deviceIds: readonly string[], at: string): Promise<void> {
  for (let i = 0; i < deviceIds.length; i += 500) {
    const chunk = deviceIds.slice(i, i + 500);
    await db.run(`UPDATE devices SET last_seen_at = ? WHERE id IN (${placeholders(chunk.length)})`, [at, ...chunk]);
  }
}

export async function activeDevices(db: SqlExecutor, deviceIds: readonly string[], now: string): Promise<Set<string>> {
  const active = new Set<string>();
  for (let i = 0; i < deviceIds.length; i += 500) {
    const chunk = deviceIds.slice(i, i + 500);
    const rows = await db.all<{ id: string }>(
      `SELECT id FROM devices WHERE id IN (${placeholders(chunk.length)}) AND revoked_at IS NULL AND expires_at > ?`,
      [...chunk, now],
    );
    for (const row of rows) active.add(row.id);
  }
  return active;
}

/** The device key of a device being created (its user, creation time), replacing an older key of the same user. */
export async function insertDeviceKey(db: SqlExecutor, device: DeviceRecord, key: NewDeviceKey): Promise<void> {
  if (key.replacesKeyHash !== undefined) {
    await db.run("DELETE FROM device_keys WHERE key_hash = ? AND user_id = ?", [key.replacesKeyHash, device.userId]);
  }
  await db.run(
    "INSERT INTO device_keys (key_hash, user_id, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    [key.keyHash, device.userId, device.id, device.createdAt, key.expiresAt],
  );
}

export async function deviceKeyByHash(db: SqlExecutor, keyHash: string, now: string): Promise<DeviceKeyRecord | null> {
  const row = await db.get<{ user_id: string; device_id: string; created_at: string; expires_at: string }>(
    "SELECT user_id, device_id, created_at, expires_at FROM device_keys WHERE key_hash = ? AND expires_at > ?",
    [keyHash, now],
  );
  return row
    ? { userId: row.user_id, deviceId: row.device_id, createdAt: row.created_at, expiresAt: row.expires_at }
    : null;
}

/**
 * Inside a write: set the password hash, revoke every device but `keepDeviceId` (at `at`), delete the
 * device keys not issued to it and any pending reset. The ids of the devices revoked.
 */
export async function replacePassword(
  tx: SqlExecutor,
  userId: string,
  passwordHash: string,
  keepDeviceId: string | null,
  at: string,
): Promise<string[]> {
  const keep = keepDeviceId ?? "";
  await tx.run("UPDATE users SET password_hash = ? WHERE id = ?", [passwordHash, userId]);
  const revoked = await tx.all<{ id: string }>(
    "SELECT id FROM devices WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
    [userId, keep],
  );
  await tx.run("UPDATE devices SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL", [
    at,
    userId,
    keep,
  ]);
  await tx.run("DELETE FROM device_keys WHERE user_id = ? AND device_id <> ?", [userId, keep]);
  await tx.run("DELETE FROM password_resets WHERE user_id = ?", [userId]);
  return revoked.map((row) => row.id);
}
