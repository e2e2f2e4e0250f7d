/** @module The wait Haetae itself measured for its admitted sends (`haetae_send_wait_seconds`: frame arrival → commit), read from /metrics at the end of a `bench:surge` run. */

/** Admitted sends, their p99 wait (interpolated within its histogram bucket) and the share that waited ≤ 250 ms. */
export interface ServerWait {
  count: number;
  p99Ms: number;
  within250: number;
}

/** The figures of `haetae_send_wait_seconds` in Prometheus text; undefined when absent or empty. */
export function serverWaitOfMetrics(text: string): ServerWait | undefined {
  const buckets: { le: number; count: number }[] = [];
  for (const match of text.matchAll(/^haetae_send_wait_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    buckets.push({ le: match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]), count: Number(match[2]) });
  }
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = total * 0.99;
  let p99Ms = Number.POSITIVE_INFINITY;
  let below = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      const upper = Number.isFinite(bucket.le) ? bucket.le : below.le;
      const share = bucket.count === below.count ? 1 : (rank - below.count) / (bucket.count - below.count);
      p99Ms = (below.le + (upper - below.le) * share) * 1000;
      break;
    }
    below = bucket;
  }
  const at250 = buckets.find((b) => b.le === 0.25)?.count ?? 0;
  return { count: total, p99Ms, within250: at250 / total };
}
