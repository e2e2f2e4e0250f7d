/** @module Which devices are attended (have a live session whose app is visible), seen across nodes: a push goes only to devices nobody is looking at. */
import type { Bus, BusControl, BusMessage } from "../bus/bus.js";
import type { ServerEvent } from "../protocol/index.js";
import type { PresenceRegistry } from "./presence.js";

/** The bus controls about attention, from any node (this one included). */
export type AttentionControl = Extract<BusControl, { kind: "attention" | "attention.refresh" }>;

/** Devices per `attention.refresh` control: each bus message stays far below NATS's 1 MiB payload limit. */
const REFRESH_CHUNK = 2000;

/**
 * A device is attended while one of its sessions, on any node, is open and visible: a session
 * counts from its opening (a client that never says otherwise, like the SDK, attends while
 * connected) until its client sends `session.visibility {visible: false}` (the web client does
 * when its tab is hidden), and again after `visible: true`. The counting and the cross-node
 * claims are presence's own (a registry keyed by device id): a node announces a device's first
 * attending session and its last, re-announces its devices every heartbeat, and a dead node's
 * claims expire. Like presence, this is never stored.
 */
export class DeviceAttention {
  /**
   * Devices whose last attending session here ended less than `holdMs` ago (hidden or closed),
   * by user, with when: a message handed out here now reached no attending session of theirs.
   */
  private readonly leftHere = new Map<string, Map<string, number>>();

  constructor(
    /** A presence registry keyed by device id. */
    private readonly registry: PresenceRegistry,
    private readonly bus: Bus,
    private readonly now: () => Date,
    /** How long another node may hold a push for a device that left here (`pushHoldMs`); 0: none. */
    private readonly holdMs = 0,
    /** The node's degradation level: from 1 no push is held anywhere, so nothing is reported (G5). */
    private readonly load: { readonly level: number } = { level: 0 },
  ) {}

  /**
   * True while some node holds an attending session of the device, or when it stopped attending
   * at or after `since`: a message delivered then was on a shown screen (its tab notified by itself
   * if it hid before hearing back), so a push decided later must not tell it again.
   */
  isAttended(deviceId: string, since?: Date): boolean {
    const { online, lastSeenAt } = this.registry.get(deviceId);
    if (online || since === undefined || lastSeenAt === null) return online;
    return Date.parse(lastSeenAt) >= since.getTime();
  }

  /** A session of `userId`'s device started attending here. */
  attend(deviceId: string, userId: string): void {
    this.forgetLeft(userId, deviceId);
    if (this.registry.connect(deviceId)) this.announce(deviceId, true);
  }

  /** A session of `userId`'s device stopped attending here (hidden, or closed while visible). */
  leave(deviceId: string, userId: string): void {
    if (!this.registry.disconnect(deviceId)) return;
    this.announce(deviceId, false);
    if (this.holdMs === 0) return;
    const devices = this.leftHere.get(userId) ?? new Map<string, number>();
    devices.set(deviceId, this.now().getTime());
    this.leftHere.set(userId, devices);
  }

  /**
   * A bus message was handed to this node's sessions. For each device of its audience whose last
   * attending session here ended within `holdMs`, a `message.new` reached no attending session
   * (the tab was hidden and had been told so, or was closed): every node hears `attention.missed`,
   * and one that held the push because it had not yet heard of the leave sends it. This node's
   * order is the truth: a message handed out before the leave was shown by the tab (which
   * notifies by itself if it hides), one handed out after was not — no clocks compared. Only
   * users with such a device have the frame parsed.
   */
  delivered(message: BusMessage): void {
    if (this.leftHere.size === 0 || message.ephemeral || message.everyone || this.load.level >= 1) return;
    let event: ServerEvent | undefined;
    const since = this.now().getTime() - this.holdMs;
    for (const userId of message.audience) {
      const devices = this.leftHere.get(userId);
      if (!devices) continue;
      event ??= JSON.parse(message.frame) as ServerEvent;
      if (event.type !== "message.new") return;
      if (event.message.senderId === userId) continue;
      for (const [deviceId, leftAt] of devices) {
        if (leftAt < since) {
          this.forgetLeft(userId, deviceId);
          continue;
        }
        const { conversationId, seq } = event.message;
        this.bus
          .publishControl({ kind: "attention.missed", deviceId, conversationId, seq })
          .catch((error: Error) => console.error("attention publish failed:", error.message));
      }
    }
  }

  private forgetLeft(userId: string, deviceId: string): void {
    const devices = this.leftHere.get(userId);
    if (!devices?.delete(deviceId) || devices.size > 0) return;
    this.leftHere.delete(userId);
  }

  apply(control: AttentionControl): void {
    if (control.kind === "attention.refresh") {
      for (const deviceId of control.deviceIds) this.registry.apply(deviceId, control.nodeId, true, control.at);
    } else {
      this.registry.apply(control.deviceId, control.nodeId, control.attended, control.at);
    }
  }

  /** Once a heartbeat: re-announce this node's attended devices, and expire others' stale claims. */
  refresh(): void {
    const devices = this.registry.localUsers();
    const at = this.now().toISOString();
    const nodeId = this.registry.nodeId;
    for (let i = 0; i < devices.length; i += REFRESH_CHUNK) {
      const deviceIds = devices.slice(i, i + REFRESH_CHUNK);
      this.bus.publishControl({ kind: "attention.refresh", deviceIds, nodeId, at }).catch(() => undefined);
    }
    this.registry.expire();
    // Bounded memory: devices that left longer than the hold ago are forgotten even if no message came.
    const since = this.now().getTime() - this.holdMs;
    for (const [userId, devices] of this.leftHere) {
      for (const [deviceId, leftAt] of devices) if (leftAt < since) this.forgetLeft(userId, deviceId);
    }
  }

  private announce(deviceId: string, attended: boolean): void {
    const control: BusControl = {
      kind: "attention",
      deviceId,
      nodeId: this.registry.nodeId,
      attended,
      at: this.now().toISOString(),
    };
    this.bus.publishControl(control).catch((error: Error) => console.error("attention publish failed:", error.message));
  }
}
