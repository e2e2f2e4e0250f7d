import { describe, expect, it } from "vitest";
import { LoadLevels, levelOf } from "./load-levels.js";

const t = { degradeLagMs: 50, degradePendingWrites: 1000, degradeRssMb: 1000, recoverSamples: 3 };
const calm = { lagMs: 1, pendingWrites: 0, rssMb: 100 };

describe("degradation levels", () => {
  it("maps each signal to a level: lag and queue by doubling steps, memory near its limit", () => {
    expect(levelOf(calm, t)).toBe(0);
    expect(levelOf({ ...calm, lagMs: 60 }, t)).toBe(1);
    expect(levelOf({ ...calm, lagMs: 120 }, t)).toBe(2);
    expect(levelOf({ ...calm, pendingWrites: 4500 }, t)).toBe(3);
    expect(levelOf({ ...calm, lagMs: 500 }, t)).toBe(4);
    expect(levelOf({ ...calm, rssMb: 800 }, t)).toBe(3);
    expect(levelOf({ ...calm, rssMb: 1200 }, t)).toBe(4);
  });

  it("climbs at once, steps down one level after enough calm samples, and does not flap at a threshold", () => {
    const levels = new LoadLevels(t);
    const seen: number[] = [];
    levels.onChange((level) => seen.push(level));
    expect(levels.observe({ ...calm, lagMs: 250 })).toBe(3);
    // Just under the level-3 entry point is not calm enough to leave it.
    for (let i = 0; i < 10; i++) expect(levels.observe({ ...calm, lagMs: 190 })).toBe(3);
    for (let i = 0; i < 3; i++) levels.observe(calm);
    expect(levels.level).toBe(2);
    for (let i = 0; i < 6; i++) levels.observe(calm);
    expect(levels.level).toBe(0);
    expect(seen).toEqual([3, 2, 1, 0]);
  });

  it("keeps an operator's pinned floor until it is released", () => {
    const levels = new LoadLevels(t);
    levels.pin(2);
    for (let i = 0; i < 10; i++) levels.observe(calm);
    expect(levels.level).toBe(2);
    levels.observe({ ...calm, lagMs: 500 });
    expect(levels.level).toBe(4);
    levels.pin(0);
    for (let i = 0; i < 20; i++) levels.observe(calm);
    expect(levels.level).toBe(0);
  });
});
