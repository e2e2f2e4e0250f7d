/** @module Presence on the wire: this node's announcements on the bus, and the presence events its sessions subscribed to. */
import type { Bus, BusControl } from "../bus/bus.js";
import type { ChatContext } from "../chat/context.js";
import type { Presence } from "../protocol/index.js";
import type { FanOut } from "./fan-out.js";
import type { PresenceRegistry } from "./presence.js";

/** The bus controls about presence, from any node (this one included). */
export type PresenceControl = Extract<
  BusControl,
  { kind: "presence" | "presence.refresh" | "presence.hidden" | "contact.added" }
>;

/** Users per `presence.refresh` control: each bus message stays far below NATS's 1 MiB payload limit. */
const REFRESH_CHUNK = 2000;

/**
 * Announces a user's first session on this node and their last close, re-announces every
 * local user once a heartbeat, applies every node's announcements to the registry, and sends a
 * `presence` event to the sessions subscribed to a user whose presence changed.
 */
export class PresenceAnnouncer {
  constructor(
    readonly registry: PresenceRegistry,
    private readonly ctx: Pick<ChatContext, "now" | "load" | "store">,
    private readonly bus: Bus,
    private readonly sessions: FanOut,
  ) {}

  /** A session of `userId` opened here. */
  connected(userId: string): void {
    if (this.registry.connect(userId)) this.announce(userId, true);
  }

  /** Last-seen times to keep in the store, written together at the next slice. */
  private readonly unsaved = new Map<string, string>();

  /** A session of `userId` closed here. */
  disconnected(userId: string): void {
    if (!this.registry.disconnect(userId)) return;
    this.announce(userId, false);
    this.unsaved.set(userId, this.ctx.now().toISOString());
  }

  apply(control: PresenceControl): void {
    if (control.kind === "contact.added") {
      this.follow(control.userId, control.contactId).catch((error: Error) => {
        console.error("presence follow failed:", error.message);
      });
      return;
    }
    if (control.kind === "presence.hidden") {
      // Subscribers learn at once: the masked presence when hidden, the truth when shown again.
      if (this.registry.setHidden(control.userId, control.hidden)) this.send(this.registry.shown(control.userId));
      return;
    }
    if (control.kind === "presence.refresh") {
      for (const userId of control.userIds) this.changed(this.registry.apply(userId, control.nodeId, true, control.at));
      return;
    }
    this.changed(this.registry.apply(control.userId, control.nodeId, control.online, control.at));
  }

  /**
   * `userId` added `viewerId` as a contact: the viewer's sessions here that asked to follow
   * `userId` and were refused follow them from now on, starting with a `presence` event of how
   * they are now (masked if they hide it, last seen from the store if this node never saw them).
   */
  private async follow(userId: string, viewerId: string): Promise<void> {
    if (![...this.sessions.ofUser(viewerId)].some((s) => s.presenceRefused.has(userId))) return;
    const [hidden, kept] = await Promise.all([
      this.ctx.store.presenceHiddenAmong([userId]),
      this.ctx.store.lastSeenAmong([userId]),
    ]);
    this.registry.setHidden(userId, hidden.length > 0);
    const seen = kept.get(userId);
    if (seen !== undefined) this.registry.seedLastSeen(userId, seen);
    const frame = JSON.stringify({ type: "presence", ...this.registry.shown(userId) });
    for (const session of this.sessions.ofUser(viewerId)) {
      if (!session.presenceRefused.delete(userId)) continue;
      session.presenceSubscriptions.add(userId);
      if (this.ctx.load.level < 1) session.send(frame, true); // shed first under load (G5)
    }
  }

  /** Once a heartbeat: re-announce this node's users as online. */
  refresh(): void {
    const users = this.registry.localUsers();
    const at = this.ctx.now().toISOString();
    for (let i = 0; i < users.length; i += REFRESH_CHUNK) {
      const control: BusControl = {
        kind: "presence.refresh",
        userIds: users.slice(i, i + REFRESH_CHUNK),
        nodeId: this.registry.nodeId,
        at,
      };
      this.bus.publishControl(control).catch(() => undefined);
    }
  }

  /** Every heartbeat slice: drop the stale claims of nodes that stopped refreshing (died, or cut from the bus). */
  expire(): void {
    for (const changed of this.registry.expire()) {
      // A dead node's users: every node that saw them expire keeps the time (a node's death is rare).
      if (changed.lastSeenAt) this.unsaved.set(changed.userId, changed.lastSeenAt);
      this.changed(changed);
    }
    this.saveLastSeen();
  }

  /** Write the last-seen times gathered since the last slice, in one batch; a failure only loses them. */
  private saveLastSeen(): void {
    if (this.unsaved.size === 0) return;
    const seen = new Map(this.unsaved);
    this.unsaved.clear();
    this.ctx.store
      .recordLastSeen(seen)
      .catch((error: Error) => console.error("last-seen write failed:", error.message));
  }

  private changed(changed: Presence | null): void {
    // A user who hides their presence changes nothing anyone is shown.
    if (!changed || this.registry.isHidden(changed.userId)) return;
    this.send(changed);
  }

  private send(changed: Presence): void {
    if (this.ctx.load.level >= 1) return; // presence fan-out is shed first, with typing (G5)
    const frame = JSON.stringify({ type: "presence", ...changed });
    for (const session of this.sessions.all()) {
      if (session.presenceSubscriptions.has(changed.userId)) session.send(frame, true);
    }
  }

  private announce(userId: string, online: boolean): void {
    const control: BusControl = {
      kind: "presence",
      userId,
      nodeId: this.registry.nodeId,
      online,
      at: this.ctx.now().toISOString(),
    };
    this.bus.publishControl(control).catch((error: Error) => console.error("presence publish failed:", error.message));
  }
}
