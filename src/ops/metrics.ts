/** @module Prometheus metrics of one node, served at GET /metrics. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

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
    help: "Current degradation level: 0 normal, 1 no typing/presence fan-out, 2 coalesced receipts, 3 history deferred, 4 new connections refused.",
    registers: [this.registry],
  });
  readonly degradationChanges = new Counter({
    name: "haetae_degradation_changes_total",
    help: "Changes of the degradation level, by the level entered.",
    labelNames: ["level"] as const,
    registers: [this.registry],
  });
  readonly refusedConnections = new Counter({
    name: "haetae_refused_connections_total",
    help: "WebSocket upgrades refused with retry-after, by reason.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "haetae_" });
  }
}
