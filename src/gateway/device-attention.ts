/** @module Which devices are attended (have a live session whose app is visible), seen across nodes: a push goes only to devices nobody is looking at. */
import type { Bus, BusControl } from "../bus/bus.js";
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
  constructor(
    /** A presence registry keyed by device id. */
    private readonly registry: PresenceRegistry,
    private readonly bus: Bus,
    private readonly now: () => Date,
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

  /** A session of the device started attending here. */
  attend(deviceId: string): void {
    if (this.registry.connect(deviceId)) this.announce(deviceId, true);
  }

  /** A session of the device stopped attending here (hidden, or closed while visible). */
  leave(deviceId: string): void {
    if (this.registry.disconnect(deviceId)) this.announce(deviceId, false);
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
