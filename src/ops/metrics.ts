/** @module Prometheus metrics of one node, served at GET /metrics. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Default Node.js gauges dropped for their `_total` names; their per-type siblings stay. */
const UNSUMMED_TOTALS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** The metrics this node exports; one registry per app so tests can run several apps in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: "haetae_ws_connections",
    help: "Open WebSocket sessions.",
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: "haetae_ws_requests_total",
    help: "WebSocket requests by type and outcome (ok or the error code).",
    labelNames: ["type", "outcome"] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: "haetae_ws_request_seconds",
    help: "Time to answer a WebSocket request, by type.",
    labelNames: ["type"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** Labelled children of the two per-request metrics, kept: labels passed as an object are hashed on every call. */
  private readonly requestCounters = new Map<string, Map<string, Counter.Internal>>();
  private readonly requestTimers = new Map<string, Histogram.Internal<"type">>();

  /** Count one WebSocket request by type and outcome. */
  countRequest(type: string, outcome: string): void {
    let byOutcome = this.requestCounters.get(type);
    if (!byOutcome) {
      byOutcome = new Map();
      this.requestCounters.set(type, byOutcome);
    }
    let counter = byOutcome.get(outcome);
    if (!counter) {
      counter = this.requests.labels(type, outcome);
      byOutcome.set(outcome, counter);
    }
    counter.inc();
  }

  /** Time one WebSocket request by type. */
  timeRequest(type: string, seconds: number): void {
    let timer = this.requestTimers.get(type);
    if (!timer) {
      timer = this.requestSeconds.labels(type);
      this.requestTimers.set(type, timer);
    }
    timer.observe(seconds);
  }

  readonly messagesStored = new Counter({
    name: "haetae_messages_stored_total",
    help: "Messages committed to the store.",
    registers: [this.registry],
  });
  readonly framesShed = new Counter({
    name: "haetae_frames_shed_total",
    help: "Outgoing frames dropped because a client read too slowly, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: "haetae_http_requests_total",
    help: "HTTP requests by route and status.",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });

  readonly degradationLevel = new Gauge({
    name: "haetae_degradation_level",
    help: "Current degradation level: 0 normal, 1 no pushes or typing/presence fan-out, 2 coalesced receipts, 3 history deferred, 4 new connections refused.",
    registers: [this.registry],
  });
  readonly degradationChanges = new Counter({
    name: "haetae_degradation_changes_total",
    help: "Changes of the degradation level, by the level entered.",
    labelNames: ["level"] as const,
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: "haetae_pushes_total",
    help: "Web Push notifications by outcome: sent, gone (404/410, subscription removed), failed (for good), retried (a transient failure, tried again), resumed (a kept retry taken up at a start), skipped (muted, quiet hours), shed (load), dropped (queue full), unheld (a push skipped for an attended device forgotten early: pushHoldLimit held).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly readPauses = new Counter({
    name: "haetae_connection_read_pauses_total",
    help: "Times a connection was not read until the store's write queue drained (a send refused as overloaded).",
    registers: [this.registry],
  });
  readonly sendWait = new Histogram({
    name: "haetae_send_wait_seconds",
    help: "Time an admitted send waited in the node: from its frame's arrival to its write committed (or failed).",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  /** What the send admission measured, read when /metrics is scraped (set by the gateway). */
  sendAdmissionState:
    | (() => { inFlight: number; drainPerSecond?: number; predictedWaitMs: number; bookedSends: number })
    | undefined;
  readonly sendAdmission = new Gauge({
    name: "haetae_send_admission",
    help: "Send admission by time: sends in flight (in_flight), their measured drain rate per second (drain_per_second), the wait predicted for a send admitted now in ms (predicted_wait_ms), sends refused connections will bring back in retry slots still to come (booked_sends).",
    labelNames: ["measure"] as const,
    registers: [this.registry],
    collect: () => {
      const state = this.sendAdmissionState?.();
      if (!state) return;
      this.sendAdmission.set({ measure: "in_flight" }, state.inFlight);
      this.sendAdmission.set({ measure: "drain_per_second" }, state.drainPerSecond ?? 0);
      const wait = state.predictedWaitMs;
      this.sendAdmission.set({ measure: "predicted_wait_ms" }, Number.isFinite(wait) ? wait : -1);
      this.sendAdmission.set({ measure: "booked_sends" }, state.bookedSends);
    },
  });
  readonly refusedConnections = new Counter({
    name: "haetae_refused_connections_total",
    help: "WebSocket upgrades refused with retry-after, by reason.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  /** Run before every scrape: hot paths that count in plain numbers hand their counts over here. */
  private readonly beforeScrape = new Set<() => void>();
  readonly sliEvents = new Counter({
    name: "haetae_sli_events_total",
    help: "SLI events (send, delivery, login, history) from probes and real traffic, by outcome (ok or failed).",
    labelNames: ["sli", "source", "outcome"] as const,
    registers: [this.registry],
    collect: () => {
      for (const flush of this.beforeScrape) flush();
    },
  });
  readonly probeLatency = new Histogram({
    name: "haetae_probe_latency_seconds",
    help: "Latency of successful probes: login, send (to the ack), delivery (send to the recipient's event), history.",
    labelNames: ["probe"] as const,
    // 1 s is a bucket bound: the delivery SLO counts deliveries under 1 s from it.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly sloBurnRate = new Gauge({
    name: "haetae_slo_burn_rate",
    help: "Error-budget burn rate of each SLO over each alert window (1 spends exactly the budget).",
    labelNames: ["slo", "window"] as const,
    registers: [this.registry],
  });
  readonly sloBudgetRemaining = new Gauge({
    name: "haetae_slo_error_budget_remaining",
    help: "Share of each SLO's error budget left over the 3-day window (below 0: overspent).",
    labelNames: ["slo"] as const,
    registers: [this.registry],
  });
  readonly sloAlertFiring = new Gauge({
    name: "haetae_slo_alert_firing",
    help: "1 while an SLO's page or ticket burn-rate alert fires.",
    labelNames: ["slo", "urgency"] as const,
    registers: [this.registry],
  });

  /** Call `flush` before each scrape of `haetae_sli_events_total`; returns the function that stops it. */
  onScrape(flush: () => void): () => void {
    this.beforeScrape.add(flush);
    return () => this.beforeScrape.delete(flush);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "haetae_" });
    // prom-client names three gauges `*_total`, which `promtool check metrics` refuses (the suffix
    // promises a counter, and rate() over a gauge is nonsense). Each is the sum of the same
    // metric without the suffix, which keeps its `type` label: sum(haetae_nodejs_active_handles).
    for (const name of UNSUMMED_TOTALS) this.registry.removeSingleMetric(`haetae_${name}`);
  }
}
