/** @module Fan-out: this node's sessions by user, and the bus messages and controls handed to them. */
import type { BusControl, BusMessage } from "../bus/bus.js";
import { CLOSE_CODES } from "../protocol/index.js";
import type { Session } from "./session.js";

/** The bus controls about sessions (presence controls go to the `PresenceAnnouncer`). */
export type SessionControl = Extract<BusControl, { kind: "device.revoked" | "block" | "contact.removed" }>;

/**
 * Every open session of this node, found by user. A frame goes out through each session's own
 * bounded send queue (see `Session.send`): a slow reader is shed or cut there, never waited for.
 */
export class FanOut {
  private readonly sessions = new Set<Session>();
  private readonly byUser = new Map<string, Set<Session>>();

  add(session: Session): void {
    this.sessions.add(session);
    const set = this.byUser.get(session.userId) ?? new Set<Session>();
    set.add(session);
    this.byUser.set(session.userId, set);
  }

  remove(session: Session): void {
    this.sessions.delete(session);
    const set = this.byUser.get(session.userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.byUser.delete(session.userId);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The sessions of one user on this node. */
  ofUser(userId: string): ReadonlySet<Session> {
    return this.byUser.get(userId) ?? new Set();
  }

  /** Every session, in the order they opened. */
  all(): ReadonlySet<Session> {
    return this.sessions;
  }

  /** A bus message: hand its frame to every local session of its audience. */
  deliver(message: BusMessage): void {
    if (message.everyone) {
      const frame = Buffer.from(message.frame);
      for (const session of this.sessions) session.send(frame, message.ephemeral);
      return;
    }
    // Encoded once for all recipients (a group's message goes to every member's devices).
    let frame: string | Buffer = message.frame;
    if (message.audience.length > 1) frame = Buffer.from(frame);
    for (const userId of message.audience) {
      const set = this.byUser.get(userId);
      if (!set) continue;
      for (const session of set) session.send(frame, message.ephemeral);
    }
  }

  /**
   * A control about sessions: a revoked device's sessions close; a block ends the presence
   * subscriptions between the two, a removed contact their subscriptions to the remover.
   */
  control(control: SessionControl): void {
    if (control.kind === "device.revoked") {
      // After the current turn, so that a device logging itself out still gets its `ok` first.
      setImmediate(() => {
        for (const session of this.sessions) {
          if (session.deviceId === control.deviceId) session.close(CLOSE_CODES.sessionRevoked, "device revoked");
        }
      });
      return;
    }
    if (control.kind === "contact.removed") {
      // Presence is shown to one's contacts only: one no longer listed stops hearing it at once
      // (and hears it again if listed again, as one refused at first).
      for (const session of this.byUser.get(control.contactId) ?? []) {
        if (!session.presenceSubscriptions.delete(control.userId)) continue;
        session.presenceRefused.add(control.userId);
        endPresence(session, control.userId);
      }
      return;
    }
    // A subscription made before the block must not keep showing either one to the other.
    for (const [viewer, target] of [
      [control.blockedId, control.userId],
      [control.userId, control.blockedId],
    ] as const) {
      for (const session of this.byUser.get(viewer) ?? []) {
        if (session.presenceSubscriptions.delete(target)) endPresence(session, target);
        session.presenceRefused.delete(target);
      }
    }
  }
}

/**
 * A subscription ended by the other side (removed from their contacts, a block): its last event
 * is the masked presence one who hides it shows, so a client does not keep showing "online" from
 * before; it cannot tell this from the user hiding their presence. Shed first under load, as
 * presence is.
 */
function endPresence(session: Session, userId: string): void {
  session.send(JSON.stringify({ type: "presence", userId, online: false, lastSeenAt: null, hidden: true }), true);
}
