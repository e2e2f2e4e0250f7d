/** @module Send admission by time, on a fake clock: admitted while the predicted wait is within the plan, refused with a retry slot past it, the floor always admitted, the rate measured only while backlogged; refused pipelines come back at the pace the node drains. */
import { describe, expect, it } from "vitest";
import type { RetrySlot } from "./retry-slots.js";
import { type AdmissionTicket, SendAdmission } from "./send-admission.js";

/** A controller on a clock the test moves. */
function controller(targetMs = 250, floor = 4) {
  const clock = { t: 0 };
  // A fixed pseudo-random sequence for the retry slots' jitter: the same run every time.
  let seed = 1;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const admission = new SendAdmission({ targetMs, floor, intervalMs: 100, now: () => clock.t, random });
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
    // No rate yet and the floor is full: the queue cannot be predicted to drain; refused for
    // between the target and twice it (spread), in no booked slot.
    if (fifth.admitted) throw new Error("admitted");
    expect(fifth.retryAfterMs).toBeGreaterThanOrEqual(250);
    expect(fifth.retryAfterMs).toBeLessThanOrEqual(500);
    expect(fifth.slot.placed).toBe(false);
    expect(c.admission.state.inFlight).toBe(4);
  });

  it("holds about drain rate × plan (60 % of the target) in flight, and refuses the rest at once", () => {
    const c = controller(250, 4);
    const queue: AdmissionTicket[] = [];
    // 2,000 commits a second; the clients offer far more (they would keep 5,000 in flight).
    const first = drive(c, queue, 3000, 2000, 5000);
    const state = c.admission.state;
    expect(state.drainPerSecond).toBeGreaterThan(1900);
    expect(state.drainPerSecond).toBeLessThan(2100);
    // 2,000/s × 150 ms = 300 sends in flight at most.
    expect(state.inFlight).toBeGreaterThan(270);
    expect(state.inFlight).toBeLessThanOrEqual(300);
    expect(state.predictedWaitMs).toBeLessThanOrEqual(151);
    expect(first.refused).toBeGreaterThan(0);
    // The node is kept busy: what it admitted is about what it committed.
    expect(first.admitted).toBeGreaterThan(2000 * 3 * 0.95);
    // Every send waited within the target.
    expect(Math.max(...first.waits)).toBeLessThanOrEqual(250);
  });

  it("keeps every admitted send's wait near the target when the node slows down, and lets the floor through", () => {
    const c = controller(250, 8);
    const queue: AdmissionTicket[] = [];
    const fast = drive(c, queue, 2000, 4000, 10_000);
    expect(p99(fast.waits.slice(-1000))).toBeLessThanOrEqual(160);
    // The node slows to a tenth (its event loop taken by other work): waits are measured as they are.
    const slow = drive(c, queue, 6000, 400, 10_000);
    // The queue admitted at the fast rate drains first (its sends wait longer: they were already
    // in); after that, the admitted sends wait about the target again.
    expect(p99(slow.waits.slice(-400))).toBeLessThanOrEqual(200);
    expect(c.admission.state.drainPerSecond).toBeLessThan(500);
    // Throughput kept: the node committed all the while (it never ran dry).
    expect(slow.waits.length).toBeGreaterThan(400 * 6 * 0.95);
  });

  it("refuses past the floor while even the quickest send of an interval waited longer than the plan (a standing queue)", () => {
    const c = controller(200, 2);
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
    // The prediction lets ~120 in (the plan: 60 % of 200 ms); 50 are admitted...
    const tickets = Array.from({ length: 50 }, () => c.admit());
    // ...but the store stalls: the first five take 250 ms.
    c.clock.t = 350;
    for (const ticket of tickets.slice(0, 5)) c.admission.done(ticket);
    c.clock.t = 451;
    const state = c.admission.state;
    expect(state.standingMs).toBe(249);
    // The prediction alone would still admit (the rate estimate lags)...
    expect(state.predictedWaitMs).toBeLessThan(120);
    // ...the standing delay refuses.
    const verdict = c.admission.admit();
    expect(verdict.admitted).toBe(false);
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

  it("measures the rate only while backlogged: a lighter load afterwards does not lower it", () => {
    const c = controller(250, 8);
    const queue: AdmissionTicket[] = [];
    drive(c, queue, 2000, 2000, 10_000);
    expect(c.admission.state.drainPerSecond).toBeGreaterThan(1900);
    drive(c, queue, 500, 2000, 0);
    expect(queue).toHaveLength(0);
    // The clients now offer 500 a second, one at a time: the node drains each at once, never
    // backlogged. What it did (500/s) says nothing of what it can do.
    for (let t = 0; t < 3000; t += 2) {
      c.clock.t += 2;
      const ticket = c.admit();
      c.admission.done(ticket);
    }
    expect(c.admission.state.drainPerSecond).toBeGreaterThan(1900);
  });

  it("books connections refused one after another after the whole pipeline each brings back", () => {
    const c = controller(250, 4);
    const queue: AdmissionTicket[] = [];
    drive(c, queue, 1000, 1000, 150);
    // A connection's pipeline of 100 sends refused: the first asks, the other 99 are added to its slot.
    const first = c.admission.admit();
    if (first.admitted) throw new Error("admitted");
    for (let i = 1; i < 100; i++) c.admission.reserveSlot(first.slot);
    expect(c.admission.state.bookedSends).toBeGreaterThanOrEqual(100);
    // The next connection refused comes back after them: 100 sends more at 1,000/s.
    const next = c.admission.admit();
    if (next.admitted) throw new Error("admitted");
    // Jitter spreads each over up to 75 ms (half the plan).
    const gap = next.retryAfterMs - first.retryAfterMs;
    expect(gap).toBeGreaterThanOrEqual(100 - 75);
    expect(gap).toBeLessThanOrEqual(100 + 75);
  });

  it("keeps a returning connection's place only when it was served some in its slot", () => {
    const refusedBack = (servedFirst: boolean) => {
      const c = controller(250, 4);
      const queue: AdmissionTicket[] = [];
      // 1,000/s measured; the queue kept full (150 in flight: the plan's 150 ms).
      drive(c, queue, 1000, 1000, 10_000);
      const a = c.admission.admit();
      const b = c.admission.admit();
      if (a.admitted || b.admitted) throw new Error("admitted");
      for (let i = 1; i < 400; i++) c.admission.reserveSlot(a.slot);
      const b2 = c.admission.admit();
      if (b2.admitted) throw new Error("admitted");
      for (let i = 1; i < 400; i++) c.admission.reserveSlot(b2.slot);
      // A's time comes.
      c.clock.t += a.retryAfterMs;
      if (servedFirst) {
        // The node drained 100 as A came back, and A got what fit: the rest of its pipeline keeps its place.
        for (let i = 0; i < 100; i++) {
          c.clock.t += 1;
          c.admission.done(queue.shift() as AdmissionTicket);
        }
      }
      let served = 0;
      for (;;) {
        const verdict = c.admission.admit(a.slot);
        if (!verdict.admitted) {
          expect(served > 0).toBe(servedFirst);
          return verdict.retryAfterMs;
        }
        served += 1;
        queue.push(verdict.ticket);
      }
    };
    // Served some: after the queue only (150 ms of it, landing 37.5 ms early, spread over 75 ms).
    expect(refusedBack(true)).toBeLessThanOrEqual(190);
    // Refused outright (the book was ahead of the node): after B's 400 sends booked too.
    expect(refusedBack(false)).toBeGreaterThan(400);
  });
});

