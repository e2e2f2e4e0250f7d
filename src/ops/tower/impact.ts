/** @module Measured impact of open incidents: counts SLI events (real traffic and probes) while an incident is open. */
import type { Sli, SliEvent, SliRecorder } from "../sli-recorder.js";
import type { ComponentFunction, MeasuredImpact } from "./model.js";

/** Which function of the product an indicator measures; an incident counts the events of its components' functions. */
export const SLI_FUNCTION: Record<Sli, ComponentFunction> = {
  send: "messaging",
  delivery: "messaging",
  history: "messaging",
  login: "login",
};

interface Counts {
  sendsAttempted: number;
  sendsFailed: number;
  loginsAttempted: number;
  loginsFailed: number;
  probesRun: number;
  probesFailed: number;
}

const zero = (): Counts => ({
  sendsAttempted: 0,
  sendsFailed: 0,
  loginsAttempted: 0,
  loginsFailed: 0,
  probesRun: 0,
  probesFailed: 0,
});

function count(counts: Counts, event: SliEvent): void {
  if (event.sli === "send") {
    counts.sendsAttempted += 1;
    if (!event.ok) counts.sendsFailed += 1;
  } else if (event.sli === "login") {
    counts.loginsAttempted += 1;
    if (!event.ok) counts.loginsFailed += 1;
  }
  if (event.source === "probe") {
    counts.probesRun += 1;
    if (!event.ok) counts.probesFailed += 1;
  }
}

function add(into: Counts, from: Counts): void {
  for (const key of Object.keys(into) as (keyof Counts)[]) into[key] += from[key];
}

/** One open incident's tally. */
interface Tracker {
  functions: ReadonlySet<ComponentFunction> | null;
  counts: Counts;
  affected: Set<string>;
  active: Set<string>;
  /** Users counted before a restart (their ids were not kept), added to the distinct ones since. */
  baseUsersAffected: number;
}

/** A one-second bucket of the recent past, per function, for the lookback at opening. */
interface Bucket {
  second: number;
  byFunction: Map<ComponentFunction, Counts>;
}

/**
 * Counts impact in memory (no I/O on the SLI hot path). An incident is usually opened after the
 * failures that fired its alert, so at opening it is seeded with the last `lookbackMs` of
 * events: per-second counts and each user's last activity and last failure, kept that long and
 * no longer — memory stays bounded by the users active in the window, not by traffic.
 */
export class ImpactMeter {
  private readonly trackers = new Map<string, Tracker>();
  private readonly buckets: Bucket[] = [];
  private readonly lastActive = new Map<string, number>();
  private readonly lastFailed = new Map<string, Map<ComponentFunction, number>>();
  private readonly unsubscribe: () => void;

  constructor(
    sli: SliRecorder,
    private readonly lookbackMs: number,
    private readonly now: () => number,
  ) {
    this.unsubscribe = sli.subscribe((event) => this.record(event));
  }

