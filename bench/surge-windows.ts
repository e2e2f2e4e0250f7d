/**
 * @module The figures of `bench:surge` over time: the generators' one-second timelines merged,
 * the conductor's samples of the server (degradation level, RSS, event-loop lag, CPU) laid beside
 * them, both cut into windows; and the recovery after the surge — when latency and the level were
 * back to normal and stayed there.
 */
import type { ReportMessage } from "./load-shared.js";
import { quantile } from "./load-shared.js";
import type { TimelineBucket } from "./load-timeline.js";

/** One reading of the server, taken by the conductor while the load ran. */
export interface ServerSample {
  /** Wall time, ms since the epoch. */
  at: number;
  /** Haetae's `haetae_degradation_level`; undefined for a peer or when /metrics did not answer. */
  level?: number;
  rssMb: number;
  /** The server's event-loop delay since the previous sample, ms. */
  lagP99Ms?: number;
  lagMaxMs?: number;
  /**
   * How long the server took to answer the read (/metrics or /lag), ms — its event loop's
   * responsiveness seen from outside, which a blocked loop cannot under-report.
   */
  answerMs: number;
  /** Server CPU since the previous sample, share of one core. */
  cpu: number;
  /** Other processes' CPU on the machine since the previous sample, share of one core. */
  others: number;
}

/** Latency percentiles, ms. */
export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Figures of one stretch of the run, `from`–`to` seconds after the schedule's start. */
export interface SurgeWindow {
  from: number;
  to: number;
  offeredPerSecond: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  /** Of the messages first sent in the window: first send → ack, accepted attempt → ack, first send → delivery. */
  ack: Percentiles;
  attempt: Percentiles;
  deliver: Percentiles;
  refused: Record<string, number>;
  meanRetryAfterMs: number;
  /** Highest and last degradation level sampled in the window; undefined without samples. */
  levelMax?: number;
  levelLast?: number;
  rssMbMax: number;
  lagP99MsMax?: number;
  lagMaxMsMax?: number;
  serverCpu: number;
  others: number;
  /** /metrics reads that did not answer in time during the window, and the slowest answer, ms. */
  missedSamples: number;
  answerMsMax: number;
  /** Sends offered but not yet accepted at the window's end: what waits in the clients' outboxes. */
  backlog: number;
}

/** The generators' timelines added bucket by bucket (they start within milliseconds of each other). */
export function mergeTimelines(reports: ReportMessage[]): TimelineBucket[] {
  const merged: TimelineBucket[] = [];
  for (const report of reports) {
    (report.timeline ?? []).forEach((bucket, i) => {
      const into = merged[i];
      if (!into) {
        merged[i] = {
          ...bucket,
          refused: { ...bucket.refused },
          ack: [...bucket.ack],
          attempt: [...bucket.attempt],
          deliver: [...bucket.deliver],
        };
        return;
      }
      into.offered += bucket.offered;
      into.accepted += bucket.accepted;
      into.delivered += bucket.delivered;
      into.retryAfterMsSum += bucket.retryAfterMsSum;
      for (const [code, n] of Object.entries(bucket.refused)) into.refused[code] = (into.refused[code] ?? 0) + n;
      for (const key of ["ack", "attempt", "deliver"] as const) for (const v of bucket[key]) into[key].push(v);
    });
  }
  return merged;
}

/** Percentiles of `values` (sorted in place). */
export function percentiles(values: number[]): Percentiles {
  values.sort((a, b) => a - b);
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p99: quantile(values, 0.99),
    max: values.length > 0 ? (values[values.length - 1] as number) : 0,
  };
}

const average = (values: number[]) => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const maxOf = (values: (number | undefined)[]) => {
  const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return present.length > 0 ? Math.max(...present) : undefined;
};

/**
 * Cut one-second `buckets` (from `start`, ms since the epoch) and the server `samples` into
 * windows of `seconds`.
 */
