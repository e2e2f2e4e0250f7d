/** @module The in-process bus of the embedded default: one node, no network, same contract. */
import type { Bus, BusControl, BusMessage } from "./bus.js";

/**
 * Delivers on the next microtask, never inside `publish`, so a subscriber that throws or
 * publishes again cannot break the publisher's call stack — the same shape as a network bus.
 */
export class MemoryBus implements Bus {
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly controlHandlers = new Set<(control: BusControl) => void>();
  private closed = false;

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) return;
    queueMicrotask(() => {
      for (const handler of this.handlers) deliver(handler, message);
    });
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async publishControl(control: BusControl): Promise<void> {
    if (this.closed) return;
    queueMicrotask(() => {
      for (const handler of this.controlHandlers) deliver(handler, control);
    });
  }

  subscribeControl(handler: (control: BusControl) => void): () => void {
    this.controlHandlers.add(handler);
    return () => this.controlHandlers.delete(handler);
  }

  onStatus(): () => void {
    return () => undefined;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error("bus closed");
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.controlHandlers.clear();
  }
}

function deliver<T>(handler: (value: T) => void, value: T): void {
  try {
    handler(value);
  } catch (error) {
    // A faulty subscriber must not stop delivery to the others.
    console.error("bus subscriber failed:", error);
  }
}