  private record(event: SliEvent): void {
    const fn = SLI_FUNCTION[event.sli];
    const second = Math.floor(event.at / 1000);
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.second !== second) {
      bucket = { second, byFunction: new Map() };
      this.buckets.push(bucket);
    }
    let counts = bucket.byFunction.get(fn);
    if (!counts) {
      counts = zero();
      bucket.byFunction.set(fn, counts);
    }
    count(counts, event);
    if (event.userId !== undefined) {
      this.lastActive.set(event.userId, event.at);
      if (!event.ok) {
        let failed = this.lastFailed.get(event.userId);
        if (!failed) {
          failed = new Map();
          this.lastFailed.set(event.userId, failed);
        }
        failed.set(fn, event.at);
      }
    }
    for (const tracker of this.trackers.values()) {
      if (event.userId !== undefined) tracker.active.add(event.userId);
      if (tracker.functions && !tracker.functions.has(fn)) continue;
      count(tracker.counts, event);
      if (!event.ok && event.userId !== undefined) tracker.affected.add(event.userId);
    }
  }

  /**
   * Start counting for an incident; `functions` null counts every function. With `resumeFrom`
   * (after a restart) the stored figures are the base; otherwise the lookback seeds it.
   */
  track(id: string, functions: ReadonlySet<ComponentFunction> | null, resumeFrom?: MeasuredImpact): void {
    const tracker: Tracker = {
      functions,
      counts: zero(),
      affected: new Set(),
      active: new Set(),
      baseUsersAffected: 0,
    };
    if (resumeFrom) {
      tracker.counts = {
        sendsAttempted: resumeFrom.sendsAttempted,
        sendsFailed: resumeFrom.sendsFailed,
        loginsAttempted: resumeFrom.loginsAttempted ?? 0,
        loginsFailed: resumeFrom.loginsFailed ?? 0,
        probesRun: resumeFrom.probesRun,
        probesFailed: resumeFrom.probesFailed,
      };
      tracker.baseUsersAffected = resumeFrom.usersAffected;
    } else {
      const from = this.now() - this.lookbackMs;
      for (const bucket of this.buckets) {
        if (bucket.second * 1000 < from) continue;
        for (const [fn, counts] of bucket.byFunction) if (!functions || functions.has(fn)) add(tracker.counts, counts);
      }
      for (const [user, at] of this.lastActive) if (at >= from) tracker.active.add(user);
      for (const [user, failures] of this.lastFailed) {
        for (const [fn, at] of failures) {
          if (at >= from && (!functions || functions.has(fn))) tracker.affected.add(user);
        }
      }
    }
    this.trackers.set(id, tracker);
  }

  /** Count an incident's events for other functions from now on (its components changed). */
  retarget(id: string, functions: ReadonlySet<ComponentFunction> | null): void {
    const tracker = this.trackers.get(id);
    if (tracker) tracker.functions = functions;
  }

  untrack(id: string): void {
    this.trackers.delete(id);
  }

  isTracking(id: string): boolean {
    return this.trackers.has(id);
  }

  /** The figures of an incident open since `startedAt` (ms), measured up to `endAt` (ms). */
  measure(id: string, startedAt: number, endAt: number): MeasuredImpact | null {
    const tracker = this.trackers.get(id);
    if (!tracker) return null;
    const c = tracker.counts;
    const usersAffected = tracker.baseUsersAffected + tracker.affected.size;
    const active = Math.max(tracker.active.size, tracker.affected.size);
    return {
      durationMs: Math.max(0, endAt - startedAt),
      sendsAttempted: c.sendsAttempted,
      sendsFailed: c.sendsFailed,
      usersAffected,
      userShare: active > 0 ? Math.min(1, tracker.affected.size / active) : 0,
      sendFailureShare: c.sendsAttempted > 0 ? c.sendsFailed / c.sendsAttempted : 0,
      probesRun: c.probesRun,
      probesFailed: c.probesFailed,
      loginsAttempted: c.loginsAttempted,
      loginsFailed: c.loginsFailed,
    };
  }

  /** Forget the past beyond the lookback (called on every tick). */
  prune(): void {
    const from = this.now() - this.lookbackMs;
    while (this.buckets.length > 0 && (this.buckets[0] as Bucket).second * 1000 < from - 1000) this.buckets.shift();
    for (const [user, at] of this.lastActive) if (at < from) this.lastActive.delete(user);
    for (const [user, failures] of this.lastFailed) {
      for (const [fn, at] of failures) if (at < from) failures.delete(fn);
      if (failures.size === 0) this.lastFailed.delete(user);
    }
  }

  close(): void {
    this.unsubscribe();
    this.trackers.clear();
  }
}

/** Figures of nothing measured yet. */
export function noImpact(): MeasuredImpact {
  return {
    durationMs: 0,
    sendsAttempted: 0,
    sendsFailed: 0,
    usersAffected: 0,
    userShare: 0,
    sendFailureShare: 0,
    probesRun: 0,
    probesFailed: 0,
    loginsAttempted: 0,
    loginsFailed: 0,
  };
}
