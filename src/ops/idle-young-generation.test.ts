import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * Run in a child with the flags `bin/haetae.js` gives a server: grow the young generation as a
 * start-up does, go idle (a trickle of allocation, as an idle server's timers make), and read its
 * committed size before and after, and the minor collections that ran while idle.
 */
function youngGenerationAfterIdle(flags: string[], waitMs: number): { before: number; after: number; minor: number } {
  const script = `
    const { getHeapSpaceStatistics } = await import("node:v8");
    const { PerformanceObserver, constants } = await import("node:perf_hooks");
    const { giveBackIdleYoungGeneration } = await import(${JSON.stringify(new URL("./idle-young-generation.ts", import.meta.url).href)});
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    // Long-lived objects made in a burst, as modules loading at start-up make them.
    const kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, text: "x" + i, list: [i] });
    const before = newSpace();
    let minor = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }).observe({ entryTypes: ["gc"] });
    // A few hundred bytes a second: far from filling a young generation of megabytes by itself.
    let trickle = [];
    const ticks = setInterval(() => { trickle = [trickle.length, "tick"]; }, 5);
    giveBackIdleYoungGeneration(500);
    // V8 weighs the allocation rate over its last 5 s; a busy machine stretches that.
    const started = Date.now();
    const look = setInterval(() => {
      if ((newSpace() > before / 2 || minor === 0) && Date.now() - started < ${waitMs}) return;
      clearInterval(look);
      clearInterval(ticks);
      console.log(JSON.stringify({ before, after: newSpace(), minor, kept: kept.length + trickle.length }));
    }, 250);
  `;
  const run = spawnSync(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 40_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) as string);
}

describe("the young generation of an idle process", () => {
  it("is given back by minor collections while the process idles, with the server's flags", () => {
    const { before, after, minor } = youngGenerationAfterIdle(["--max-semi-space-size=32", "--expose-gc"], 20_000);
    expect(before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(minor).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(before / 2);
  }, 60_000);
});
