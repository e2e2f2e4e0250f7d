import { describe, expect, it } from "vitest";
import { Metrics } from "../metrics.js";
import type { AlertInput } from "../tower/model.js";
import { burnRate, reaches } from "./burn-rate.js";
import { sloGauges } from "./sli-metrics.js";
import type { SloDefinition } from "./slo-definitions.js";
import { SloMonitor } from "./slo-monitor.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const SEND: SloDefinition = {
  name: "send",
  sli: "send",
  target: 0.999,
  component: "messaging",
  description: "99.9% of sends are acknowledged",
};
const DELIVERY: SloDefinition = {
  name: "delivery",
  sli: "delivery",
  target: 0.99,
  thresholdMs: 1000,
  component: "messaging",
  description: "99% of deliveries within 1000 ms",
};

/** A monitor on a clock the test moves, with every alert it sends kept. */
function setup(
  options: { minEvents?: number; windowScale?: number; slos?: SloDefinition[]; recoveryWindowMs?: number } = {},
) {
  let now = Date.UTC(2026, 0, 1);
  const alerts: AlertInput[] = [];
  const metrics = new Metrics();
  const monitor = new SloMonitor({
    slos: options.slos ?? [SEND],
    windowScale: options.windowScale ?? 1,
    minEvents: options.minEvents ?? 0,
    recoveryWindowMs: options.recoveryWindowMs ?? 0,
    now: () => now,
    gauges: sloGauges(metrics),
    sink: (alert) => alerts.push(alert),
  });
  return {
    monitor,
    alerts,
    metrics,
    /** `good` and `bad` send events, `agoMs` before the clock. */
    events(good: number, bad: number, agoMs = 0, sli: SloDefinition["sli"] = "send", latencyMs?: number) {
      for (let i = 0; i < good; i++) monitor.observe({ sli, ok: true, latencyMs, source: "traffic", at: now - agoMs });
      for (let i = 0; i < bad; i++) monitor.observe({ sli, ok: false, source: "traffic", at: now - agoMs });
    },
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
    pages: () => alerts.filter((a) => a.urgency === "page"),
  };
}

describe("burn rate", () => {
  it("is the error ratio over the allowed ratio, 0 without events, and 14.4 reaches 14.4 despite rounding", () => {
    expect(burnRate({ good: 0, bad: 0 }, 0.999)).toBe(0);
    expect(burnRate({ good: 999, bad: 1 }, 0.999)).toBeCloseTo(1, 9);
    const exact = burnRate({ good: 9856, bad: 144 }, 0.999);
    expect(exact).not.toBe(14.4); // binary rounding: this is why `reaches` forgives the last bits
    expect(reaches(exact, 14.4)).toBe(true);
    expect(reaches(burnRate({ good: 9857, bad: 143 }, 0.999), 14.4)).toBe(false);
  });
});

