/** @module The password scorer's thread: it answers, ends when idle, and a later check starts it again. */
import { describe, expect, it } from "vitest";
import { PasswordStrength } from "./password-strength.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PasswordStrength", () => {
  it("scores on a thread that ends when idle and starts again for the next check", async () => {
    const scorer = new PasswordStrength(300);
    expect(scorer.running).toBe(false);
    const weak = await scorer.check("password1", []);
    expect(weak.score).toBeLessThan(2);
    expect(scorer.running).toBe(true);
    await sleep(900);
    expect(scorer.running).toBe(false);
    const strong = await scorer.check("quiet-harbor-lantern-917", []);
    expect(strong.score).toBeGreaterThanOrEqual(3);
  }, 30_000);

  it("keeps the thread while checks come closer together than the idle time", async () => {
    const scorer = new PasswordStrength(1_000);
    await scorer.check("first check", []);
    for (let i = 0; i < 3; i++) {
      await sleep(400);
      expect(scorer.running).toBe(true);
      await scorer.check(`check ${i}`, []);
    }
    await Promise.all([scorer.check("a", []), scorer.check("b", []), scorer.check("c", [])]);
    expect(scorer.running).toBe(true);
  }, 30_000);
});
