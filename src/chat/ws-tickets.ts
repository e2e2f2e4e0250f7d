/** @module One-time WebSocket tickets: a browser's way to open a session without its token in the URL. */
import { randomBytes } from "node:crypto";
import type { User } from "../protocol/index.js";
import { HaetaeError } from "../protocol/index.js";
import type { DeviceRecord } from "../store/store.js";
import { DEVICE_SEEN_RESOLUTION_MS, hashToken } from "./accounts.js";
import type { ChatContext } from "./context.js";

/**
 * A ticket for this device, good for one WebSocket upgrade within `wsTicketTtlMs`. Browsers
 * cannot set an Authorization header on a WebSocket, and a token in the URL lands in proxy and
 * server logs, where it stays valid for weeks; a ticket found there is used or expired. Only its
 * hash is stored, in the shared store, so any node behind a load balancer can redeem it.
 */
export async function issueWsTicket(
  ctx: ChatContext,
  deviceId: string,
): Promise<{ ticket: string; expiresAt: string }> {
  const ticket = `wst_${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(ctx.now().getTime() + ctx.limits.wsTicketTtlMs).toISOString();
  await ctx.store.createWsTicket(hashToken(ticket), deviceId, expiresAt);
  return { ticket, expiresAt };
}

/** The device and user of a ticket, which is used up by this call; `unauthorized` when unknown, used, expired or revoked. */
export async function redeemWsTicket(
  ctx: ChatContext,
  ticket: string | undefined,
): Promise<{ user: User; device: DeviceRecord }> {
  if (!ticket) throw new HaetaeError("unauthorized");
  const found = await ctx.store.redeemWsTicket(hashToken(ticket), ctx.now().toISOString());
  if (!found) throw new HaetaeError("unauthorized", "The ticket is unknown, used, expired or its device was revoked.");
  const now = ctx.now();
  if (!(now.getTime() - Date.parse(found.device.lastSeenAt) < DEVICE_SEEN_RESOLUTION_MS)) {
    ctx.seen.note(found.device.id, now.toISOString());
  }
  return found;
}

/**
 * Delete expired tickets every `intervalMs` (unused tickets of clients that never connected).
 * Every node sweeps; the deletes are idempotent. Returns the function that stops it.
 */
export function sweepWsTickets(ctx: Pick<ChatContext, "store" | "now">, intervalMs = 60_000): () => void {
  const timer = setInterval(() => {
    ctx.store.sweepWsTickets(ctx.now().toISOString()).catch(() => {
      // The store is unreachable: the next sweep deletes these too.
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
