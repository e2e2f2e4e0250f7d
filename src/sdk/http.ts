/** @module Account calls over HTTP: register, log in (one login = one device token), log out, change or reset the password, WebSocket tickets. */
import type { AuthReply, WsTicketReply } from "../protocol/index.js";
import { HaetaeRequestError } from "./request-error.js";

/** Register a new user; resolves with the user and a token for this first device. */
export function register(
  baseUrl: string,
  body: { username: string; password: string; displayName?: string },
): Promise<AuthReply> {
  return post<AuthReply>(baseUrl, "/api/v1/auth/register", body);
}

/**
 * Log in: each login is a new device with its own token. Pass the `deviceKey` of this device's
 * last login (keep it apart from the token, and across logouts; each reply brings a new one):
 * while someone is guessing the account's password and the account must wait, a login with the
 * device key still gets in.
 */
export function login(
  baseUrl: string,
  body: { username: string; password: string; deviceName?: string; deviceKey?: string },
): Promise<AuthReply> {
  return post<AuthReply>(baseUrl, "/api/v1/auth/login", body);
}

/** Change the password; every other device of the account is logged out (this one stays). */
export function changePassword(
  baseUrl: string,
  token: string,
  body: { currentPassword: string; newPassword: string },
): Promise<{ revokedDevices: number }> {
  return post<{ revokedDevices: number }>(baseUrl, "/api/v1/auth/password", body, token);
}

/** Set a new password with the one-time code staff gave; resolves logged in, as a login does. */
export function redeemPasswordReset(
  baseUrl: string,
  body: { username: string; code: string; newPassword: string; deviceName?: string },
): Promise<AuthReply> {
  return post<AuthReply>(baseUrl, "/api/v1/auth/password/reset", body);
}

/** Log out the device this token belongs to; its open connections are closed as revoked. */
export async function logout(baseUrl: string, token: string): Promise<void> {
  await post<unknown>(baseUrl, "/api/v1/auth/logout", {}, token);
}

/**
 * A one-time ticket for one WebSocket connection of this token's device, valid for seconds
 * (`expiresAt`): see `webSocketUrl`. The client asks for a new one before every (re)connect.
 */
export async function wsTicket(baseUrl: string, token: string, timeoutMs = 10_000): Promise<WsTicketReply> {
  const path = "/api/v1/auth/ws-ticket";
  const reply = await post<Partial<Record<keyof WsTicketReply, unknown>> | null>(
    baseUrl,
    path,
    {},
    token,
    AbortSignal.timeout(timeoutMs),
  );
  // A 200 from something that is not the server (a captive portal, a misrouted proxy). Checked by
  // hand: a zod schema here would pull zod into the web client's bundle.
  const { ticket, expiresAt } = reply ?? {};
  if (typeof ticket !== "string" || ticket === "" || typeof expiresAt !== "string") {
    throw new HaetaeRequestError("bad_response", `${path}: not a ticket`);
  }
  return { ticket, expiresAt };
}

/** POST a JSON body; a non-2xx reply rejects with the server's `{error: {code, message}}`. */
async function post<T>(baseUrl: string, path: string, body: unknown, token?: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw requestFailed(path, error);
  }
  return readAnswer<T>(response, path);
}

/** A fetch that did not reach the server: `network_error`, naming the path. */
export function requestFailed(path: string, error: unknown): HaetaeRequestError {
  return new HaetaeRequestError("network_error", `${path}: ${(error as Error).message}`);
}

/** A 2xx answer's JSON body; anything else rejects with the server's `{error: {code, message, retryAfterMs?}}`. */
export async function readAnswer<T>(response: Response, path: string): Promise<T> {
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  if (response.ok) return json as T;
  const error = (json as { error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown } } | undefined)?.error;
  if (typeof error?.code === "string") {
    const retryAfterMs = typeof error.retryAfterMs === "number" ? error.retryAfterMs : undefined;
    throw new HaetaeRequestError(error.code, String(error.message ?? error.code), retryAfterMs);
  }
  // A proxy's error page rather than the server's: no code to give, so say what we saw.
  throw new HaetaeRequestError("bad_response", `${path}: HTTP ${response.status}`);
}
