/**
 * @module `haetae tower`'s eyes: nodes watched from outside, as a user's network sees them. Each
 * node's `/readyz` is asked and its `/metrics` scraped every `watchIntervalMs`; a node that fails
 * `watchFailures` checks in a row, or reports degradation level 3 or more (history deferred, new
 * connections refused), opens an incident through `ingestAlert` (one alert per node and kind); its
 * first good check resolves it.
 */
import type { Config } from "../../config/config.js";
import type { Tower } from "../tower/tower.js";

export type OutsideWatchSettings = Pick<
  Config,
  "watchIntervalMs" | "watchFailures" | "probeTimeoutMs" | "towerComponents"
>;

/** Degradation levels from this one up are an outage users feel (src/guard/load-levels.ts). */
const DEGRADED_LEVEL = 3;

/** What one check of a node found. */
export interface NodeCheck {
  ready: boolean;
  /** Why it is not ready (an HTTP status, a refused connection, a timeout). */
  why: string;
  /** `haetae_degradation_level` from `/metrics`, when it could be read. */
  degradationLevel?: number;
}

/** A gauge's value in Prometheus text (the sample without labels), or undefined. */
export function gaugeValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([-+0-9.eE]+|NaN)\\s*$`, "m").exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

/** Check one node from outside: `/readyz`, then `/metrics`. */
export async function checkNode(base: string, timeoutMs: number): Promise<NodeCheck> {
  let ready = false;
  let why = "";
  try {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    ready = response.ok;
    why = response.ok ? "" : `/readyz answered ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    why = `/readyz did not answer (${cause ?? (error as Error).name})`;
  }
  if (!ready) return { ready, why };
  try {
    const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { ready, why };
    const level = gaugeValue(await response.text(), "haetae_degradation_level");
    return level === undefined ? { ready, why } : { ready, why, degradationLevel: level };
  } catch {
    return { ready, why };
  }
}

interface Watched {
  base: string;
  failures: number;
  down: boolean;
  degraded: boolean;
  checking: boolean;
}

export class OutsideWatch {
  private readonly nodes: Watched[];
  private readonly timer: NodeJS.Timeout;
  private readonly components: string[];

  constructor(
    private readonly tower: Tower,
    urls: readonly string[],
    private readonly settings: OutsideWatchSettings,
    private readonly log: (line: string) => void = (line) => console.log(`haetae tower: ${line}`),
  ) {
    // What a previous run left firing is resolved by this run's first good check.
    const firing = new Set(
      tower
        .listAlerts({ source: "watcher" })
        .filter((a) => a.state !== "resolved")
        .map((a) => a.dedupKey),
    );
    this.nodes = urls.map((url) => {
      const base = url.replace(/\/+$/, "");
      return {
        base,
        failures: 0,
        down: firing.has(`tower:down:${base}`),
        degraded: firing.has(`tower:degraded:${base}`),
        checking: false,
      };
    });
    this.components = settings.towerComponents.map((c) => c.id);
    this.timer = setInterval(() => this.checkAll(), settings.watchIntervalMs);
    this.timer.unref();
    this.checkAll();
  }

  private checkAll(): void {
    for (const node of this.nodes) void this.check(node);
  }

  private async check(node: Watched): Promise<void> {
    if (node.checking) return;
    node.checking = true;
    try {
      const result = await checkNode(
        node.base,
        Math.min(this.settings.probeTimeoutMs, this.settings.watchIntervalMs * 2),
      );
      this.take(node, result);
    } finally {
      node.checking = false;
    }
  }

  private alert(node: Watched, kind: "down" | "degraded", action: "trigger" | "resolve", summary: string): void {
    this.tower.ingestAlert({
      source: "watcher",
      dedupKey: `tower:${kind}:${node.base}`,
      name: kind === "down" ? "NodeUnreachable" : "NodeDegraded",
      summary,
      action,
      urgency: "page",
      labels: { node: node.base },
      components: this.components,
    });
  }

  private take(node: Watched, result: NodeCheck): void {
    if (!result.ready) {
      node.failures += 1;
      if (!node.down && node.failures >= this.settings.watchFailures) {
        node.down = true;
        this.log(`${node.base} is down: ${result.why}`);
        this.alert(node, "down", "trigger", `The chat node ${node.base} is not reachable: ${result.why}`);
      }
      return;
    }
    node.failures = 0;
    if (node.down) {
      node.down = false;
      this.log(`${node.base} answers again`);
      this.tower.noteOnAlert(`tower:down:${node.base}`, `First good probe: ${node.base}/readyz answered`, {
        event: "ready",
      });
      this.alert(node, "down", "resolve", "");
    }
    const level = result.degradationLevel;
    if (level === undefined) return;
    if (!node.degraded && level >= DEGRADED_LEVEL) {
      node.degraded = true;
      this.alert(
        node,
        "degraded",
        "trigger",
        `The chat node ${node.base} is shedding load (degradation level ${level})`,
      );
    } else if (node.degraded && level < DEGRADED_LEVEL) {
      node.degraded = false;
      this.alert(node, "degraded", "resolve", "");
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
