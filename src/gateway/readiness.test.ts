/** @module Readiness alone: a failing check answers at once, a slow one from a recent success, concurrent asks share one check. */
import { expect, it } from "vitest";
import { Readiness } from "./readiness.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

it("answers a slow check from the last success while it is fresh, and waits for it once it is not", async () => {
  const clock = { t: 0 };
  let calls = 0;
  let answer: () => Promise<void> = async () => undefined;
  const readiness = new Readiness(
    () => {
      calls += 1;
      return answer();
    },
    20,
    5000,
    () => clock.t,
  );
  await readiness.ready();
  // The store is busy: its ping answers after 300 ms, but a success is 1 s old.
  answer = () => sleep(300);
  clock.t = 1000;
  const started = performance.now();
  await Promise.all([readiness.ready(), readiness.ready(), readiness.ready()]);
  expect(performance.now() - started).toBeLessThan(250);
  expect(calls).toBe(2); // the three asks shared one check
  // A failing check fails the next ask at once, fresh success or not.
  await sleep(350);
  answer = () => Promise.reject(new Error("the store: no answer"));
  await expect(readiness.ready()).rejects.toThrow("the store");
  // No success for longer than freshMs: a slow check is waited for.
  answer = () => sleep(100);
  clock.t = 10_000;
  const waited = performance.now();
  await readiness.ready();
  expect(performance.now() - waited).toBeGreaterThanOrEqual(90);
});
