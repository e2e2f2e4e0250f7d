/** @module The event bus interface: fan-out of live events between the nodes that hold sessions. */

/**
 * One message on the bus: the users it is for and the frame to hand to their sessions, already
 * serialized once so that a node sends the same string to every socket.
 */
export interface BusMessage {
  /** Users whose sessions should receive `frame`; every device of each. */
  audience: readonly string[];
  /** The JSON text of the event frame. */
  frame: string;
  /** Ephemeral frames (typing) are the first a session sheds when its client reads slowly. */
  ephemeral: boolean;
  /**
   * For every session on every node, whoever its user (`audience` is then ignored): the control
   * tower's incident banner, which every connected user needs.
   */
  everyone?: boolean;
}

/**
 * A control message for every node: close the sessions of a revoked device; a node's presence
 * news (a user's first session opened or last one closed there, and each heartbeat the users
 * online there, so a claim from a node that died expires); the same news per device about
 * attention (which devices have a live, visible session: they get no push); a block that ends the presence
 * subscriptions between two users, and a contact removed, which ends the removed one's subscription.
 */
export type BusControl =
  | { kind: "device.revoked"; deviceId: string }
  | { kind: "presence"; userId: string; nodeId: string; online: boolean; at: string }
  | { kind: "presence.refresh"; userIds: string[]; nodeId: string; at: string }
  /** A device's first attending session opened on a node, or its last one closed or went hidden. */
  | { kind: "attention"; deviceId: string; nodeId: string; attended: boolean; at: string }
  /**
   * A `message.new` reached a node just after the device's last attending session there was hidden
   * or closed (within `pushHoldMs`): its tab did not show it, so a push held for it is owed.
   */
  | { kind: "attention.missed"; deviceId: string; conversationId: string; seq: number }
  /** Each heartbeat: the devices a node's sessions attend (a dead node's claims expire). */
  | { kind: "attention.refresh"; deviceIds: string[]; nodeId: string; at: string }
  /** A user began or stopped hiding their presence: each node tells the sessions that follow them. */
  | { kind: "presence.hidden"; userId: string; hidden: boolean }
  /** A block was made: each node ends the presence subscriptions between the two users. */
  | { kind: "block"; userId: string; blockedId: string }
  /** `userId` added `contactId` as a contact (no block between them): `contactId`'s sessions refused `userId`'s presence follow it now. */
  | { kind: "contact.added"; userId: string; contactId: string }
  /** `userId` removed `contactId` from their contacts: each node ends `contactId`'s subscriptions to `userId`'s presence. */
  | { kind: "contact.removed"; userId: string; contactId: string };

/** "down" when the connection to the bus is lost, "up" when it is back (events may have been lost between). */
export type BusStatus = "up" | "down";

/**
 * The bus contract: at-most-once, best-effort delivery to every subscriber on every node, in
 * publish order per publisher. A message may be lost (a node restarting, a bus outage); that
 * is safe because every feed event is in the store first and clients fill gaps by `sync` (G4).
 * Typing (ephemeral messages) and presence (control messages) are only ever on the bus. A
 * publish reports no delivery: what an outage loses is lost, and the outage is heard through
 * `onStatus`. A publish that rejects (a closed connection, a payload too large) is logged by
 * its caller, never turned into a failed write: the event is stored already.
 */
export interface Bus {
  publish(message: BusMessage): Promise<void>;
  subscribe(handler: (message: BusMessage) => void): () => void;
  publishControl(control: BusControl): Promise<void>;
  subscribeControl(handler: (control: BusControl) => void): () => void;
  /** Hear when the bus connection drops and comes back; the in-process bus never drops. */
  onStatus(handler: (status: BusStatus) => void): () => void;
  /** Resolves when the bus answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
