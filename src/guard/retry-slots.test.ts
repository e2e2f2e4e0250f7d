import { expect, it } from "vitest";
import { RetrySlots } from "./retry-slots.js";

it("hands callers refused together waits one slot apart, capped, and forgets slots in the past", () => {
  let now = 1000;
  const slots = new RetrySlots(100, 50, () => now);
  expect([slots.next(), slots.next(), slots.next()]).toEqual([10, 20, 30]);
  expect([slots.next(), slots.next(), slots.next()]).toEqual([40, 50, 50]);
  now += 10_000;
  expect(slots.next()).toBe(10);
});
