/** @module The failed-login backoff: free failures, then doubling waits up to the cap; refusals do not lengthen it. */
import { describe, expect, it } from "vitest";
import { LoginBackoff } from "./login-backoff.js";

describe("LoginBackoff", () => {
  it("allows the free failures, then one attempt per doubling wait, capped; success forgives", () => {
    let now = 0;
    const backoff = new LoginBackoff({ freeFailures: 2, windowMs: 60_000, baseMs: 100, maxMs: 350 }, () => now);
    expect(backoff.attempt("a")).toBe(0);
    expect(backoff.attempt("a")).toBe(0); // the second failure starts the first wait
    expect(backoff.attempt("a")).toBe(100);
    now += 50;
    expect(backoff.attempt("a")).toBe(50); // a refusal does not lengthen the wait
    now += 50;
    expect(backoff.attempt("a")).toBe(0);
    expect(backoff.attempt("a")).toBe(200);
    now += 200;
    expect(backoff.attempt("a")).toBe(0);
    expect(backoff.attempt("a")).toBe(350); // capped
    expect(backoff.attempt("b")).toBe(0); // keys are apart
    now += 350;
    backoff.attempt("a");
    backoff.succeeded("a");
    expect(backoff.waiting("a")).toBe(false);
    expect(backoff.attempt("a")).toBe(0);
  });

  it("forgets a key after a quiet window", () => {
    let now = 0;
    const backoff = new LoginBackoff({ freeFailures: 2, windowMs: 1000, baseMs: 100, maxMs: 1000 }, () => now);
    backoff.attempt("a");
    now += 1001;
    expect(backoff.attempt("a")).toBe(0);
    expect(backoff.attempt("a")).toBe(0); // counted from one again: this is the second failure
    expect(backoff.waiting("a")).toBe(true);
  });
});