export function cutWindows(
  buckets: TimelineBucket[],
  samples: ServerSample[],
  start: number,
  seconds: number,
): SurgeWindow[] {
  const windows: SurgeWindow[] = [];
  let backlog = 0;
  const span = Math.max(buckets.length, Math.ceil(((samples.at(-1)?.at ?? start) - start) / 1000));
  for (let from = 0; from < span; from += seconds) {
    const part = buckets.slice(from, from + seconds);
    const length = Math.max(1, Math.min(seconds, span - from));
    const inWindow = samples.filter((s) => s.at >= start + from * 1000 && s.at < start + (from + seconds) * 1000);
    const levels = inWindow.map((s) => s.level).filter((l): l is number => l !== undefined);
    const refused: Record<string, number> = {};
    for (const b of part) for (const [code, n] of Object.entries(b.refused)) refused[code] = (refused[code] ?? 0) + n;
    const refusals = Object.values(refused).reduce((a, b) => a + b, 0);
    const sum = (key: "offered" | "accepted" | "delivered") => part.reduce((s, b) => s + b[key], 0);
    backlog += sum("offered") - sum("accepted");
    windows.push({
      from,
      to: from + length,
      offeredPerSecond: sum("offered") / length,
      acceptedPerSecond: sum("accepted") / length,
      deliveredPerSecond: sum("delivered") / length,
      ack: percentiles(part.flatMap((b) => b.ack)),
      attempt: percentiles(part.flatMap((b) => b.attempt)),
      deliver: percentiles(part.flatMap((b) => b.deliver)),
      refused,
      meanRetryAfterMs: refusals > 0 ? part.reduce((s, b) => s + b.retryAfterMsSum, 0) / refusals : 0,
      ...(levels.length > 0 ? { levelMax: Math.max(...levels), levelLast: levels.at(-1) as number } : {}),
      rssMbMax: maxOf(inWindow.map((s) => s.rssMb)) ?? 0,
      ...(maxOf(inWindow.map((s) => s.lagP99Ms)) !== undefined
        ? { lagP99MsMax: maxOf(inWindow.map((s) => s.lagP99Ms)), lagMaxMsMax: maxOf(inWindow.map((s) => s.lagMaxMs)) }
        : {}),
      serverCpu: average(inWindow.map((s) => s.cpu)),
      others: average(inWindow.map((s) => s.others)),
      missedSamples: inWindow.filter((s) => s.lagP99Ms === undefined).length,
      answerMsMax: Math.max(0, ...inWindow.map((s) => s.answerMs)),
      backlog,
    });
  }
  return windows;
}

/** How long after the surge's end the run was back to normal, seconds (undefined: not within the run). */
export interface Recovery {
  /** The p99 a second may have and count as normal: from the baseline before the surge. */
  normalP99Ms: number;
  latencySeconds?: number;
  levelSeconds?: number;
}

/**
 * Recovery after the surge ended at `surgeEnd` (seconds after the start): the first second from
 * which every later second until `scheduleEnd` had a p99 (of `key`, messages first sent in that
 * second) within normal, and the first sample from which the level stayed 0. Normal is twice the
 * baseline's p99 or 25 ms above it, whichever is more, so noise on a shared machine does not
 * count as an unrecovered surge — but never above 250 ms (the surge's own bound), so a baseline
 * the server did not keep up with cannot make "normal" meaningless. The baseline skips its first
 * 2 s (connections warming up).
 */
export function recoveryAfter(
  buckets: TimelineBucket[],
  samples: ServerSample[],
  start: number,
  phases: { baselineEnd: number; surgeEnd: number; scheduleEnd: number },
  key: "ack" | "deliver",
): Recovery {
  const baseline = percentiles(buckets.slice(2, phases.baselineEnd).flatMap((b) => b[key]));
  const normalP99Ms = Math.min(250, Math.max(2 * baseline.p99, baseline.p99 + 25));
  let latencySeconds: number | undefined;
  for (let s = phases.scheduleEnd - 1; s >= phases.surgeEnd; s--) {
    const values = buckets[s]?.[key] ?? [];
    if (values.length > 0 && percentiles([...values]).p99 > normalP99Ms) break;
    latencySeconds = s - phases.surgeEnd;
  }
  const surgeEndAt = start + phases.surgeEnd * 1000;
  const withLevel = samples.filter((s) => s.level !== undefined && s.at <= start + phases.scheduleEnd * 1000);
  let levelSeconds: number | undefined;
  if (withLevel.length > 0) {
    const lastDegraded = withLevel.filter((s) => (s.level as number) > 0).at(-1);
    if (!lastDegraded || lastDegraded.at < surgeEndAt) levelSeconds = 0;
    else if (lastDegraded !== withLevel.at(-1)) {
      const next = withLevel[withLevel.indexOf(lastDegraded) + 1] as ServerSample;
      levelSeconds = (next.at - surgeEndAt) / 1000;
    }
  }
  return {
    normalP99Ms,
    ...(latencySeconds !== undefined ? { latencySeconds } : {}),
    ...(levelSeconds !== undefined ? { levelSeconds } : {}),
  };
}
