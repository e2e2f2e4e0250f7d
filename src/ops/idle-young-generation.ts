/**
 * @module Gives an idle process's young generation back. V8 grows the young generation (new
 * space) while scavenges find many survivors, as at start-up while modules load (to 2 × 8 MB
 * here, `--max-semi-space-size=32` letting it grow further under load), and shrinks it only in a
 * garbage collection that finds the allocation rate low. An idle server runs no collection, so it
 * kept the 16 MB its start-up grew: a minor collection while idle lets V8 give it back
 * (docs/benchmarks.md, "The young generation given back").
 */
import { performance } from "node:perf_hooks";

/** How often an idle process offers its young generation back. */
export const YOUNG_GENERATION_CHECK_MS = 10_000;
/** The event loop's busy share over a check's interval under which the process counts as idle. */
const IDLE_UTILIZATION = 0.05;

type Gc = (options?: { type?: "minor" | "major"; execution?: "sync" | "async" }) => void;

/**
 * Every `everyMs`, when the event loop was busy less than 5 % of the time since the last check,
 * run one minor collection: V8 shrinks the young generation in it when it judges the allocation
 * rate low, and leaves it when not. A busy process is left alone. Needs `--expose-gc` (the flags
 * on `bin/haetae.js`); without it this does nothing. Returns the stop.
 */
export function giveBackIdleYoungGeneration(everyMs = YOUNG_GENERATION_CHECK_MS): () => void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== "function") return () => undefined;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy < IDLE_UTILIZATION) gc({ type: "minor" });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
