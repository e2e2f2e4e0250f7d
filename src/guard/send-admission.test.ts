/** @module SendAdmission: refuses by expected queue wait, with a retry time, and admits again when the store catches up. */
import { describe, expect, it } from "vitest";
import { SendAdmission } from "./send-admission.js";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("SendAdmission", () => {
  it("admits everything while too few sends are in flight, however slow the store", () => {
    const c = clock();
    const admission = new SendAdmission(100, 32, c.now);
    for (let i = 0; i < 31; i++) expect(admission.admit()).toBeUndefined();
    c.advance(10_000);
    expect(admission.admit()).toBeUndefined(); // the 32nd: no completion rate measured yet
  });

  it("refuses when in-flight sends would take longer than the target at the measured rate, and admits after catch-up", () => {
    const c = clock();
    const admission = new SendAdmission(100, 32, c.now);
    // The store completes 1,000 sends a second (1 per ms) over one interval.
    for (let i = 0; i < 250; i++) {
      expect(admission.admit()).toBeUndefined();
      c.advance(1);
      admission.done();
    }
    expect(admission.completionsPerSecond).toBeCloseTo(1000, -1);
    // 100 in flight at 1/ms is a 100 ms wait: still admitted; the next ones are not.
    for (let i = 0; i < 100; i++) expect(admission.admit()).toBeUndefined();
    const refusal = admission.admit();
    expect(refusal).toBeDefined();
    expect(refusal?.expectedWaitMs).toBeGreaterThan(100);
    expect(refusal?.retryAfterMs).toBeGreaterThanOrEqual(100);
    expect(admission.pending).toBe(100);
    // The store works through them: admitted again.
    for (let i = 0; i < 80; i++) admission.done();
    expect(admission.admit()).toBeUndefined();
  });

  it("sees a stalled store: no completions while sends wait drives the rate down and keeps refusing", () => {
    const c = clock();
    const admission = new SendAdmission(100, 4, c.now);
    for (let i = 0; i < 100; i++) {
      admission.admit();
      c.advance(2.5);
      admission.done();
    }
    for (let i = 0; i < 10; i++) admission.admit();
    for (let i = 0; i < 8; i++) {
      c.advance(250);
      admission.admit();
    }
    const refusal = admission.admit();
    expect(refusal).toBeDefined();
    expect(refusal?.retryAfterMs).toBeGreaterThan(1000);
  });
});
