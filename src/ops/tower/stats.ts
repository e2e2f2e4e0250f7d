/** @module MTTA and MTTR per severity and per month, as figures and as Prometheus gauges. */
import { Gauge, type Registry } from "prom-client";
import type { MeanTimes, TowerStats } from "../../protocol/index.js";
import { byCodeUnits } from "../text-order.js";
import { type Incident, SEVERITIES, type Severity } from "./model.js";

/** Mean times and the figures of `GET /api/v1/ops/stats`: the protocol's shapes. */
export type { MeanTimes, TowerStats };

function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
}

/** Mean times of these incidents. */
export function meanTimes(incidents: readonly Incident[]): MeanTimes {
  const since = (i: Incident, at: string) => (Date.parse(at) - Date.parse(i.createdAt)) / 1000;
  const acked = incidents.filter((i) => i.acknowledgedAt);
  const resolved = incidents.filter((i) => i.resolvedAt);
  return {
    incidents: incidents.length,
    acknowledged: acked.length,
    mttaSeconds: mean(acked.map((i) => since(i, i.acknowledgedAt as string))),
    resolved: resolved.length,
    mttrSeconds: mean(resolved.map((i) => since(i, i.resolvedAt as string))),
  };
}

function bySeverity(incidents: readonly Incident[]): Record<Severity, MeanTimes> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, meanTimes(incidents.filter((i) => i.severity === s))])) as Record<
    Severity,
    MeanTimes
  >;
}

/** MTTA and MTTR overall, per severity, and per month (the last `months` months that had incidents). */
export function towerStats(incidents: readonly Incident[], months = 12): TowerStats {
  const groups = new Map<string, Incident[]>();
  for (const i of incidents) {
    const month = i.createdAt.slice(0, 7);
    groups.set(month, [...(groups.get(month) ?? []), i]);
  }
  const byMonth = [...groups.entries()]
    .sort(([a], [b]) => byCodeUnits(b, a))
    .slice(0, months)
    .map(([month, list]) => ({ month, ...meanTimes(list), bySeverity: bySeverity(list) }));
  return { overall: meanTimes(incidents), bySeverity: bySeverity(incidents), byMonth };
}

/**
 * Register the tower's gauges on the node's registry; each is computed from the incidents when
 * Prometheus scrapes, so there is nothing to keep in step. Month labels cover the last 12
 * months only, to keep the series bounded.
 */
export function registerTowerMetrics(registry: Registry, incidents: () => readonly Incident[]): void {
  const perMonth = (name: string, help: string, pick: (m: MeanTimes) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ["severity", "month"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const month of towerStats(incidents()).byMonth) {
          for (const severity of SEVERITIES) {
            const value = pick(month.bySeverity[severity]);
            if (value !== null) this.set({ severity, month: month.month }, value);
          }
        }
      },
    });
  perMonth(
    "haetae_incident_mtta_seconds",
    "Mean time to acknowledge incidents, by severity and month opened.",
    (m) => m.mttaSeconds,
  );
  perMonth(
    "haetae_incident_mttr_seconds",
    "Mean time to resolve incidents, by severity and month opened.",
    (m) => m.mttrSeconds,
  );
  new Gauge({
    name: "haetae_incidents_open",
    help: "Unresolved incidents, by severity.",
    labelNames: ["severity"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const severity of SEVERITIES) {
        this.set({ severity }, incidents().filter((i) => i.status !== "resolved" && i.severity === severity).length);
      }
    },
  });
  new Gauge({
    // Not `_total`: a gauge (an incident moves between severities, and old ones leave the history).
    name: "haetae_incidents",
    help: "Incidents in the loaded history, by the severity in effect.",
    labelNames: ["severity"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const severity of SEVERITIES)
        this.set({ severity }, incidents().filter((i) => i.severity === severity).length);
    },
  });
}
