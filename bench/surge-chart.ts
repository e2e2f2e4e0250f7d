/** @module The chart of `bench:surge`: throughput, p99 latency, degradation level, refusals and RSS over time, per server. */
import type { Target } from "./load-shared.js";
import type { TimelineBucket } from "./load-timeline.js";
import { percentiles, type ServerSample } from "./surge-windows.js";
import { type Panel, renderChart, type Series } from "./svg-chart.js";

/** What the chart needs of one server's run. */
export interface ChartRun {
  target: Target;
  /** One-second buckets from `start` (ms since the epoch). */
  buckets: TimelineBucket[];
  samples: ServerSample[];
  start: number;
}

const COLORS: Partial<Record<Target, string>> = {
  haetae: "#1f5fbf",
  ws: "#2a9d3a",
  socketio: "#d0452f",
  "socketio-full": "#8e44ad",
};
const SHORT: Partial<Record<Target, string>> = {
  haetae: "Haetae",
  ws: "bare ws",
  socketio: "Socket.IO + SQLite",
  "socketio-full": "Socket.IO + SQLite (FULL)",
};

/** The SVG for `runs`, the surge shaded between `surge.from` and `surge.to` seconds. */
export function surgeChart(runs: ChartRun[], surge: { from: number; to: number }, subtitle: string): string {
  const perSecond = (run: ChartRun, pick: (b: TimelineBucket) => number | undefined): [number, number | undefined][] =>
    run.buckets.map((b, i) => [i + 0.5, pick(b)]);
  const sampled = (run: ChartRun, pick: (s: ServerSample) => number | undefined): [number, number | undefined][] =>
    run.samples.map((s) => [(s.at - run.start) / 1000, pick(s)]);
  const color = (target: Target) => COLORS[target] ?? "#777";
  const short = (target: Target) => SHORT[target] ?? target;
  const line = (run: ChartRun, name: string, points: [number, number | undefined][], extra: Partial<Series> = {}) => ({
    name,
    color: color(run.target),
    points,
    ...extra,
  });
  const first = runs[0];
  const haetae = runs.find((r) => r.target === "haetae");
  const panels: Panel[] = [
    {
      title: "sends per second: offered (black, dashed) and accepted (acked; bare ws: sent, it never acks)",
      series: [
        ...(first ? [{ name: "offered", color: "#222", dash: "5 4", points: perSecond(first, (b) => b.offered) }] : []),
        ...runs.map((run) =>
          line(
            run,
            short(run.target),
            perSecond(run, (b) => b.accepted),
          ),
        ),
      ],
    },
    {
      title: "deliveries per second (message.new at members other than the sender)",
      series: runs.map((run) =>
        line(
          run,
          short(run.target),
          perSecond(run, (b) => b.delivered),
        ),
      ),
    },
    {
      title: "p99 latency, ms, log scale — send→ack (bare ws: send→deliver), by the second a message was first sent",
      log: true,
      series: runs.map((run) =>
        line(
          run,
          short(run.target),
          perSecond(run, (b) => {
            const values = run.target === "ws" ? b.deliver : b.ack;
            return values.length > 0 ? percentiles([...values]).p99 : undefined;
          }),
        ),
      ),
    },
  ];
  if (haetae) {
    panels.push(
      {
        title:
          "Haetae: degradation level (haetae_degradation_level from /metrics; a gap: /metrics did not answer within 1.5 s)",
        yMax: 4,
        series: [
          line(
            haetae,
            short("haetae"),
            sampled(haetae, (s) => s.level),
            { step: true },
          ),
        ],
      },
      {
        title: "Haetae: sends refused with retryAfterMs per second (retried with the same clientMsgId)",
        series: [
          {
            name: "refused: overloaded",
            color: "#c2185b",
            points: perSecond(haetae, (b) => b.refused.overloaded ?? 0),
          },
          {
            name: "refused: rate_limited",
            color: "#e08a00",
            dash: "4 3",
            points: perSecond(haetae, (b) => b.refused.rate_limited ?? 0),
          },
        ],
      },
    );
  }
  panels.push({
    title: "server resident memory, MiB",
    series: runs.map((run) =>
      line(
        run,
        short(run.target),
        sampled(run, (s) => s.rssMb),
      ),
    ),
  });
  return renderChart({
    title: "bench:surge — the New Year's midnight: baseline, 10× surge, back to baseline",
    subtitle,
    xLabel: "seconds since the start of the schedule",
    panels,
    spans: [{ from: surge.from, to: surge.to, label: "surge (10×)" }],
    panelHeight: 130,
  });
}
