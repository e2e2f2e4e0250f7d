/** @module The node's monitoring, assembled: traffic SLIs, probes, SLO burn-rate alerts and their metrics. */
import type { Config } from "../../config/config.js";
import type { Metrics } from "../metrics.js";
import type { SliRecorder } from "../sli-recorder.js";
import type { CanaryCredentials } from "./canary-accounts.js";
import { ProbeRunner } from "./probe-runner.js";
import { exportSliEvents, sloGauges } from "./sli-metrics.js";
import { slosFromConfig } from "./slo-definitions.js";
import { type AlertSink, SloMonitor } from "./slo-monitor.js";
import { TrafficSli } from "./traffic-sli.js";

/** The configuration keys monitoring reads. */
export type MonitoringConfig = Pick<
  Config,
  | "data"
  | "probeIntervalMs"
  | "probeTimeoutMs"
  | "probeUsernamePrefix"
  | "probePassword"
  | "sloSendTarget"
  | "sloDeliveryTarget"
  | "sloDeliveryThresholdMs"
  | "sloLoginTarget"
  | "sloHistoryTarget"
  | "sloUploadTarget"
  | "sloDownloadTarget"
  | "sloWindowScale"
  | "sloEvalMs"
  | "sloMinEvents"
  | "sloRecoveryWindowMs"
>;

/** One node's monitoring. */
export interface Monitoring {
  /** Where the gateway and the HTTP API report request outcomes. */
  readonly traffic: TrafficSli;
  /** Burn rates, budgets and alert state of every SLO. */
  readonly slos: SloMonitor;
  /** The probes; undefined when `probeIntervalMs` is 0. */
  readonly probes: ProbeRunner | undefined;
  /** Send burn-rate alerts here (the tower's `ingestAlert`); alerts already firing are sent at once. */
  setAlertSink(sink: AlertSink): void;
  /** Start the SLO tick and, once the node listens at `baseUrl`, the probes. */
  start(baseUrl: string): void;
  /** Stop probes (first: they must not measure the shutdown) and the tick. */
  stop(): Promise<void>;
}

/**
 * Build monitoring over `sli`: SLI events are exported as metrics and fed to the SLO monitor;
 * the probes record into the same recorder. Until a sink is attached, burn-rate alerts are
 * written to the log, so a node without a tower still says when its budget burns.
 */
export function createMonitoring(
  config: MonitoringConfig,
  sli: SliRecorder,
  metrics: Metrics,
  /** Makes the canaries in the chat store (`ensureCanaryAccounts`), before the probes log in as them. */
  prepareCanaries: (credentials: CanaryCredentials) => Promise<void>,
): Monitoring {
  const traffic = new TrafficSli(sli);
  const slos = new SloMonitor({
    slos: slosFromConfig(config),
    windowScale: config.sloWindowScale,
    minEvents: config.sloMinEvents,
    recoveryWindowMs: config.sloRecoveryWindowMs,
    gauges: sloGauges(metrics),
    sink: (alert) => console.warn(`haetae: ${alert.action} ${alert.dedupKey}: ${alert.summary}`),
  });
  const unsubscribe = [exportSliEvents(sli, metrics), slos.attach(sli)];
  let probes: ProbeRunner | undefined;
  return {
    traffic,
    slos,
    get probes() {
      return probes;
    },
    setAlertSink: (sink) => slos.setSink(sink),
    start(baseUrl) {
      slos.start(config.sloEvalMs);
      if (config.probeIntervalMs === 0) return;
      probes = new ProbeRunner({
        baseUrl,
        dataDir: config.data,
        intervalMs: config.probeIntervalMs,
        timeoutMs: config.probeTimeoutMs,
        usernamePrefix: config.probeUsernamePrefix,
        password: config.probePassword,
        sli,
        prepareAccounts: prepareCanaries,
        onCanary: (username, userId) => traffic.exclude(username, userId),
      });
      probes.start();
    },
    async stop() {
      await probes?.stop();
      slos.stop();
      for (const stop of unsubscribe) stop();
    },
  };
}
