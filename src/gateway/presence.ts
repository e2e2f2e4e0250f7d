/** @module Presence: who is online, seen across nodes, never stored. */
import type { Presence } from "../protocol/index.js";

/**
 * Each node counts its own sessions per user and announces a user's first session and last
 * close; every node keeps, per user, the set of nodes that hold a session. A user is online
 * while that set is non-empty. Last-seen times live in memory only, as presence is ephemeral.
 */
export class PresenceRegistry {
  private readonly localSessions = new Map<string, number>();
  private readonly nodesByUser = new Map<string, Set<string>>();
  private readonly lastSeen = new Map<string, string>();

  constructor(readonly nodeId: string) {}

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

  /** Apply an announcement from any node (this one included); returns the user's presence when it changed. */
  apply(userId: string, nodeId: string, online: boolean, at: string): Presence | null {
    const nodes = this.nodesByUser.get(userId) ?? new Set<string>();
    const wasOnline = nodes.size > 0;
    if (online) nodes.add(nodeId);
    else nodes.delete(nodeId);
    if (nodes.size > 0) this.nodesByUser.set(userId, nodes);
    else this.nodesByUser.delete(userId);
    this.lastSeen.set(userId, at);
    const isOnline = nodes.size > 0;
    return isOnline === wasOnline ? null : this.get(userId);
  }

  get(userId: string): Presence {
    return { userId, online: this.nodesByUser.has(userId), lastSeenAt: this.lastSeen.get(userId) ?? null };
  }
}
