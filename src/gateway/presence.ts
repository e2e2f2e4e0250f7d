/** @module Presence: who is online, seen across nodes, never stored. */
import type { Presence } from "../protocol/index.js";

/**
 * A node's claim that a user is online there holds this many heartbeats after its last
 * announcement: past one (the next refresh) with room for a late timer or a slow bus, short
 * enough that with the expiry checked every heartbeat slice a SIGKILLed node's users turn
 * offline elsewhere within 1.6 heartbeats (32 s at the default 20 s).
 */
export const PRESENCE_CLAIM_HEARTBEATS = 1.5;

/**
 * Each node counts its own sessions per user, announces a user's first session and last close,
 * and re-announces all its users every heartbeat. Every node keeps, per user, the nodes that hold
 * a session and until when that claim holds: a node that dies without saying goodbye (SIGKILL,
 * a cut from the bus) stops refreshing, and its users turn offline when the claim expires, and a
 * node that starts late learns who is online from the next refresh. Last-seen times live in
 * memory; the store keeps a copy (`Store.recordLastSeen`) that a node started later reads.
 */
export class PresenceRegistry {
  private readonly localSessions = new Map<string, number>();
  private readonly claims = new Map<string, Map<string, number>>();
  private readonly lastSeen = new Map<string, string>();
  /** Users known to hide their presence (`account.update {hidePresence}`), learned from the store and the bus. */
  private readonly hidden = new Set<string>();

  constructor(
    readonly nodeId: string,
    private readonly ttlMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Count a session here; true when it is this node's first for the user (announce it). */
  connect(userId: string): boolean {
    const count = (this.localSessions.get(userId) ?? 0) + 1;
    this.localSessions.set(userId, count);
    return count === 1;
  }

  /** Count a session closed; true when it was this node's last for the user (announce it). */
  disconnect(userId: string): boolean {
    const count = (this.localSessions.get(userId) ?? 1) - 1;
    if (count <= 0) {
      this.localSessions.delete(userId);
      return true;
    }
    this.localSessions.set(userId, count);
    return false;
  }

  /** The users with a session on this node (re-announced every heartbeat). */
  localUsers(): string[] {
    return [...this.localSessions.keys()];
  }

  /** Apply an announcement from any node (this one included); the user's presence when it changed. */
  apply(userId: string, nodeId: string, online: boolean, at: string): Presence | null {
    const wasOnline = this.isOnline(userId);
    const nodes = this.claims.get(userId) ?? new Map<string, number>();
    if (online) nodes.set(nodeId, this.now() + this.ttlMs);
    else nodes.delete(nodeId);
    if (nodes.size > 0) this.claims.set(userId, nodes);
    else this.claims.delete(userId);
    if (!online || !wasOnline) this.lastSeen.set(userId, at);
    return this.isOnline(userId) === wasOnline ? null : this.get(userId);
  }

  /** Drop expired claims; the users who turned offline by it. */
  expire(): Presence[] {
    const now = this.now();
    const changed: Presence[] = [];
    for (const [userId, nodes] of this.claims) {
      for (const [nodeId, until] of nodes) if (until <= now) nodes.delete(nodeId);
      if (nodes.size === 0) {
        this.claims.delete(userId);
        this.lastSeen.set(userId, new Date(now).toISOString());
        changed.push(this.get(userId));
      }
    }
    return changed;
  }

  private isOnline(userId: string): boolean {
    const nodes = this.claims.get(userId);
    if (!nodes) return false;
    const now = this.now();
    for (const until of nodes.values()) if (until > now) return true;
    return false;
  }

  /** Learn a last-seen time kept in the store, for a user this node has none for (it started later). */
  seedLastSeen(userId: string, at: string): void {
    if (!this.lastSeen.has(userId)) this.lastSeen.set(userId, at);
  }

  /** Record whether `userId` hides their presence; true when that changed. */
  setHidden(userId: string, hidden: boolean): boolean {
    if (this.hidden.has(userId) === hidden) return false;
    if (hidden) this.hidden.add(userId);
    else this.hidden.delete(userId);
    return true;
  }

  isHidden(userId: string): boolean {
    return this.hidden.has(userId);
  }

  /**
   * The presence others are shown: the truth, or for a user who hides it, neither online nor a
   * time (`hidden: true`; clients say "last seen recently"). `get` stays the truth, which the
   * server itself uses (pushes go to users with no live session).
   */
  shown(userId: string): Presence {
    if (this.hidden.has(userId)) return { userId, online: false, lastSeenAt: null, hidden: true };
    return this.get(userId);
  }

  get(userId: string): Presence {
    return { userId, online: this.isOnline(userId), lastSeenAt: this.lastSeen.get(userId) ?? null };
  }
}
