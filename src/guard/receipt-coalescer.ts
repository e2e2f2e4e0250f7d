/** @module Coalesced receipt fan-out for degradation level 2: the latest receipt per reader, published once a second. */
import type { ReceiptEvent } from "../protocol/index.js";

/**
 * Receipts are already stored when they reach this (the feed has every one of them); only their
 * live fan-out is deferred. A member who reads ten messages in a second sends one receipt
 * to the others instead of ten.
 */
export class ReceiptCoalescer {
  private readonly latest = new Map<string, { audience: string[]; event: ReceiptEvent }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly publish: (audience: string[], event: ReceiptEvent) => Promise<void>,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  offer(audience: string[], event: ReceiptEvent): void {
    this.latest.set(`${event.conversationId}\u0000${event.userId}`, { audience, event });
  }

  flush(): void {
    const pending = [...this.latest.values()];
    this.latest.clear();
    for (const { audience, event } of pending) void this.publish(audience, event).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