describe("multi-window, multi-burn-rate alerts", () => {
  // 100,000 good sends two hours ago: inside the 6 h window, outside the 1 h one. They keep the
  // 6 h / 30 min page rule quiet, so only the 1 h / 5 min rule can fire.
  const quietSixHours = (s: ReturnType<typeof setup>) => s.events(100_000, 0, 2 * HOUR);

  it("pages at exactly 14.4× over 1 h and 5 min", () => {
    const s = setup();
    quietSixHours(s);
    s.events(10_000 - 144, 144);
    const [status] = s.monitor.evaluate();
    expect(status?.burnRates["1h"]).toBeCloseTo(14.4, 6);
    expect(status?.burnRates["5m"]).toBeCloseTo(14.4, 6);
    expect(status?.burnRates["6h"]).toBeLessThan(6);
    expect(s.pages()).toHaveLength(1);
    expect(s.pages()[0]).toMatchObject({
      source: "slo",
      dedupKey: "slo:send:page",
      action: "trigger",
      urgency: "page",
      components: ["messaging"],
      labels: { slo: "send", severity: "page", component: "messaging", long_window: "1h", short_window: "5m" },
    });
    expect(s.pages()[0]?.summary).toMatch(/14\.4× over 1h and 14\.4× over 5m/);
  });

  it("does not page at 14× over 1 h and 5 min", () => {
    const s = setup();
    quietSixHours(s);
    s.events(10_000 - 140, 140);
    const [status] = s.monitor.evaluate();
    expect(status?.burnRates["1h"]).toBeCloseTo(14, 6);
    expect(s.pages()).toEqual([]);
    expect(status?.firing.page).toBe(false);
  });

  it("needs both windows: a burn only in the long window or only in the short one does not page", () => {
    const longOnly = setup();
    // 20% failures 40 minutes ago (inside 1 h and 6 h, outside 5 min and 30 min), all good now.
    longOnly.events(800, 200, 40 * MIN);
    longOnly.events(1000, 0);
    const [a] = longOnly.monitor.evaluate();
    expect(a?.burnRates["1h"]).toBeGreaterThan(14.4);
    expect(a?.burnRates["6h"]).toBeGreaterThan(6);
    expect(a?.burnRates["5m"]).toBe(0);
    expect(a?.burnRates["30m"]).toBe(0);
    expect(longOnly.pages()).toEqual([]);

    const shortOnly = setup();
    // Half of the last minute's sends fail, but the hour before was busy and clean.
    shortOnly.events(100_000, 0, 50 * MIN);
    shortOnly.events(50, 50);
    const [b] = shortOnly.monitor.evaluate();
    expect(b?.burnRates["5m"]).toBeGreaterThan(14.4);
    expect(b?.burnRates["1h"]).toBeLessThan(1);
    expect(shortOnly.pages()).toEqual([]);
  });

  it("pages at 6× over 6 h and 30 min when the 1 h / 5 min rule is quiet", () => {
    const s = setup();
    // 0.7% failures spread over six hours: 7× everywhere, under 14.4, over 6.
    for (let h = 0; h < 6; h++) s.events(9930, 70, h * HOUR + 10 * MIN);
    s.events(993, 7);
    const [status] = s.monitor.evaluate();
    expect(status?.burnRates["6h"]).toBeCloseTo(7, 6);
    expect(s.pages()).toHaveLength(1);
    expect(s.pages()[0]?.labels).toMatchObject({ long_window: "6h", short_window: "30m", threshold: "6" });
  });

  it("opens a ticket at 1× over 3 days and 6 h, without paging", () => {
    const s = setup();
    for (let h = 0; h < 72; h += 6) s.events(9980, 20, h * HOUR); // 2× for three days
    const [status] = s.monitor.evaluate();
    expect(status?.burnRates["3d"]).toBeCloseTo(2, 6);
    expect(s.pages()).toEqual([]);
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({ dedupKey: "slo:send:ticket", urgency: "ticket", action: "trigger" });
    expect(status?.budgetRemaining).toBeCloseTo(-1, 6); // twice the budget of the window spent
  });

  it("sends one trigger while it keeps firing, and resolves once the short window clears", () => {
    const s = setup();
    quietSixHours(s);
    s.events(450, 50);
    s.monitor.evaluate();
    s.advance(MIN);
    s.events(450, 50);
    s.monitor.evaluate();
    s.monitor.evaluate();
    expect(s.pages().map((a) => a.action)).toEqual(["trigger"]);
    // Fixed: six minutes of clean traffic empty the 5 min window while the 1 h one still burns.
    for (let i = 0; i < 6; i++) {
      s.advance(MIN);
      s.events(500, 0);
      s.monitor.evaluate();
    }
    const [status] = s.monitor.status();
    expect(status?.burnRates["1h"]).toBeGreaterThan(14.4);
    expect(status?.burnRates["5m"]).toBe(0);
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve"]);
    expect(s.pages()[1]).toMatchObject({ dedupKey: "slo:send:page", action: "resolve" });
    // It can fire again later under the same key.
    s.events(500, 500);
    s.monitor.evaluate();
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve", "trigger"]);
  });

  it("without a recovery window, keeps paging through the 6 h / 30 min rule until 30 clean minutes have passed", () => {
    const s = setup();
    s.events(900, 100);
    s.monitor.evaluate();
    for (let minute = 1; minute <= 31; minute++) {
      s.advance(MIN);
      s.events(1000, 0);
      s.monitor.evaluate();
      if (minute === 6) expect(s.pages().map((a) => a.action)).toEqual(["trigger"]);
    }
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve"]);
  });

  it("does not fire on a long window with fewer events than sloMinEvents", () => {
    const s = setup({ minEvents: 10 });
    s.events(0, 9);
    s.monitor.evaluate();
    expect(s.alerts).toEqual([]);
    s.events(0, 1);
    s.monitor.evaluate();
    expect(s.pages()).toHaveLength(1);
  });

  it("forgets events older than the window (scaled windows for tests)", () => {
    const s = setup({ windowScale: 1 / 3600 }); // 1 h is 1 s, 5 min is 83 ms, 3 d is 72 s
    s.events(0, 50);
    s.monitor.evaluate();
    expect(s.pages()).toHaveLength(1);
    s.advance(1100);
    s.events(10, 0);
    const [status] = s.monitor.evaluate();
    expect(status?.events["1h"]).toEqual({ good: 10, bad: 0 });
    expect(status?.events["3d"]).toEqual({ good: 10, bad: 50 });
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve"]);
  });

  it("judges a latency objective by its threshold: a slow success is a bad event", () => {
    const s = setup({ slos: [DELIVERY] });
    s.events(90, 0, 0, "delivery", 200);
    s.events(10, 0, 0, "delivery", 1500);
    const [status] = s.monitor.evaluate();
    expect(status?.events["5m"]).toEqual({ good: 90, bad: 10 });
    expect(status?.burnRates["5m"]).toBeCloseTo(10, 6);
  });

  it("sends alerts already firing to a sink attached later", () => {
    const s = setup();
    s.monitor.setSink(undefined);
    s.events(0, 100);
    s.monitor.evaluate();
    expect(s.alerts).toEqual([]);
    const later: AlertInput[] = [];
    s.monitor.setSink((alert) => later.push(alert));
    expect(later.map((a) => `${a.dedupKey} ${a.action}`).sort()).toEqual([
      "slo:send:page trigger",
      "slo:send:ticket trigger",
    ]);
  });

  it("keeps going when the sink throws", () => {
    const s = setup();
    let calls = 0;
    s.monitor.setSink(() => {
      calls += 1;
      throw new Error("sink down");
    });
    s.events(0, 100);
    expect(() => s.monitor.evaluate()).not.toThrow();
    expect(calls).toBe(2); // page and ticket
  });

  it("exports burn rates per window, the budget left and firing alerts as gauges", async () => {
    const s = setup();
    s.events(995, 5); // 5×: a ticket, no page
    s.monitor.evaluate();
    const text = await s.metrics.registry.metrics();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return Number(line?.slice(series.length + 1));
    };
    expect(value('haetae_slo_burn_rate{slo="send",window="1h"}')).toBeCloseTo(5, 6);
    expect(value('haetae_slo_burn_rate{slo="send",window="3d"}')).toBeCloseTo(5, 6);
    expect(value('haetae_slo_error_budget_remaining{slo="send"}')).toBeCloseTo(-4, 6);
    expect(value('haetae_slo_alert_firing{slo="send",urgency="ticket"}')).toBe(1);
    expect(value('haetae_slo_alert_firing{slo="send",urgency="page"}')).toBe(0);
  });
});

