import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * Run in a child with the flags `bin/haetae.js` gives a server: grow the young generation as a
 * start-up does, go idle, and read its committed size before and after the checks ran.
 */
function youngGenerationAfterIdle(flags: string[], waitMs: number): { before: number; after: number } {
  const script = `
    const { getHeapSpaceStatistics } = await import("node:v8");
    const { giveBackIdleYoungGeneration } = await import(${JSON.stringify(new URL("./idle-young-generation.ts", import.meta.url).href)});
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    // Long-lived objects made in a burst, as modules loading at start-up make them.
    const kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, text: "x" + i, list: [i] });
    const before = newSpace();
    // An idle server still allocates a little (timers, probes): V8 shrinks only at a low rate, not at none.
    let trickle = [];
    const ticks = setInterval(() => { trickle = [trickle.length, "tick"]; }, 5);
    giveBackIdleYoungGeneration(500);
    // V8 weighs the allocation rate over its last 5 s; a busy machine stretches that.
    const started = Date.now();
    const look = setInterval(() => {
      if (newSpace() > before / 2 && Date.now() - started < ${waitMs}) return;
      clearInterval(look);
      clearInterval(ticks);
      console.log(JSON.stringify({ before, after: newSpace(), kept: kept.length + trickle.length }));
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
  it("is given back once the process idles, with the server's flags", () => {
    const { before, after } = youngGenerationAfterIdle(["--max-semi-space-size=32", "--expose-gc"], 20_000);
    expect(before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after).toBeLessThanOrEqual(before / 2);
  }, 60_000);

  it("is left as it is without --expose-gc (the function does nothing)", () => {
    const { before, after } = youngGenerationAfterIdle(["--max-semi-space-size=32"], 8_000);
    expect(before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after).toBe(before);
  }, 60_000);
});
