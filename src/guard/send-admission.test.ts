/** @module Send admission by time, on a fake clock: admitted while the predicted wait is under the target, refused with the drain time past it, the floor always admitted. */
import { describe, expect, it } from "vitest";
import { type AdmissionTicket, SendAdmission } from "./send-admission.js";

/** A controller on a clock the test moves. */
function controller(targetMs = 250, floor = 4) {
  const clock = { t: 0 };
  const admission = new SendAdmission({ targetMs, floor, intervalMs: 100, now: () => clock.t });
  const admit = () => {
    const verdict = admission.admit();
    if (!verdict.admitted) throw new Error(`refused, retry after ${verdict.retryAfterMs}`);
    return verdict.ticket;
  };
  return { clock, admission, admit };
}

/**
 * Run the node for `ms` at `perSecond` commits a second (the oldest ticket first), topping the
 * queue up to `keep` sends in flight (admitted while the controller lets them in). Returns how
 * many were admitted and refused, and the wait (admission → commit) of every send committed.
 */
function drive(
  c: ReturnType<typeof controller>,
  queue: AdmissionTicket[],
  ms: number,
  perSecond: number,
  keep: number,
) {
  const counts = { admitted: 0, refused: 0, waits: [] as number[] };
  for (let step = 0; step < ms; step++) {
    c.clock.t += 1;
    const commits = Math.floor((c.clock.t * perSecond) / 1000) - Math.floor(((c.clock.t - 1) * perSecond) / 1000);
    for (let k = 0; k < commits && queue.length > 0; k++) {
      const ticket = queue.shift() as AdmissionTicket;
      counts.waits.push(c.clock.t - ticket.at);
      c.admission.done(ticket);
    }
    while (queue.length < keep) {
      const verdict = c.admission.admit();
      if (!verdict.admitted) {
        counts.refused += 1;
        break;
      }
      queue.push(verdict.ticket);
      counts.admitted += 1;
    }
  }
  return counts;
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] as number;

describe("send admission by time", () => {
  it("always admits up to the floor, even before any rate is measured", () => {
    const c = controller(250, 4);
    for (let i = 0; i < 4; i++) c.admit();
    const fifth = c.admission.admit();
    // No rate yet and the floor is full: the queue cannot be predicted to drain; refused for the target.
    expect(fifth).toEqual({ admitted: false, retryAfterMs: 250 });
    expect(c.admission.state.inFlight).toBe(4);
  });

  it("holds about drain rate × target in flight, and refuses the rest at once with the predicted drain time", () => {
    const c = controller(250, 4);
    const queue: AdmissionTicket[] = [];
    // 2,000 commits a second; the clients offer far more (they would keep 5,000 in flight).
    const first = drive(c, queue, 3000, 2000, 5000);
    const state = c.admission.state;
    expect(state.drainPerSecond).toBeGreaterThan(1900);
    expect(state.drainPerSecond).toBeLessThan(2100);
    // 2,000/s × 250 ms = 500 sends in flight at most.
    expect(state.inFlight).toBeGreaterThan(450);
    expect(state.inFlight).toBeLessThanOrEqual(500);
    expect(state.predictedWaitMs).toBeLessThanOrEqual(251);
    expect(first.refused).toBeGreaterThan(0);
    // The node is kept busy: what it admitted is about what it committed.
    expect(first.admitted).toBeGreaterThan(2000 * 3 * 0.95);
    const refusal = c.admission.admit();
    expect(refusal.admitted).toBe(false);
    if (!refusal.admitted) {
      // The queue's predicted drain (~250 ms), and one commit for its own slot.
      expect(refusal.retryAfterMs).toBeGreaterThanOrEqual(240);
      expect(refusal.retryAfterMs).toBeLessThanOrEqual(262);
    }
  });

  it("keeps every admitted send's wait near the target when the node slows down, and lets the floor through", () => {
    const c = controller(250, 8);
    const queue: AdmissionTicket[] = [];
    const fast = drive(c, queue, 2000, 4000, 10_000);
    expect(p99(fast.waits.slice(-1000))).toBeLessThanOrEqual(260);
    // The node slows to a tenth (its event loop taken by other work): waits are measured as they are.
    const slow = drive(c, queue, 6000, 400, 10_000);
    // The queue admitted at the fast rate drains first (its sends wait longer: they were already
    // in); after that, the admitted sends wait about the target again.
    expect(p99(slow.waits.slice(-400))).toBeLessThanOrEqual(300);
    expect(c.admission.state.drainPerSecond).toBeLessThan(500);
    // Throughput kept: the node committed all the while (it never ran dry).
    expect(slow.waits.length).toBeGreaterThan(400 * 6 * 0.95);
  });

  it("refuses past the floor while even the quickest send of an interval waited longer than the target (a standing queue)", () => {
    const c = controller(100, 2);
    // One send at a time, each done in 1 ms, for 100 ms: a rate of ~1,000/s is measured.
    let previous = c.admit();
    for (let t = 1; t <= 100; t++) {
      c.clock.t = t;
      const next = c.admit();
      c.admission.done(previous);
      previous = next;
    }
    c.clock.t = 101;
    c.admission.done(previous);
    // The prediction lets ~100 in; 50 are admitted...
    const tickets = Array.from({ length: 50 }, () => c.admit());
    // ...but the store stalls: the first five take 250 ms.
    c.clock.t = 350;
    for (const ticket of tickets.slice(0, 5)) c.admission.done(ticket);
    c.clock.t = 451;
    const state = c.admission.state;
    expect(state.standingMs).toBe(249);
    // The prediction alone would still admit (the rate estimate lags)...
    expect(state.predictedWaitMs).toBeLessThan(100);
    // ...the standing delay refuses, with a retry after it.
    const verdict = c.admission.admit();
    expect(verdict).toEqual({ admitted: false, retryAfterMs: 251 });
  });

  it("admits again as soon as the queue has drained, and has no standing delay with nothing in flight", () => {
    const c = controller(250, 4);
    const queue: AdmissionTicket[] = [];
    drive(c, queue, 1000, 1000, 5000);
    expect(c.admission.admit().admitted).toBe(false);
    while (queue.length > 0) {
      c.clock.t += 1;
      c.admission.done(queue.shift() as AdmissionTicket);
    }
    c.clock.t += 200;
    expect(c.admission.state).toMatchObject({ inFlight: 0, standingMs: undefined });
    expect(c.admission.admit().admitted).toBe(true);
  });

  it("gives connections refused one after another slots after the whole pipeline each has to send again", () => {
    const c = controller(250, 4);
    const queue: AdmissionTicket[] = [];
    drive(c, queue, 1000, 1000, 5000);
    // A connection's pipeline of 100 sends refused: the first after the queue's drain, the other
    // 99 each reserving one commit (1 ms at 1,000/s).
    const first = c.admission.admit();
    expect(first.admitted).toBe(false);
    const firstWait = (first as { retryAfterMs: number }).retryAfterMs;
    expect(firstWait).toBeGreaterThanOrEqual(240);
    expect(firstWait).toBeLessThanOrEqual(260);
    for (let i = 1; i < 100; i++) c.admission.reserveSlot();
    // The next connection refused comes back after them.
    const next = c.admission.admit();
    expect(next.admitted).toBe(false);
    const gap = (next as { retryAfterMs: number }).retryAfterMs - firstWait;
    expect(gap).toBeGreaterThanOrEqual(95);
    expect(gap).toBeLessThanOrEqual(105);
  });
});
