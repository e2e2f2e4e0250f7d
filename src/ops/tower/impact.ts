/** @module Measured impact of open incidents: counts SLI events (real traffic and probes) while an incident is open, and times the impact from its first failure to its last. */
import type { Sli, SliEvent, SliRecorder } from "../sli-recorder.js";
import type { ComponentFunction, MeasuredImpact } from "./model.js";

/** Which function of the product an indicator measures; an incident counts the events of its components' functions. */
export const SLI_FUNCTION: Record<Sli, ComponentFunction> = {
  send: "messaging",
  delivery: "messaging",
  history: "messaging",
  login: "login",
  upload: "files",
  download: "files",
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

/** When failures of some functions began and last happened (ms); undefined until one fails. */
interface FailureSpan {
  firstFailedAt?: number;
  lastFailedAt?: number;
}

function widen(span: FailureSpan, first: number, last: number): void {
  if (span.firstFailedAt === undefined || first < span.firstFailedAt) span.firstFailedAt = first;
  if (span.lastFailedAt === undefined || last > span.lastFailedAt) span.lastFailedAt = last;
}

/** One open incident's tally. */
interface Tracker extends FailureSpan {
  functions: ReadonlySet<ComponentFunction> | null;
  counts: Counts;
  affected: Set<string>;
  active: Set<string>;
  /** Users counted before a restart (their ids were not kept), added to the distinct ones since. */
  baseUsersAffected: number;
}

/** One function's events of one second. */
interface Slot extends FailureSpan {
  counts: Counts;
}

/** A one-second bucket of the recent past, per function, for the lookback at opening. */
interface Bucket {
  second: number;
  byFunction: Map<ComponentFunction, Slot>;
}

const tracks = (functions: ReadonlySet<ComponentFunction> | null, fn: ComponentFunction) =>
  !functions || functions.has(fn);

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
    let slot = bucket.byFunction.get(fn);
    if (!slot) {
      slot = { counts: zero() };
      bucket.byFunction.set(fn, slot);
    }
    count(slot.counts, event);
    if (!event.ok) widen(slot, event.at, event.at);
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
      if (!tracks(tracker.functions, fn)) continue;
      count(tracker.counts, event);
      if (!event.ok) widen(tracker, event.at, event.at);
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
      const { impactStartedAt, impactEndedAt } = resumeFrom;
      if (impactStartedAt && impactEndedAt) widen(tracker, Date.parse(impactStartedAt), Date.parse(impactEndedAt));
    } else {
      for (const [user, at] of this.lastActive) if (at >= this.now() - this.lookbackMs) tracker.active.add(user);
      this.seed(tracker, (fn) => tracks(functions, fn));
    }
    this.trackers.set(id, tracker);
  }

  /**
   * Count an incident's events for other functions from now on (its components changed). With
   * `seed`, functions it did not count before are seeded from the lookback, as at opening: an
   * alert that joins an incident fired after its own failures, which are this incident's impact.
   */
  retarget(id: string, functions: ReadonlySet<ComponentFunction> | null, seed = false): void {
    const tracker = this.trackers.get(id);
    if (!tracker) return;
    const before = tracker.functions;
    tracker.functions = functions;
    if (seed) this.seed(tracker, (fn) => tracks(functions, fn) && !tracks(before, fn));
  }

  /** Add the lookback's counts, failure times and affected users of the functions `take` picks. */
  private seed(tracker: Tracker, take: (fn: ComponentFunction) => boolean): void {
    const from = this.now() - this.lookbackMs;
    for (const bucket of this.buckets) {
      if (bucket.second * 1000 < from) continue;
      for (const [fn, slot] of bucket.byFunction) {
        if (!take(fn)) continue;
        add(tracker.counts, slot.counts);
        if (slot.firstFailedAt !== undefined && slot.lastFailedAt !== undefined) {
          widen(tracker, slot.firstFailedAt, slot.lastFailedAt);
        }
      }
    }
    for (const [user, failures] of this.lastFailed) {
      for (const [fn, at] of failures) if (at >= from && take(fn)) tracker.affected.add(user);
    }
  }

  untrack(id: string): void {
    this.trackers.delete(id);
  }

  isTracking(id: string): boolean {
    return this.trackers.has(id);
  }

  /**
   * The figures of an incident open since `startedAt` (ms), measured up to `endAt` (ms). The
   * duration is the measured impact, first failure to last, when its functions failed at all:
   * not the time the incident stayed open, which the alert's windows stretch past the fault's
   * end (MTTR from it would be wrong). With no failure measured (an outside alert about something
   * no indicator sees) it is the time open.
   */
  measure(id: string, startedAt: number, endAt: number): MeasuredImpact | null {
    const tracker = this.trackers.get(id);
    if (!tracker) return null;
    const c = tracker.counts;
    const usersAffected = tracker.baseUsersAffected + tracker.affected.size;
    const active = Math.max(tracker.active.size, tracker.affected.size);
    const { firstFailedAt: first, lastFailedAt: last } = tracker;
    const span: Partial<MeasuredImpact> =
      first !== undefined && last !== undefined
        ? { impactStartedAt: new Date(first).toISOString(), impactEndedAt: new Date(last).toISOString() }
        : {};
    return {
      durationMs: first !== undefined && last !== undefined ? last - first : Math.max(0, endAt - startedAt),
      sendsAttempted: c.sendsAttempted,
      sendsFailed: c.sendsFailed,
      usersAffected,
      userShare: active > 0 ? Math.min(1, tracker.affected.size / active) : 0,
      sendFailureShare: c.sendsAttempted > 0 ? c.sendsFailed / c.sendsAttempted : 0,
      probesRun: c.probesRun,
      probesFailed: c.probesFailed,
      loginsAttempted: c.loginsAttempted,
      loginsFailed: c.loginsFailed,
      ...span,
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
