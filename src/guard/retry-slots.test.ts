/** @module Retry slots: fixed-rate slots for connections; a book of slots that follows the drain rate and the sends booked ahead. */
import { describe, expect, it } from "vitest";
import { RetryBook, RetrySlots } from "./retry-slots.js";

it("hands callers refused together waits one slot apart, capped, and forgets slots in the past", () => {
  let now = 1000;
  const slots = new RetrySlots(100, 50, () => now);
  expect([slots.next(), slots.next(), slots.next()]).toEqual([10, 20, 30]);
  expect([slots.next(), slots.next(), slots.next()]).toEqual([40, 50, 50]);
  now += 10_000;
  expect(slots.next()).toBe(10);
});

/** A book on a clock the test moves, with the jitter's random numbers given. */
function bookWith(options: { jitterMs?: number; maxWaitMs?: number; random?: () => number } = {}) {
  const clock = { t: 0 };
  const book = new RetryBook({
    minWaitMs: 1,
    maxWaitMs: options.maxWaitMs ?? 30_000,
    jitterMs: options.jitterMs ?? 0,
    now: () => clock.t,
    random: options.random ?? (() => 0),
  });
  return { clock, book };
}

describe("retry book", () => {
  it("books each caller after the queue and the sends booked ahead of it, at the rate given", () => {
    const { book } = bookWith();
    // 100 sends in flight at 1,000/s: the first caller after 100 ms.
    const first = book.book(100, 1000, 0);
    expect(first.waitMs).toBe(100);
    // Its pipeline: 50 sends refused in its retry time.
    for (let i = 1; i < 50; i++) book.reserve(first.slot);
    expect(book.booked).toBe(50);
    // The next caller comes after them: 150 sends at 1,000/s.
    const second = book.book(100, 1000, 0);
    expect(second.waitMs).toBe(150);
    // Landing while 40 ms of work is still queued.
    expect(book.book(100, 1000, 40).waitMs).toBe(151 - 40);
  });

  it("follows the rate now: a faster node moves new slots forward, not after the last one given", () => {
    const { book } = bookWith();
    const slots = Array.from({ length: 10 }, () => {
      const booked = book.book(0, 500, 0);
      for (let i = 1; i < 100; i++) book.reserve(booked.slot);
      return booked;
    });
    // 1,000 sends booked at 500/s: two seconds of slots, 200 ms apart.
    expect(book.booked).toBe(1000);
    expect(slots.map((s) => s.waitMs)).toEqual([1, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
    // The node turns out four times as fast: a caller refused now is told half a second, well
    // before the last slot (which a pointer advanced by every slot would have put it after).
    const faster = book.book(0, 2000, 0);
    expect(faster.waitMs).toBe(500);
    expect(faster.waitMs).toBeLessThan((slots.at(-1) as { waitMs: number }).waitMs);
  });

  it("closes slots whose time has come: their sends are no longer ahead, and a caller refused then is told the queue's drain", () => {
    const { clock, book } = bookWith();
    const first = book.book(0, 1000, 0);
    for (let i = 1; i < 200; i++) book.reserve(first.slot);
    expect(book.booked).toBe(200);
    clock.t = first.waitMs;
    expect(book.booked).toBe(0);
    expect(first.slot.open).toBe(false);
    // A send refused to it after its time (it came back) counts for nobody.
    book.reserve(first.slot);
    expect(book.booked).toBe(0);
    expect(book.book(300, 1000, 0).waitMs).toBe(300);
  });

  it("counts a new caller for the typical caller's sends until its own refusals say more", () => {
    const { clock, book } = bookWith();
    const big = book.book(0, 1000, 0);
    for (let i = 1; i < 51; i++) book.reserve(big.slot);
    clock.t = 10_000;
    // Closed with 51 sends: the typical caller moves a fifth of the way, 1 → 11.
    expect(book.booked).toBe(0);
    const next = book.book(0, 1000, 0);
    expect(next.slot.expected).toBe(11);
    expect(book.booked).toBe(11);
    // Its own sends count once they pass the expectation.
    for (let i = 1; i < 11; i++) book.reserve(next.slot);
    expect(book.booked).toBe(11);
    book.reserve(next.slot);
    expect(book.booked).toBe(12);
  });

  it("spreads callers booked for the same moment over the jitter window", () => {
    let k = 0;
    const { book } = bookWith({ jitterMs: 100, random: () => (k++ % 10) / 10 });
    // Ten callers booked at once behind a queue of 300 at 1,000/s, none bringing back more than
    // one send: without jitter all ten would land within 10 ms of each other.
    const waits = Array.from({ length: 10 }, () => book.book(300, 1000, 0).waitMs);
    expect(new Set(waits).size).toBe(10);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(300);
    expect(Math.max(...waits)).toBeLessThanOrEqual(310 + 100);
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThanOrEqual(90);
  });

  it("plans no slot past the horizon: a caller further back is told to check in later and is planned again then, nobody booked behind it", () => {
    let r = 0;
    const clock = { t: 0 };
    const book = new RetryBook({
      minWaitMs: 1,
      maxWaitMs: 30_000,
      jitterMs: 0,
      horizonMs: 1000,
      now: () => clock.t,
      random: () => r,
    });
    // 900 sends at 1,000/s: within the horizon, placed.
    const near = book.book(900, 1000, 0);
    expect(near).toMatchObject({ waitMs: 900, slot: { placed: true } });
    for (let i = 1; i < 500; i++) book.reserve(near.slot);
    // Now 1,400 ahead: past the horizon. Told between 1 and 1.5 s, not placed, not counted.
    r = 0.5;
    const far = book.book(900, 1000, 0);
    expect(far).toMatchObject({ waitMs: 1250, slot: { placed: false } });
    for (let i = 1; i < 500; i++) book.reserve(far.slot);
    expect(book.booked).toBe(500);
    // 4,500 booked ahead and 900 queued: 5.4 s of work. Told half of it, 2.7 s, spread by up to
    // half again (here a quarter): a slow node's callers check in a few times, not every horizon.
    for (let i = 0; i < 4000; i++) book.reserve(near.slot);
    expect(book.book(900, 1000, 0)).toMatchObject({ waitMs: 3375, slot: { placed: false } });
  });

  it("never tells a wait past the cap or below the minimum", () => {
    const { book } = bookWith({ maxWaitMs: 2000 });
    // Past the horizon (10 s by default) too: told the cap.
    expect(book.book(1_000_000, 100, 0).waitMs).toBe(2000);
    expect(book.book(0, 100, 5000).waitMs).toBe(1);
    expect(book.unbooked(250)).toMatchObject({ waitMs: 250, slot: { open: false } });
  });
});
