/** @module The logged-in device, kept in localStorage so a reload stays logged in, its sync cursor, and its device key. */
import type { User } from "../../../src/protocol/index.js";

/** One device's login: what `register` or `login` returned. */
export interface Session {
  token: string;
  user: User;
  deviceId: string;
}

const SESSION_KEY = "haetae.session";
const cursorKey = (deviceId: string) => `haetae.cursor.${deviceId}`;

/** The saved session, or undefined when there is none (or it is unreadable). */
export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    const parsed = raw ? (JSON.parse(raw) as Session) : undefined;
    return parsed && typeof parsed.token === "string" && parsed.user?.id ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** Forget the session and its cursor (log out, or the server ended the session). */
export function clearSession(): void {
  const session = loadSession();
  if (session) localStorage.removeItem(cursorKey(session.deviceId));
  localStorage.removeItem(SESSION_KEY);
}

/** The feed cursor of the last complete sync: the next start reads only what came after it. */
export function loadCursor(deviceId: string): string | undefined {
  return localStorage.getItem(cursorKey(deviceId)) ?? undefined;
}

export function saveCursor(deviceId: string, cursor: string): void {
  localStorage.setItem(cursorKey(deviceId), cursor);
}

const deviceKeyKey = (username: string) => `haetae.deviceKey.${username}`;

/**
 * The device key this browser's last login to `username` returned. It outlives logout (unlike
 * the session): presented at the next login, it lets this browser in while the account's
 * failed-login backoff holds back everyone else.
 */
export function loadDeviceKey(username: string): string | undefined {
  return localStorage.getItem(deviceKeyKey(username)) ?? undefined;
}

export function saveDeviceKey(username: string, deviceKey: string): void {
  localStorage.setItem(deviceKeyKey(username), deviceKey);
}
