import { describe, expect, it } from "vitest";
import { WindowedCounter } from "./windowed-counter.js";

describe("windowed counter", () => {
  it("counts events of the window and forgets older ones, in a fixed number of buckets", () => {
    const counter = new WindowedCounter(60_000, 60); // one bucket a second
    const t = 1_000_000_000;
    counter.add(t, true);
    counter.add(t + 500, false, 3);
    counter.add(t + 30_000, true, 2);
    expect(counter.totals(t + 30_000)).toEqual({ good: 3, bad: 3 });
    // 60 s later the first bucket has left the window; the one of t + 30 s has not.
    expect(counter.totals(t + 60_000)).toEqual({ good: 2, bad: 0 });
    expect(counter.totals(t + 90_000)).toEqual({ good: 0, bad: 0 });
  });

  it("reuses a slot for a newer bucket and drops events too old for the window", () => {
    const counter = new WindowedCounter(10_000, 10);
    const t = 5_000_000;
    counter.add(t, false, 5);
    counter.add(t + 10_000, true); // same slot, ten buckets later: the old counts are gone
    expect(counter.totals(t + 10_000)).toEqual({ good: 1, bad: 0 });
    counter.add(t, false); // older than what its slot holds now
    expect(counter.totals(t + 10_000)).toEqual({ good: 1, bad: 0 });
  });

  it("does not count buckets after `now`", () => {
    const counter = new WindowedCounter(10_000, 10);
    counter.add(50_000, true);
    expect(counter.totals(45_000)).toEqual({ good: 0, bad: 0 });
  });
});
