/** @module Evaluates every SLO's error-budget burn on a tick and raises and resolves the tower's burn-rate alerts. */

import type { SloStatus } from "../../protocol/index.js";
import type { SliEvent, SliRecorder } from "../sli-recorder.js";
import type { AlertInput } from "../tower/model.js";
import {
  BUDGET_WINDOW,
  type BurnRule,
  burningNow,
  burnRate,
  evaluateRules,
  lowestRate,
  recovered,
  type Urgency,
  WINDOW_NAMES,
  WINDOWS,
  type WindowName,
} from "./burn-rate.js";
import { isGood, type SloDefinition } from "./slo-definitions.js";
import { WindowedCounter } from "./windowed-counter.js";

/** Where alerts go: the tower's `ingestAlert`, or anything with its shape. Must not throw (it is caught and logged). */
export type AlertSink = (input: AlertInput) => void;

/** Where the monitor publishes its figures (the node's Prometheus gauges). */
export interface SloGauges {
  burnRate(slo: string, window: WindowName, value: number): void;
  budgetRemaining(slo: string, value: number): void;
  firing(slo: string, urgency: Urgency, firing: boolean): void;
}

export interface SloMonitorOptions {
  slos: readonly SloDefinition[];
  /** Multiplies every window (1 = the workbook's lengths; tests use a small fraction). */
  windowScale: number;
  /** A rule whose long window holds fewer events does not fire. */
  minEvents: number;
  /**
   * A firing page resolves once this last stretch (ms, not scaled) burns below its rate; 0 leaves
   * only the workbook's reset (both windows of every page rule below their rate).
   */
  recoveryWindowMs?: number;
  /** Time buckets per window (bounded memory; the window is exact to one bucket). */
  buckets?: number;
  /** ms since the epoch; tests pass a controllable clock. */
  now?: () => number;
  gauges?: SloGauges;
  sink?: AlertSink;
}

/** One SLO as it stands now, as `GET /api/v1/ops/slos` answers it (the protocol's shape). */
export type { SloStatus };

interface Tracked {
  slo: SloDefinition;
  counters: Record<WindowName, WindowedCounter>;
  /** The last `recoveryWindowMs`, undefined when recovery is off. */
  recovery: WindowedCounter | undefined;
  firing: Record<Urgency, BurnRule | undefined>;
  /**
   * Resolved by recovery while its rule still held (the long and short windows remember the
   * fault): it fires again only once the recovery window burns again, or it would flap.
   */
  recoveredWhileHeld: Record<Urgency, boolean>;
}

const URGENCIES: readonly Urgency[] = ["page", "ticket"];

/**
 * Keeps each SLO's good and bad events in bucketed windows and, on every `evaluate()` (a tick
 * of `sloEvalMs` once started), applies the burn-rate rules. Alerts are sent on transitions
 * only: one `trigger` when an urgency starts firing (a long AND a short window burn), one
 * `resolve` when it stops, nothing while it keeps firing. A page stops when the recovery window
 * is good again (see `recovered`) or when no rule holds any more; a ticket only by the latter.
 * The dedupKey is `slo:<name>:<page|ticket>`, so a repeat after a restart is folded by the tower.
 */