describe("recovery: a page follows the recovery window, not the windows' memory of the fault", () => {
  const SECOND = 1000;
  /**
   * Probe-paced traffic: one send every 10 s, evaluated every 5 s, for `ms`; `bad` says whether
   * the send at a time fails. Returns the times of the alerts sent meanwhile.
   */
  function run(s: ReturnType<typeof setup>, ms: number, bad: (at: number) => boolean) {
    for (let t = 0; t < ms; t += 5 * SECOND) {
      s.advance(5 * SECOND);
      if ((s.now() / SECOND) % 10 === 0) {
        const failed = bad(s.now());
        s.monitor.observe({ sli: "send", ok: !failed, source: "probe", at: s.now() });
      }
      s.monitor.evaluate();
    }
  }

  it("pages on a 115 s fault and resolves within the recovery window of its end, though 1 h and 30 min still burn", () => {
    const s = setup({ recoveryWindowMs: 60 * SECOND, minEvents: 10 });
    run(s, 2 * HOUR, () => false); // a healthy node for two hours
    const start = s.now();
    const end = start + 115 * SECOND;
    run(s, 10 * MIN, (at) => at >= start && at < end);
    const page = s.pages();
    expect(page.map((a) => a.action)).toEqual(["trigger", "resolve"]);
    const resolvedAt = Date.parse(page[1]?.at as string);
    expect(Date.parse(page[0]?.at as string)).toBeLessThan(end); // opened during the fault
    // The last failure was at end - 5 s; one minute clean (to a bucket) and the next tick.
    expect(resolvedAt - end).toBeGreaterThanOrEqual(50 * SECOND);
    expect(resolvedAt - end).toBeLessThanOrEqual(70 * SECOND);
    // The workbook's windows still remember the fault when it resolved, and no trigger followed.
    const [status] = s.monitor.status();
    expect(status?.burnRates["1h"]).toBeGreaterThan(14.4);
    expect(status?.burnRates["30m"]).toBeGreaterThan(6);
    expect(status?.firing.page).toBe(false);
  });

  it("fires again when the fault comes back while the windows still remember the first", () => {
    const s = setup({ recoveryWindowMs: 60 * SECOND });
    run(s, HOUR, () => false);
    const start = s.now();
    run(s, 5 * MIN, (at) => at < start + 2 * MIN);
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve"]);
    const again = s.now();
    run(s, MIN, (at) => at >= again);
    expect(s.pages().map((a) => a.action)).toEqual(["trigger", "resolve", "trigger"]);
  });

  it("does not resolve on an empty recovery window: no events is no evidence", () => {
    const s = setup({ recoveryWindowMs: 60 * SECOND });
    quiet(s);
    s.events(0, 100);
    s.monitor.evaluate();
    s.advance(2 * MIN); // nothing at all for two minutes: the 5 min window still burns
    s.monitor.evaluate();
    expect(s.pages().map((a) => a.action)).toEqual(["trigger"]);
  });

  it("leaves tickets to the workbook's reset", () => {
    const s = setup({ recoveryWindowMs: 60 * SECOND });
    for (let h = 0; h < 72; h += 6) s.events(9980, 20, h * HOUR); // 2× for three days: a ticket
    s.monitor.evaluate();
    s.advance(2 * MIN);
    s.events(100, 0); // a clean recovery window
    s.monitor.evaluate();
    expect(s.alerts.map((a) => `${a.urgency} ${a.action}`)).toEqual(["ticket trigger"]);
  });

  function quiet(s: ReturnType<typeof setup>) {
    s.events(100_000, 0, 2 * HOUR);
  }
});
