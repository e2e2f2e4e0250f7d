/** @module What `bench:surge` prints: each server's windows and totals, then the servers side by side with ratios. */
import { TARGET_NAMES } from "./bench-server.js";
import type { Target } from "./load-shared.js";
import type { GeneratorFigures, Totals } from "./load-workers.js";
import type { HealthReport } from "./surge-health.js";
import type { ServerWait } from "./surge-server-wait.js";
import type { Percentiles, Recovery, SurgeWindow } from "./surge-windows.js";

/** One server's run of the surge. */
export interface SurgeResult {
  target: Target;
  /** Set for a second run of a target with other server flags. */
  label?: string;
  /** /healthz and /readyz, asked during the run. */
  health?: HealthReport;
  /** Haetae's own measure of its admitted sends' wait, over the whole run. */
  serverWait?: ServerWait;
  windows: SurgeWindow[];
  /** Seconds after the start: end of the baseline, of the surge, of the schedule. */
  phases: { baselineEnd: number; surgeEnd: number; scheduleEnd: number };
  totals: Totals & { offered: number };
  check: string;
  /** Acks over the whole run, and the seconds from the start to the last of them. */
  overRun: { accepted: number; seconds: number };
  /** The messages first sent during the surge, and the throughput over it. */
  surge: {
    acceptedPerSecond: number;
    deliveredPerSecond: number;
    ack: Percentiles;
    attempt: Percentiles;
    deliver: Percentiles;
  };
  recovery: Recovery;
  rssMb: { baseline: number; peak: number; end: number };
  /** Highest degradation level sampled; -1 when none was (a peer). */
  levelMax: number;
  serverCpu: number;
  others: number;
  generators: GeneratorFigures[];
  bound: string[];
  profile: string[];
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const trio = (p: Percentiles) => (p.count === 0 ? "–" : `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)}`);
const seconds = (v: number | undefined) => (v === undefined ? "not within the run" : `${v.toFixed(1)} s`);

function phaseOf(r: SurgeResult, w: SurgeWindow): string {
  if (w.from >= r.phases.scheduleEnd) return "drain";
  if (w.from >= r.phases.surgeEnd) return "after";
  if (w.from >= r.phases.baselineEnd) return "surge";
  return "baseline";
}

/** Print one server's windows and totals. */
export function printRun(r: SurgeResult, windowSeconds: number): void {
  const acked = r.target !== "ws";
  console.log(
    `\n| t s | phase | offered/s | ${acked ? "accepted/s" : "sent/s"} | deliveries/s | send→ack p50 / p99 / max ms | accepted attempt→ack p99 ms | send→deliver p50 / p99 / max ms | refused overloaded / rate_limited (mean retryAfterMs) | waiting in outboxes | level max (last) | RSS MiB | loop lag p99 / max ms | slowest /metrics answer ms | server CPU | others' CPU |`,
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const w of r.windows) {
    const refusals = (w.refused.overloaded ?? 0) + (w.refused.rate_limited ?? 0);
    const cells = [
      `${w.from}–${w.to}`,
      phaseOf(r, w),
      w.offeredPerSecond.toFixed(0),
      w.acceptedPerSecond.toFixed(0),
      w.deliveredPerSecond.toFixed(0),
      acked ? trio(w.ack) : "n/a",
      acked && w.attempt.count > 0 ? ms(w.attempt.p99) : "n/a",
      trio(w.deliver),
      `${w.refused.overloaded ?? 0} / ${w.refused.rate_limited ?? 0}${refusals > 0 ? ` (${w.meanRetryAfterMs.toFixed(0)})` : ""}`,
      acked ? String(Math.max(0, w.backlog)) : "n/a",
      w.levelMax === undefined ? (r.target === "haetae" ? "no reading" : "n/a") : `${w.levelMax} (${w.levelLast})`,
      w.rssMbMax.toFixed(0),
      w.lagP99MsMax === undefined ? "no reading" : `${ms(w.lagP99MsMax)} / ${ms(w.lagMaxMsMax ?? 0)}`,
      `${w.answerMsMax.toFixed(0)}${w.missedSamples > 0 ? ` (${w.missedSamples} not within 1.5 s)` : ""}`,
      pct(w.serverCpu),
      pct(w.others),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log(`(windows of ${windowSeconds} s; latencies of the messages first sent in the window, retries included)`);
  const t = r.totals;
  console.log(
    `  totals: offered ${t.offered}, accepted ${t.accepted}, refused-with-retry ${t.refused} (each retried), failed ${t.failed}, not acked by the end ${t.unanswered}, delivered ${t.delivered} of ${t.expectedDeliveries} expected`,
  );
  console.log(`  lost ${t.lost}, duplicated ${t.duplicated}, out-of-order ${t.outOfOrder} (checked by ${r.check})`);
  const s = r.surge;
  console.log(
    `  surge: accepted ${s.acceptedPerSecond.toFixed(0)} msg/s, delivered ${s.deliveredPerSecond.toFixed(0)}/s; its messages: send→ack p50 / p99 / max ${trio(s.ack)} ms, accepted attempt→ack p99 ${s.attempt.count > 0 ? `${ms(s.attempt.p99)} ms` : "n/a"}, send→deliver ${trio(s.deliver)} ms`,
  );
  console.log(
    `  back to normal after the surge: p99 (≤ ${ms(r.recovery.normalP99Ms)} ms, from the baseline) ${seconds(r.recovery.latencySeconds)}${r.levelMax >= 0 ? `, degradation level 0 ${seconds(r.recovery.levelSeconds)} (highest level ${r.levelMax})` : ""}`,
  );
  console.log(
    `  server: RSS baseline ${r.rssMb.baseline.toFixed(0)} → peak ${r.rssMb.peak.toFixed(0)} → end ${r.rssMb.end.toFixed(0)} MiB, CPU ${pct(r.serverCpu)} of a core; other processes on the machine ${pct(r.others)} of a core on average`,
  );
  console.log(
    `  generators: ${r.generators.map((g, i) => `#${i} CPU ${pct(g.cpu)}, own loop p99 ${ms(g.loopP99Ms)} ms`).join("; ")}`,
  );
  for (const reason of r.bound) console.log(`  WARNING generator-bound: ${reason}`);
  if (t.censored > 0) console.log(`  ${t.censored} messages were never acked: their latencies are lower bounds`);
  if (t.unanswered > 0 && t.lost > 0)
    console.log(
      `  the drain ended with ${t.unanswered} sends unanswered: "lost" counts accepted messages whose deliveries were still on the way, not only ones that will never arrive`,
    );
  if (r.profile.length > 0) {
    console.log("  server CPU profile, top self time during the surge:");
    for (const line of r.profile) console.log(`    ${line}`);
  }
}

/** Print the servers side by side and Haetae's ratios to each peer. */
export function printSummary(results: SurgeResult[]): void {
  console.log(
    "\n| server | surge accepted/s | surge deliveries/s | surge send→ack p99 ms | accepted attempt→ack p99 ms | surge send→deliver p99 ms | highest level | refused-with-retry | lost / dup / out-of-order | RSS baseline → peak → end MiB | p99 back to normal | level back to 0 | health checks missed (/healthz, /readyz) | server-measured wait p99 ms (≤ 250 ms) | others' CPU |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const acked = r.target !== "ws";
    const cells = [
      r.label ?? TARGET_NAMES[r.target],
      acked ? r.surge.acceptedPerSecond.toFixed(0) : "(no acks)",
      r.surge.deliveredPerSecond.toFixed(0),
      acked ? ms(r.surge.ack.p99) : "n/a",
      acked && r.surge.attempt.count > 0 ? ms(r.surge.attempt.p99) : "n/a",
      ms(r.surge.deliver.p99),
      r.levelMax >= 0 ? String(r.levelMax) : "n/a",
      String(r.totals.refused),
      `${r.totals.lost} / ${r.totals.duplicated} / ${r.totals.outOfOrder}`,
      `${r.rssMb.baseline.toFixed(0)} → ${r.rssMb.peak.toFixed(0)} → ${r.rssMb.end.toFixed(0)}`,
      seconds(r.recovery.latencySeconds),
      r.levelMax >= 0 ? seconds(r.recovery.levelSeconds) : "n/a",
      r.health ? `${r.health.healthz.missed} / ${r.health.readyz.missed}` : "n/a",
      r.serverWait ? `${ms(r.serverWait.p99Ms)} (${pct(r.serverWait.within250)})` : "n/a",
      pct(r.others),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  const haetae = results.find((r) => r.target === "haetae" && r.label === undefined);
  if (!haetae) return;
  const byCount = results.find((r) => r.target === "haetae" && r.label !== undefined);
  if (byCount) {
    console.log(
      `ratio haetae admitted by time / by count only, same run: accepted/s over the run (to the last ack) ${(haetae.overRun.accepted / haetae.overRun.seconds / (byCount.overRun.accepted / byCount.overRun.seconds)).toFixed(2)} (${haetae.overRun.accepted} in ${haetae.overRun.seconds} s against ${byCount.overRun.accepted} in ${byCount.overRun.seconds} s), during the surge ${(haetae.surge.acceptedPerSecond / byCount.surge.acceptedPerSecond).toFixed(2)}, accepted attempt→ack p99 ${(haetae.surge.attempt.p99 / byCount.surge.attempt.p99).toFixed(2)}${haetae.serverWait && byCount.serverWait ? `, server-measured wait p99 ${(haetae.serverWait.p99Ms / byCount.serverWait.p99Ms).toFixed(2)}` : ""}, refused ${haetae.totals.refused} against ${byCount.totals.refused}`,
    );
  }
  console.log("(ratios: deliveries/s above 1 and p99 below 1 favour haetae)");
  for (const peer of results.filter((r) => r.target !== "haetae")) {
    const accepted =
      peer.target === "ws"
        ? ""
        : `, accepted/s ${(haetae.surge.acceptedPerSecond / peer.surge.acceptedPerSecond).toFixed(2)}`;
    console.log(
      `ratio haetae/${peer.target} during the surge: deliveries/s ${(haetae.surge.deliveredPerSecond / peer.surge.deliveredPerSecond).toFixed(2)}${accepted}, p99 send→deliver ${(haetae.surge.deliver.p99 / peer.surge.deliver.p99).toFixed(2)}, peak RSS ${(haetae.rssMb.peak / peer.rssMb.peak).toFixed(2)}`,
    );
  }
  const target = (ok: boolean) => (ok ? "met" : "MISSED");
  const h = haetae;
  console.log(
    `targets (haetae): zero accepted lost/duplicated ${target(h.totals.lost + h.totals.duplicated === 0)}; p99 of accepted sends < 250 ms during the surge: send→ack ${ms(h.surge.ack.p99)} ms ${target(h.surge.ack.p99 < 250)}, accepted attempt→ack ${ms(h.surge.attempt.p99)} ms ${target(h.surge.attempt.p99 < 250)}; back to normal within 5 s: p99 ${seconds(h.recovery.latencySeconds)} ${target((h.recovery.latencySeconds ?? Number.POSITIVE_INFINITY) <= 5)}, level ${seconds(h.recovery.levelSeconds)} ${target((h.recovery.levelSeconds ?? Number.POSITIVE_INFINITY) <= 5)}`,
  );
}
