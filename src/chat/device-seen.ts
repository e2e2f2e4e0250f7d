/** @module When each device was last seen: noted when its token or ticket is checked and the stored time is a minute old, written once a second in one statement. */
import type { Store } from "../store/store.js";

/**
 * A device's `lastSeenAt` is what the device list shows as "last active", where a minute is
 * precise enough; it is no reason to make a connecting client wait for the store's write lane.
 * Written one connect at a time, a reconnect storm put every session's UPDATE (each in its own
 * savepoint) into the lane ahead of the messages being sent, and every session waited for its
 * own before it could sync. Here the devices seen since the last flush are written together,
 * with the latest time among them, once per `intervalMs`; a flush the store refuses is tried
 * again with the next one. A crash loses at most one interval of "last active" times.
 */
export class DeviceSeen {
  private readonly seen = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, "touchDevices">,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Devices noted and not yet written. */
  get pending(): number {
    return this.seen.size;
  }

  note(deviceId: string, at: string): void {
    this.seen.set(deviceId, at);
  }

  /** Write every device noted so far (after a flush already running). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.seen.size === 0) return;
    const batch = [...this.seen];
    this.seen.clear();
    let latest = "";
    for (const [, at] of batch) if (at > latest) latest = at;
    this.flushing = this.store
      .touchDevices(
        batch.map(([id]) => id),
        latest,
      )
      .then(
        () => undefined,
        () => {
          // Not written: kept for the next flush, unless the device was seen again meanwhile.
          for (const [id, at] of batch) if (!this.seen.has(id)) this.seen.set(id, at);
        },
      );
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  /** Stop the timer and write what is left (the store must still be open). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
