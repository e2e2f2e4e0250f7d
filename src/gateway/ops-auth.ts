/** @module Who may use the ops endpoints: a signed-in staff or admin user; the last good answer is kept for when the chat store is down. */
import { timingSafeEqual } from "node:crypto";
import { authenticate, configuredAdmins, hashToken } from "../chat/accounts.js";
import type { ChatContext } from "../chat/context.js";
import type { Actor } from "../ops/tower/tower.js";
import { HaetaeError } from "../protocol/index.js";

/** How long a staff sign-in checked before a chat-store outage keeps working during it. */
const OUTAGE_GRACE_MS = 12 * 3600_000;
const MAX_REMEMBERED = 1000;

/**
 * Checks the bearer token of an ops request against the chat store. The store is what breaks in
 * an incident, and the people fixing it need the console most then: a token that was staff's at
 * its last successful check keeps working while the store cannot be reached (not when the store
 * answers that the token is dead), for at most `OUTAGE_GRACE_MS`.
 */
export class OpsAuth {
  private readonly remembered = new Map<string, { actor: Actor; at: number }>();
  private readonly admins: Set<string>;

  constructor(
    private readonly ctx: ChatContext,
    adminUsernames: string,
  ) {
    this.admins = configuredAdmins(adminUsernames);
  }

  /** The staff member behind this token: `unauthorized` without a valid one, `forbidden` for a plain user. */
  async staff(token: string | undefined): Promise<Actor> {
    if (!token) throw new HaetaeError("unauthorized");
    const key = hashToken(token);
    let actor: Actor;
    try {
      const { user } = await authenticate(this.ctx, token);
      const stored = (await this.ctx.store.getRole(user.id)) ?? "user";
      actor = { username: user.username, role: this.admins.has(user.username) ? "admin" : stored };
    } catch (error) {
      if (error instanceof HaetaeError) {
        this.remembered.delete(key);
        throw error;
      }
      const known = this.remembered.get(key);
      if (known && Date.now() - known.at < OUTAGE_GRACE_MS) return known.actor;
      throw new HaetaeError("unavailable", "The account store cannot be reached to check this token.", 1000);
    }
    if (actor.role !== "staff" && actor.role !== "admin") {
      this.remembered.delete(key);
      throw new HaetaeError("forbidden", "The ops endpoints need a staff or admin role.");
    }
    this.remembered.delete(key);
    this.remembered.set(key, { actor, at: Date.now() });
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
    return actor;
  }
}

/**
 * Check an alert source's token against `alertToken`, in constant time. Without a configured
 * token the intake is closed: an open endpoint that opens incidents would let anyone page staff.
 */
export function checkAlertToken(configured: string, presented: string | undefined): void {
  if (configured === "") {
    throw new HaetaeError("forbidden", "Alert intake is off on this node: set alertToken (--alert-token).");
  }
  if (!presented) throw new HaetaeError("unauthorized", "The alert intake needs the alertToken as a bearer token.");
  const a = Buffer.from(configured);
  const b = Buffer.from(presented);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HaetaeError("unauthorized", "Wrong alert token.");
}
