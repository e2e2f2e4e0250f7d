/** @module Service-level indicator events, from probes and real traffic, fanned out to SLOs, incident impact and metrics. */

/** The indicators Haetae's SLOs are built on. */
export const SLIS = ["send", "delivery", "login", "history", "upload", "download"] as const;
export type Sli = (typeof SLIS)[number];

/** One good or bad event of an indicator. */
export interface SliEvent {
  sli: Sli;
  ok: boolean;
  /** For latency indicators (send→deliver, login, upload, download): how long it took. */
  latencyMs?: number;
  /** The user whose request it was (real traffic); absent for probes. */
  userId?: string;
  source: "probe" | "traffic";
  /** ms since the epoch. */
  at: number;
}

/**
 * A synchronous fan-out of SLI events. Recording is on the hot path of every send, so it does
 * no I/O: listeners count in memory and must not throw (one that does is removed from the hot
 * path by being caught and logged once).
 */
export class SliRecorder {
  private readonly listeners = new Set<(event: SliEvent) => void>();
  private readonly failed = new WeakSet<(event: SliEvent) => void>();

  record(event: Omit<SliEvent, "at"> & { at?: number }): void {
    const full: SliEvent = { ...event, at: event.at ?? Date.now() };
    for (const listener of this.listeners) {
      try {
        listener(full);
      } catch (error) {
        if (!this.failed.has(listener)) {
          this.failed.add(listener);
          console.error("haetae: an SLI listener failed", error);
        }
      }
    }
  }

  subscribe(listener: (event: SliEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