export class SloMonitor {
  private readonly tracked: Tracked[];
  private readonly bySli = new Map<string, Tracked[]>();
  private readonly now: () => number;
  private readonly windowMs: Record<WindowName, number>;
  private sink: AlertSink | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SloMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.sink = options.sink;
    this.windowMs = Object.fromEntries(
      WINDOW_NAMES.map((name) => [name, Math.max(1, WINDOWS[name] * options.windowScale)]),
    ) as Record<WindowName, number>;
    this.tracked = options.slos.map((slo) => ({
      slo,
      counters: Object.fromEntries(
        WINDOW_NAMES.map((name) => [name, new WindowedCounter(this.windowMs[name], options.buckets ?? 60)]),
      ) as Record<WindowName, WindowedCounter>,
      recovery: options.recoveryWindowMs
        ? new WindowedCounter(options.recoveryWindowMs, options.buckets ?? 60)
        : undefined,
      firing: { page: undefined, ticket: undefined },
      recoveredWhileHeld: { page: false, ticket: false },
    }));
    for (const tracked of this.tracked) {
      const list = this.bySli.get(tracked.slo.sli) ?? [];
      list.push(tracked);
      this.bySli.set(tracked.slo.sli, list);
    }
  }

  /** Count one SLI event (the recorder's listener; on the hot path: a few array writes, no I/O). */
  observe(event: SliEvent): void {
    const list = this.bySli.get(event.sli);
    if (!list) return;
    for (const tracked of list) {
      const good = isGood(tracked.slo, event);
      for (const name of WINDOW_NAMES) tracked.counters[name].add(event.at, good);
      tracked.recovery?.add(event.at, good);
    }
  }

  /** Listen to a recorder; returns the unsubscribe function. */
  attach(recorder: SliRecorder): () => void {
    return recorder.subscribe((event) => this.observe(event));
  }

  /**
   * Send alerts to `sink` from now on. Alerts already firing are sent to it at once, so an
   * alert raised before the sink was attached is not lost.
   */
  setSink(sink: AlertSink | undefined): void {
    this.sink = sink;
    if (!sink) return;
    const at = this.now();
    for (const tracked of this.tracked) {
      for (const urgency of URGENCIES) {
        const rule = tracked.firing[urgency];
        if (rule) this.emit(this.alert(tracked, urgency, "trigger", this.statusOf(tracked, at), rule, at));
      }
    }
  }

  /** Every SLO's burn rates and budget, without raising or resolving anything. */
  status(): SloStatus[] {
    const at = this.now();
    return this.tracked.map((tracked) => this.statusOf(tracked, at));
  }

  /** One tick: compute burn rates, publish the gauges, send alerts for what started or stopped firing. */
  evaluate(): SloStatus[] {
    const at = this.now();
    return this.tracked.map((tracked) => {
      const status = this.statusOf(tracked, at);
      const eventsPerWindow = Object.fromEntries(
        WINDOW_NAMES.map((name) => [name, status.events[name].good + status.events[name].bad]),
      ) as Record<WindowName, number>;
      const verdict = evaluateRules(status.burnRates, eventsPerWindow, this.options.minEvents);
      for (const urgency of URGENCIES) {
        const was = tracked.firing[urgency];
        const rule = verdict[urgency].rule;
        // Only a page recovers early: a ticket is about the budget over days, and its reset
        // is the workbook's (its 6 h window below 1×). Recovery is judged against the page's
        // lowest rate and firing again against the rule's own: the gap between them keeps a
        // borderline burn from paging and resolving on every tick.
        const recent = urgency === "page" ? tracked.recovery?.totals(at) : undefined;
        if (was) {
          const back = recent !== undefined && recovered(recent, tracked.slo.target, lowestRate(urgency));
          if (!rule || back) {
            tracked.firing[urgency] = undefined;
            tracked.recoveredWhileHeld[urgency] = rule !== undefined;
            this.emit(this.alert(tracked, urgency, "resolve", status, was, at));
          } else {
            tracked.firing[urgency] = rule; // the other rule of the same urgency may hold now
          }
        } else if (rule) {
          const quietAfterRecovery =
            tracked.recoveredWhileHeld[urgency] &&
            !(recent !== undefined && burningNow(recent, tracked.slo.target, rule.burnRate));
          if (!quietAfterRecovery) {
            tracked.firing[urgency] = rule;
            tracked.recoveredWhileHeld[urgency] = false;
            this.emit(this.alert(tracked, urgency, "trigger", status, rule, at));
          }
        } else {
          tracked.recoveredWhileHeld[urgency] = false; // no rule holds: the windows forgot the fault
        }
        status.firing[urgency] = tracked.firing[urgency] !== undefined;
      }
      const gauges = this.options.gauges;
      if (gauges) {
        for (const name of WINDOW_NAMES) gauges.burnRate(tracked.slo.name, name, status.burnRates[name]);
        gauges.budgetRemaining(tracked.slo.name, status.budgetRemaining);
        for (const urgency of URGENCIES) gauges.firing(tracked.slo.name, urgency, status.firing[urgency]);
      }
      return status;
    });
  }

  /** Evaluate every `evalMs` until `stop()`. */
  start(evalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.evaluate();
      } catch (error) {
        console.error("haetae: SLO evaluation failed", error);
      }
    }, evalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private statusOf(tracked: Tracked, at: number): SloStatus {
    const { slo } = tracked;
    const events = {} as Record<WindowName, { good: number; bad: number }>;
    const burnRates = {} as Record<WindowName, number>;
    for (const name of WINDOW_NAMES) {
      const counts = tracked.counters[name].totals(at);
      events[name] = counts;
      burnRates[name] = burnRate(counts, slo.target);
    }
    const status: SloStatus = {
      name: slo.name,
      sli: slo.sli,
      target: slo.target,
      component: slo.component,
      description: slo.description,
      burnRates,
      events,
      budgetRemaining: 1 - burnRates[BUDGET_WINDOW],
      firing: { page: tracked.firing.page !== undefined, ticket: tracked.firing.ticket !== undefined },
      windowMs: { ...this.windowMs },
    };
    if (slo.thresholdMs !== undefined) status.thresholdMs = slo.thresholdMs;
    return status;
  }

  private alert(
    tracked: Tracked,
    urgency: Urgency,
    action: "trigger" | "resolve",
    status: SloStatus,
    rule: BurnRule,
    at: number,
  ): AlertInput {
    const { slo } = tracked;
    const long = status.burnRates[rule.long];
    const short = status.burnRates[rule.short];
    const rates = `${long.toFixed(1)}× over ${rule.long} and ${short.toFixed(1)}× over ${rule.short}`;
    // Staff text only (the alert, the incident's staff title and timeline); the public never
    // reads it. A budget spent past zero reads as used, not as "-8990.9% left".
    const left = status.budgetRemaining;
    const budget =
      left >= 0
        ? `${(left * 100).toFixed(1)}% of the ${BUDGET_WINDOW} error budget left`
        : `the ${BUDGET_WINDOW} error budget is spent (${((1 - left) * 100).toFixed(1)}% used)`;
    const summary =
      action === "trigger"
        ? `SLO ${slo.name} (${slo.description}) is burning its error budget at ${rates} ` +
          `(${urgency} at ${rule.burnRate}×); ${budget}.`
        : `SLO ${slo.name} is back under its ${urgency} burn rate (${rates}); ${budget}.`;
    return {
      source: "slo",
      dedupKey: `slo:${slo.name}:${urgency}`,
      name: `SLO ${slo.name} error budget burn (${urgency})`,
      summary,
      action,
      urgency,
      labels: {
        slo: slo.name,
        severity: urgency,
        component: slo.component,
        long_window: rule.long,
        short_window: rule.short,
        threshold: String(rule.burnRate),
        burn_rate_long: long.toFixed(2),
        burn_rate_short: short.toFixed(2),
      },
      components: [slo.component],
      at: new Date(at).toISOString(),
    };
  }

  private emit(input: AlertInput): void {
    if (!this.sink) return;
    try {
      this.sink(input);
    } catch (error) {
      console.error(`haetae: the alert sink failed on ${input.dedupKey}`, error);
    }
  }
}