/**
 * Connections that pipeline their whole backlog, as the pipelined surge's clients do: each sends
 * every send it holds (its refused ones again) when its retry time has passed; after one refusal
 * the rest of what it sent is refused with the same retry time. The node commits `rateAt(t)`
 * sends a second, oldest first. Returns when the last send was committed, the waits, the
 * refusals, and the milliseconds the node had nothing to commit while a connection still held
 * sends but was waiting out its retry time.
 */
function pipelines(
  c: ReturnType<typeof controller>,
  options: { connections: number; sendsEach: number; rateAt: (t: number) => number; limitMs: number },
) {
  const clients = Array.from({ length: options.connections }, () => ({
    left: options.sendsEach,
    retryAt: 0,
    slot: undefined as RetrySlot | undefined,
  }));
  const queue: AdmissionTicket[] = [];
  const waits: number[] = [];
  let refused = 0;
  let idleMs = 0;
  let committed = 0;
  const total = options.connections * options.sendsEach;
  let credit = 0;
  while (committed < total && c.clock.t < options.limitMs) {
    c.clock.t += 1;
    credit += options.rateAt(c.clock.t) / 1000;
    if (queue.length === 0 && clients.some((k) => k.left > 0 && k.retryAt > c.clock.t)) idleMs += 1;
    while (credit >= 1 && queue.length > 0) {
      credit -= 1;
      const ticket = queue.shift() as AdmissionTicket;
      waits.push(c.clock.t - ticket.at);
      c.admission.done(ticket);
      committed += 1;
    }
    if (queue.length === 0) credit = Math.min(credit, 1);
    for (const client of clients) {
      if (client.left === 0 || client.retryAt > c.clock.t) continue;
      let slot: RetrySlot | undefined;
      const last = client.slot;
      const sending = client.left;
      for (let i = 0; i < sending; i++) {
        if (slot) {
          c.admission.reserveSlot(slot);
          refused += 1;
          continue;
        }
        const verdict = c.admission.admit(last);
        if (verdict.admitted) {
          queue.push(verdict.ticket);
          client.left -= 1;
        } else {
          slot = verdict.slot;
          client.slot = slot;
          client.retryAt = c.clock.t + verdict.retryAfterMs;
          refused += 1;
        }
      }
    }
  }
  return { doneAt: c.clock.t, committed, waits, refused, idleMs };
}

