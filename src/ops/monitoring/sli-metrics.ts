/** @module Exports SLI events and SLO figures as Prometheus series, the ones deploy/prometheus/haetae-rules.yml is written over. */
import type { Metrics } from "../metrics.js";
import { SLIS, type SliEvent, type SliRecorder } from "../sli-recorder.js";
import type { SloGauges } from "./slo-monitor.js";

const SOURCES = ["traffic", "probe"] as const;
const OUTCOMES = ["ok", "failed"] as const;

/**
 * Count every SLI event in `haetae_sli_events_total{sli,source,outcome}` (`outcome` is `ok` or
 * `failed`, the event's own verdict; a latency objective reads its good events from the
 * histogram) and time every successful probe in `haetae_probe_latency_seconds{probe}`.
 * This runs on every send: events are counted in a plain array (one increment) and handed to
 * prom-client only when /metrics is scraped, since prom-client hashes the label set on every
 * increment — ten times the cost of the rest of recording.
 */
export function exportSliEvents(recorder: SliRecorder, metrics: Metrics): () => void {
  const base = new Map(SLIS.map((sli, i) => [sli, i * 4]));
  const labels = SLIS.flatMap((sli) =>
    SOURCES.flatMap((source) => OUTCOMES.map((outcome) => ({ sli, source, outcome }))),
  );
  const pending = new Float64Array(labels.length);
  // Every series exists from the start at 0: a failure ratio over a series that does not exist
  // yet is no ratio at all in PromQL, and an outage from the first minute would never alert.
  for (const set of labels) metrics.sliEvents.inc(set, 0);
  for (const sli of SLIS) metrics.probeLatency.zero({ probe: sli });
  const flush = () => {
    for (let slot = 0; slot < pending.length; slot++) {
      const n = pending[slot] as number;
      if (n === 0) continue;
      pending[slot] = 0;
      metrics.sliEvents.inc(labels[slot] as (typeof labels)[number], n);
    }
  };
  const stopFlushing = metrics.onScrape(flush);
  const unsubscribe = recorder.subscribe((event: SliEvent) => {
    const slot = (base.get(event.sli) ?? 0) + (event.source === "probe" ? 2 : 0) + (event.ok ? 0 : 1);
    (pending[slot] as number) += 1;
    if (event.source === "probe" && event.ok && event.latencyMs !== undefined) {
      metrics.probeLatency.observe({ probe: event.sli }, event.latencyMs / 1000); // a few per probe run
    }
  });
  return () => {
    unsubscribe();
    flush();
    stopFlushing();
  };
}

/** The SLO monitor's figures as gauges: burn rate per window, budget left, alerts firing. */
export function sloGauges(metrics: Metrics): SloGauges {
  return {
    burnRate: (slo, window, value) => metrics.sloBurnRate.set({ slo, window }, value),
    budgetRemaining: (slo, value) => metrics.sloBudgetRemaining.set({ slo }, value),
    firing: (slo, urgency, firing) => metrics.sloAlertFiring.set({ slo, urgency }, firing ? 1 : 0),
  };
}
