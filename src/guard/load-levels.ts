/** @module Degradation levels: measured load in, a level 0–4 out, with hysteresis, left by itself when load falls. */
import { monitorEventLoopDelay } from "node:perf_hooks";

/** What each level sheds; every level also sheds what the ones below it shed (G5's order). */
export const LEVEL_EFFECTS = [
  "normal",
  "typing and presence fan-out dropped",
  "read-receipt fan-out coalesced (receipts still stored), search deferred (overloaded, retry later)",
  "history reads deferred (overloaded, retry later)",
  "new connections refused (retry later)",
] as const;

/** One measurement of load. */
export interface LoadSample {
  /** p99 event-loop delay over the last interval, ms. */
  lagMs: number;
  /** Writes queued in front of the store. */
  pendingWrites: number;
  /** Resident memory, MB. */
  rssMb: number;
}

export interface LoadThresholds {
  /** Event-loop lag that means level 1; levels 2, 3, 4 at 2×, 4×, 8× it. */
  degradeLagMs: number;
  /** Queued writes that mean level 1; levels 2, 3, 4 at 2×, 4×, 8× it. */
  degradePendingWrites: number;
  /** Resident memory that means level 4 (and 3 at three quarters of it). */
  degradeRssMb: number;
  /** Samples in a row below a level's entry point (halved) before stepping down one level. */
  recoverSamples: number;
}

/** The level a sample alone asks for. */
export function levelOf(sample: LoadSample, t: LoadThresholds): number {
  const step = (value: number, base: number) =>
    value >= base * 8 ? 4 : value >= base * 4 ? 3 : value >= base * 2 ? 2 : value >= base ? 1 : 0;
  const memory = sample.rssMb >= t.degradeRssMb ? 4 : sample.rssMb >= t.degradeRssMb * 0.75 ? 3 : 0;
  return Math.max(step(sample.lagMs, t.degradeLagMs), step(sample.pendingWrites, t.degradePendingWrites), memory);
}

/**
 * Climbs at once when load asks for a higher level, and steps down one level at a time only
 * after `recoverSamples` samples in a row ask for less than half of the current level's entry
 * point — so a level does not flap at its threshold. An operator may pin a floor (a planned
 * surge: "emergency mode" armed ahead of midnight), which measured load can only raise.
 */
export class LoadLevels {
  private current = 0;
  private calm = 0;
  private floor = 0;
  private readonly listeners = new Set<(level: number, sample: LoadSample) => void>();

  constructor(private readonly thresholds: LoadThresholds) {}

  get level(): number {
    return Math.max(this.current, this.floor);
  }

  /** Pin a minimum level (0 releases it). */
  pin(level: number): void {
    const before = this.level;
    this.floor = Math.max(0, Math.min(4, Math.floor(level)));
    if (this.level !== before) this.emit({ lagMs: 0, pendingWrites: 0, rssMb: 0 });
  }

  onChange(listener: (level: number, sample: LoadSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feed one measurement; returns the level after it. */
  observe(sample: LoadSample): number {
    const before = this.level;
    const wanted = levelOf(sample, this.thresholds);
    if (wanted > this.current) {
      this.current = wanted;
      this.calm = 0;
    } else if (wanted < this.current) {
      const half: LoadThresholds = {
        ...this.thresholds,
        degradeLagMs: this.thresholds.degradeLagMs / 2,
        degradePendingWrites: this.thresholds.degradePendingWrites / 2,
      };
      this.calm = levelOf(sample, half) < this.current ? this.calm + 1 : 0;
      if (this.calm >= this.thresholds.recoverSamples) {
        this.current -= 1;
        this.calm = 0;
      }
    } else {
      this.calm = 0;
    }
    if (this.level !== before) this.emit(sample);
    return this.level;
  }

  private emit(sample: LoadSample): void {
    for (const listener of this.listeners) listener(this.level, sample);
  }
}

/** Sample this process every `intervalMs`: event-loop delay, queued writes, memory. */
export function sampleProcess(levels: LoadLevels, pendingWrites: () => number, intervalMs: number): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    const lagMs = Number.isFinite(delay.percentile(99)) ? delay.percentile(99) / 1e6 : 0;
    delay.reset();
    levels.observe({ lagMs, pendingWrites: pendingWrites(), rssMb: process.memoryUsage.rss() / 1024 / 1024 });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
