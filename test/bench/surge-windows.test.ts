/**
 * @module bench:surge's arithmetic: the phased send schedule, generator timelines merged and cut
 * into windows, the recovery after the surge (latency and degradation level), and the chart's SVG.
 */
import { describe, expect, it } from "vitest";
import type { ReportMessage } from "../../bench/load-shared.js";
import { dueAt, rateAt, Timeline, type TimelineBucket } from "../../bench/load-timeline.js";
import { cutWindows, mergeTimelines, recoveryAfter, type ServerSample } from "../../bench/surge-windows.js";
import { renderChart } from "../../bench/svg-chart.js";

const PHASES = [
  { seconds: 2, rate: 10 },
  { seconds: 3, rate: 100 },
  { seconds: 2, rate: 10 },
];

/** One-second buckets whose ack latencies are `p99s[i]` (100 values each, all equal). */
function bucketsWithLatency(p99s: number[]): TimelineBucket[] {
  const timeline = new Timeline(0, 1000);
  p99s.forEach((latency, second) => {
    for (let k = 0; k < 100; k++) timeline.accepted(second * 1000 + latency + 1, second * 1000 + 1, second * 1000 + 1);
  });
  return timeline.buckets;
}

const sample = (second: number, level: number): ServerSample => ({
  at: 1_000_000 + second * 1000,
  level,
  rssMb: 100,
  answerMs: 3,
  cpu: 0.5,
  others: 0,
});

describe("the surge schedule", () => {
  it("makes sends due at each phase's rate, and no more after the end", () => {
    expect(dueAt(PHASES, 1000)).toBe(10);
    expect(dueAt(PHASES, 2000)).toBe(20);
    expect(dueAt(PHASES, 3000)).toBe(120);
    expect(dueAt(PHASES, 5000)).toBe(320);
    expect(dueAt(PHASES, 7000)).toBe(340);
    expect(dueAt(PHASES, 60_000)).toBe(340);
    expect(rateAt(PHASES, 2500)).toBe(100);
    expect(rateAt(PHASES, 6500)).toBe(10);
  });
});

describe("surge windows", () => {
  it("adds the generators' buckets and counts by window", () => {
    const a = new Timeline(0, 1000);
    const b = new Timeline(0, 1000);
    for (const t of [100, 200, 1500]) a.offered(t);
    b.offered(300);
    a.refused(1200, "overloaded", 500);
    b.refused(1300, "overloaded", 300);
    b.refused(1400, "rate_limited", 100);
    a.accepted(1600, 100, 1100);
    b.delivered(2500, 300);
    const report = (t: Timeline) => ({ timeline: t.buckets }) as unknown as ReportMessage;
    const merged = mergeTimelines([report(a), report(b)]);
    expect(merged.map((x) => x.offered)).toEqual([3, 1, 0]);
    const [first, second] = cutWindows(merged, [], 0, 2);
    expect(first?.offeredPerSecond).toBe(2);
    expect(first?.refused).toEqual({ overloaded: 2, rate_limited: 1 });
    expect(first?.meanRetryAfterMs).toBe(300);
    // Offered 4, accepted 1: three wait in the clients' outboxes, and still do a window later.
    expect(first?.backlog).toBe(3);
    expect(second?.backlog).toBe(3);
    // Latencies belong to the window the message was first sent in, not the one it was acked in.
    expect(first?.ack).toMatchObject({ count: 1, max: 1500 });
    expect(first?.attempt.max).toBe(500);
    expect(first?.deliver.max).toBe(2200);
    expect(second).toMatchObject({ from: 2, to: 3, deliveredPerSecond: 1 });
  });
});

describe("recovery after the surge", () => {
  const phases = { baselineEnd: 4, surgeEnd: 8, scheduleEnd: 14 };

  it("is the first second from which p99 stayed normal, and the first sample from which the level stayed 0", () => {
    // Baseline p99 20 ms, so normal is ≤ 45 ms; the second at 10 s (2 s after the surge) is the last slow one.
    const buckets = bucketsWithLatency([20, 20, 20, 20, 900, 900, 900, 900, 400, 300, 60, 30, 20, 20]);
    const samples = [0, 2, 5, 8, 9, 10, 11, 12, 13].map((s) => sample(s, s >= 5 && s <= 10 ? 2 : 0));
    const recovery = recoveryAfter(buckets, samples, 1_000_000, phases, "ack");
    expect(recovery.normalP99Ms).toBe(45);
    expect(recovery.latencySeconds).toBe(3);
    expect(recovery.levelSeconds).toBe(3);
  });

  it("says so when the run ends before latency or level are back", () => {
    const buckets = bucketsWithLatency([20, 20, 20, 20, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900]);
    const samples = [0, 9, 13].map((s) => sample(s, s > 0 ? 3 : 0));
    const recovery = recoveryAfter(buckets, samples, 1_000_000, phases, "ack");
    expect(recovery.latencySeconds).toBeUndefined();
    expect(recovery.levelSeconds).toBeUndefined();
  });

  it("caps normal at 250 ms when the baseline itself was slow", () => {
    const buckets = bucketsWithLatency([2000, 2000, 2000, 2000, 9000, 9000, 9000, 9000, 300, 200, 200, 200, 200, 200]);
    const recovery = recoveryAfter(buckets, [], 1_000_000, phases, "ack");
    expect(recovery.normalP99Ms).toBe(250);
    expect(recovery.latencySeconds).toBe(1);
    expect(recovery.levelSeconds).toBeUndefined();
  });
});

describe("the chart", () => {
  it("draws each series, splits lines at gaps, and escapes text", () => {
    const svg = renderChart({
      title: "a <surge> & more",
      xLabel: "s",
      panels: [
        {
          title: "level",
          yMax: 4,
          series: [
            {
              name: "x",
              color: "#123456",
              step: true,
              points: [
                [0, 1],
                [1, 2],
                [2, undefined],
                [3, 0],
                [4, 1],
              ],
            },
          ],
        },
        {
          title: "p99",
          log: true,
          series: [
            {
              name: "y",
              color: "#654321",
              points: [
                [0, 5],
                [4, 5000],
              ],
            },
          ],
        },
      ],
      spans: [{ from: 1, to: 2, label: "surge" }],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt;surge&gt; &amp; more");
    expect(svg.match(/<polyline fill="none" stroke="#123456"/g)).toHaveLength(2);
    expect(svg).toContain('stroke="#654321"');
    expect(svg).not.toContain("NaN");
  });
});