describe("refused pipelines coming back", () => {
  it("keeps the node busy and every wait within the target while 100 pipelines of 400 come back in their slots", () => {
    const c = controller(250, 32);
    const run = pipelines(c, { connections: 100, sendsEach: 400, rateAt: () => 2000, limitMs: 60_000 });
    expect(run.committed).toBe(40_000);
    // 40,000 sends at 2,000/s: 20 s if the node never waited; within a tenth of that.
    expect(run.doneAt).toBeLessThan(22_000);
    expect(run.idleMs).toBeLessThan(1000);
    expect(p99(run.waits)).toBeLessThanOrEqual(250);
    // Each return of a pipeline longer than the queue refuses its rest: a few refusals per send
    // stored, most of them in the surge's first second, before the node's rate is known.
    expect(run.refused).toBeLessThan(6 * 40_000);
  });

  it("moves the slots forward when the node turns out faster than first measured", () => {
    const c = controller(250, 32);
    // 1,000/s for the first 2 s (the first refusals are planned at it), then 2,500/s.
    const run = pipelines(c, {
      connections: 100,
      sendsEach: 400,
      rateAt: (t) => (t < 2000 ? 1000 : 2500),
      limitMs: 60_000,
    });
    expect(run.committed).toBe(40_000);
    // 2,000 in the first 2 s, 38,000 at 2,500/s: 17.2 s without waiting. Slots all planned at
    // the first rate stretched it to 30 s (the longest wait told); planned no further than 10 s
    // ahead, and planned again then, about 22 s.
    expect(run.doneAt).toBeLessThan(24_000);
    expect(run.idleMs).toBeLessThan(6000);
    expect(p99(run.waits)).toBeLessThanOrEqual(250);
  });
});
