/**
 * @module `haetae tower`'s public API probes: the nodes' canary probes (login, send, delivery,
 * history), run from the tower's process against each watched node as a user would reach it.
 * Their SLI events go into the tower's recorder, and the SLO burn-rate monitor over that recorder
 * sends its alerts to the tower, so a node whose chat path fails from outside opens an incident
 * through the normal path. The canaries are the nodes' own (same `probeUsernamePrefix` and
 * `probePassword`): the tower never makes accounts; if they do not exist, the probes fail.
 */
import type { MonitoringConfig } from "../monitoring/monitoring.js";
import { ProbeRunner } from "../monitoring/probe-runner.js";
import { slosFromConfig } from "../monitoring/slo-definitions.js";
import { SloMonitor } from "../monitoring/slo-monitor.js";
import type { SliRecorder } from "../sli-recorder.js";
import type { Tower } from "../tower/tower.js";

/** The same settings a node's own probes and SLOs read. */
export type OutsideProbeSettings = MonitoringConfig;

/** Why the tower runs no probes, or undefined when it does. */
export function outsideProbesOff(settings: OutsideProbeSettings): string | undefined {
  if (settings.probeIntervalMs === 0) return "probeIntervalMs is 0";
  if (settings.probeUsernamePrefix === "" || settings.probePassword === "") {
    return "set probeUsernamePrefix and probePassword to the nodes' to log in as their canaries";
  }
  return undefined;
}

export class OutsideProbes {
  private readonly runners: ProbeRunner[];
  private readonly slos: SloMonitor;
  private readonly unsubscribe: () => void;

  constructor(tower: Tower, sli: SliRecorder, urls: readonly string[], settings: OutsideProbeSettings) {
    this.slos = new SloMonitor({
      slos: slosFromConfig(settings),
      windowScale: settings.sloWindowScale,
      minEvents: settings.sloMinEvents,
      recoveryWindowMs: settings.sloRecoveryWindowMs,
      sink: (alert) => tower.ingestAlert(alert),
    });
    this.unsubscribe = this.slos.attach(sli);
    this.slos.start(settings.sloEvalMs);
    this.runners = urls.map(
      (url) =>
        new ProbeRunner({
          baseUrl: url.replace(/\/+$/, ""),
          dataDir: settings.data,
          intervalMs: settings.probeIntervalMs,
          timeoutMs: settings.probeTimeoutMs,
          usernamePrefix: settings.probeUsernamePrefix,
          password: settings.probePassword,
          sli,
          // The nodes make the canaries in their store; the tower only logs in as them.
          prepareAccounts: async () => {},
        }),
    );
    for (const runner of this.runners) runner.start();
  }

  /** Stop the probes (first: they must not measure the shutdown), then the SLO tick. */
  async close(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    this.slos.stop();
    this.unsubscribe();
  }
}
