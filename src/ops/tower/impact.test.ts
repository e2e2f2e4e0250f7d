/** @module The impact meter times an incident's impact from its functions' first failure to their last, not from its opening to its resolution. */
import { describe, expect, it } from "vitest";
import { type Sli, SliRecorder } from "../sli-recorder.js";
import { ImpactMeter } from "./impact.js";

const T0 = Date.UTC(2026, 0, 1, 21, 0, 0);

function setup() {
  let now = T0;
  const sli = new SliRecorder();
  const meter = new ImpactMeter(sli, 5 * 60_000, () => now);
  return {
    meter,
    at: (ms: number) => {
      now = T0 + ms;
    },
    /** One probe run's event of `sli` at `ms` after T0. */
    probe: (ms: number, sliName: Sli, ok: boolean) => {
      now = T0 + ms;
      sli.record({ sli: sliName, ok, source: "probe", at: now });
    },
  };
}

describe("measured impact", () => {
  it("spans the first to the last failure, seeded from before the opening, however long the incident stays open", () => {
    const s = setup();
    for (let t = 0; t < 60_000; t += 10_000) s.probe(t, "send", true);
    // The fault: sends fail from 60 s to 175 s (a 115 s fault, probed every 10 s).
    for (let t = 60_000; t < 180_000; t += 10_000) s.probe(t, "send", t >= 175_000);
    // Opened 40 s into the fault; the failures before count.
    s.at(100_000);
    s.meter.track("INC-1", new Set(["messaging"]));
    for (let t = 180_000; t < 2_000_000; t += 10_000) s.probe(t, "send", true);
    const measured = s.meter.measure("INC-1", T0 + 100_000, T0 + 2_000_000);
    expect(measured?.impactStartedAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(measured?.impactEndedAt).toBe(new Date(T0 + 170_000).toISOString());
    expect(measured?.durationMs).toBe(110_000); // not the 1,900 s it stayed open
    expect(measured?.probesFailed).toBe(12);
  });

  it("counts only its functions' failures, and a joining function's from the lookback", () => {
    const s = setup();
    s.probe(10_000, "login", false); // before the incident: login fails first
    s.probe(20_000, "send", false);
    s.meter.track("INC-2", new Set(["messaging"]));
    s.probe(30_000, "login", false);
    s.probe(40_000, "send", false);
    expect(s.meter.measure("INC-2", T0 + 20_000, T0 + 40_000)).toMatchObject({
      impactStartedAt: new Date(T0 + 20_000).toISOString(),
      durationMs: 20_000,
      loginsFailed: 0,
    });
    // The login alert joins: its function counts, with the failures it fired on.
    s.meter.retarget("INC-2", new Set(["messaging", "login"]), true);
    expect(s.meter.measure("INC-2", T0 + 20_000, T0 + 40_000)).toMatchObject({
      impactStartedAt: new Date(T0 + 10_000).toISOString(),
      impactEndedAt: new Date(T0 + 40_000).toISOString(),
      durationMs: 30_000,
      loginsFailed: 2,
      sendsFailed: 2,
    });
  });

  it("falls back to the time open when nothing failed, and keeps the span across a restart", () => {
    const s = setup();
    s.meter.track("INC-3", null);
    s.probe(5_000, "send", true);
    const quiet = s.meter.measure("INC-3", T0, T0 + 90_000);
    expect(quiet?.durationMs).toBe(90_000);
    expect(quiet?.impactStartedAt).toBeUndefined();

    s.probe(6_000, "history", false);
    s.probe(9_000, "history", false);
    const before = s.meter.measure("INC-3", T0, T0 + 10_000);
    const restarted = setup();
    restarted.meter.track("INC-3", null, before ?? undefined);
    restarted.probe(20_000, "send", false);
    expect(restarted.meter.measure("INC-3", T0, T0 + 30_000)).toMatchObject({
      impactStartedAt: new Date(T0 + 6_000).toISOString(),
      impactEndedAt: new Date(T0 + 20_000).toISOString(),
      durationMs: 14_000,
    });
  });
});
