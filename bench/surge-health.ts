/** @module The health checks of `bench:surge`: /healthz and /readyz asked four times a second during the run, each a miss when not answered 200 within 1 s. */

/** What one endpoint's checks found. */
export interface HealthFigures {
  asked: number;
  /** Not answered 200 within the deadline (late, refused, or 503). */
  missed: number;
  slowestMs: number;
}

/** Every check of a run, by endpoint. */
export type HealthReport = Record<"healthz" | "readyz", HealthFigures>;

const EVERY_MS = 250;
const DEADLINE_MS = 1000;

/** Ask `/healthz` and `/readyz` of the server at `port` until stopped; each check is timed from outside. */
export function watchHealth(port: number): { stop(): Promise<HealthReport> } {
  const report: HealthReport = {
    healthz: { asked: 0, missed: 0, slowestMs: 0 },
    readyz: { asked: 0, missed: 0, slowestMs: 0 },
  };
  let stopped = false;
  const check = async (path: keyof HealthReport) => {
    const figures = report[path];
    const started = performance.now();
    let ok = false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/${path}`, { signal: AbortSignal.timeout(DEADLINE_MS) });
      await res.arrayBuffer();
      ok = res.status === 200;
    } catch {
      // Late or refused: a miss.
    }
    const ms = performance.now() - started;
    figures.asked += 1;
    figures.slowestMs = Math.max(figures.slowestMs, ms);
    if (!ok || ms > DEADLINE_MS) figures.missed += 1;
  };
  const loop = async () => {
    while (!stopped) {
      const began = performance.now();
      await Promise.all([check("healthz"), check("readyz")]);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, EVERY_MS - (performance.now() - began))));
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      await running;
      return report;
    },
  };
}

/** One line: asked, missed and the slowest answer of each endpoint. */
export function describeHealth(report: HealthReport): string {
  const one = (name: string, f: HealthFigures) =>
    `${name} ${f.missed} missed of ${f.asked} (slowest ${f.slowestMs.toFixed(0)} ms)`;
  return `${one("/healthz", report.healthz)}, ${one("/readyz", report.readyz)}`;
}
