/** @module Retry slots: when a refused client should come back, so that refused clients return one admission slot apart instead of all at once. */

/**
 * Hands each refused caller its own future slot, `1000 / ratePerSecond` ms after the slot handed
 * out before it. A token bucket alone tells every caller refused in the same moment the same
 * wait (until its next token), so a storm of clients refused together comes back together and
 * is refused again; with slots, N refused clients are told waits spread over N / rate seconds,
 * the pace at which the bucket can admit them. Waits never exceed `maxWaitMs`: past that, every
 * caller is told `maxWaitMs` (and the client's own jitter spreads them).
 */
export class RetrySlots {
  private nextSlotAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ratePerSecond: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The wait in ms until this caller's slot. */
  next(): number {
    const now = this.now();
    this.nextSlotAt = Math.min(Math.max(this.nextSlotAt, now) + 1000 / this.ratePerSecond, now + this.maxWaitMs);
    return Math.max(1, Math.ceil(this.nextSlotAt - now));
  }
}

/** A refused caller's booked return: when it is due, and how many sends it will bring back. */
export interface RetrySlot {
  readonly dueAt: number;
  /** Sends refused to it so far in this retry time (one when booked). */
  sends: number;
  /** What it was counted for when booked: the typical caller's sends, until its own are more. */
  readonly expected: number;
  /** False once its time has come (it is no longer ahead of anyone), and for a slot nobody is planned behind. */
  open: boolean;
  /**
   * Whether it is its caller's place in the plan, which the caller keeps when it comes back with
   * more than the node takes at once. False for a slot outside the book (`unbooked`) and for a
   * check past the horizon: the slots booked after those were not planned behind their sends.
   */
  readonly placed: boolean;
  /** Sends of its caller admitted since its time came. */
  served: number;
}

/** How the book is set up. */
export interface RetryBookOptions {
  /** A wait is never below this, ms. */
  minWaitMs: number;
  /** A wait is never above this, ms. */
  maxWaitMs: number;
  /** Each slot lands at a random point of a window this long after its planned time, ms. */
  jitterMs: number;
  /**
   * How far ahead a slot is planned, ms: a caller whose slot would come later is told to come
   * back at half its planned time (this at least), spread at random by up to half of that, and
   * is planned again then (10 s by default).
   */
  horizonMs?: number;
  now?: () => number;
  /** Uniform in [0, 1) (Math.random by default; a fixed sequence in tests). */
  random?: () => number;
}

/** Weight of a closed slot's sends in the typical caller's. */
const TYPICAL_WEIGHT = 0.2;

/**
 * Retry slots that follow the node's drain as it is now, not as it was when the slots were
 * handed out. Each refused caller is booked with the sends it will bring back (its own refusals
 * in its retry time are added to its slot); a new caller's slot comes once the queue in the node
 * and every send booked ahead of it, whose slots are still to come, have drained at the rate
 * measured now — so when the rate rises, or callers come back and are served, new slots move
 * forward into the room that made, instead of after the last slot ever given. A caller is counted
 * for the typical caller's sends until its own refusals say more (its pipeline arrives over
 * several reads, after callers refused just behind it were booked). The slot is planned to land
 * while `leadMs` of work is still queued, so the node is never left waiting for it, then spread
 * over `jitterMs` at random, so callers booked for the same moment do not come back in one wave.
 *
 * No slot is planned further than `horizonMs`: a caller that would come later is told to check
 * in at half its planned time (the horizon at least, spread by up to half of that) and is planned
 * again when it comes. A slot planned far ahead at a rate measured in the surge's first seconds
 * (the node busy reading it) kept its caller away after the node had turned faster, and nobody
 * else was refused to fill the room. Each check costs the rest of the caller's pipeline in
 * refusals; checking in half-way, not every horizon, makes fewer checks for callers far back.
 */
export class RetryBook {
  /** Open slots, soonest first (a binary heap on dueAt). */
  private readonly heap: RetrySlot[] = [];
  /** Sends of the open slots, each counted as max(expected, sends). */
  private ahead = 0;
  private typical = 1;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: RetryBookOptions) {
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
  }

  /**
   * Book a refused caller behind `queued` sends in the node and every open slot, draining at
   * `perSecond`; to land while `leadMs` of work is still queued. Returns its slot and the wait.
   * `inPlace`: the caller is one whose slot has just come and who brought back more than the
   * node took at once (it was served some); the slots booked since were planned after all of its
   * sends, so the rest keeps its place, behind the queue in flight only (after every open slot, a
   * pipeline longer than the queue went to the back each time it came, and the node idled in
   * between).
   */
  book(queued: number, perSecond: number, leadMs: number, inPlace = false): { slot: RetrySlot; waitMs: number } {
    const now = this.now();
    this.close(now);
    const drainMs = perSecond > 0 ? ((queued + (inPlace ? 0 : this.ahead)) / perSecond) * 1000 : 0;
    const horizon = this.options.horizonMs ?? 10_000;
    const placed = drainMs - leadMs <= horizon;
    const planned = placed
      ? Math.max(0, drainMs - leadMs) + this.random() * this.options.jitterMs
      : Math.max(horizon, (drainMs - leadMs) / 2) * (1 + this.random() / 2);
    const waitMs = Math.ceil(Math.min(this.options.maxWaitMs, Math.max(this.options.minWaitMs, planned)));
    const expected = Math.max(1, Math.round(this.typical));
    // A check past the horizon is nobody's predecessor: it is planned when it comes.
    const slot: RetrySlot = { dueAt: now + waitMs, sends: 1, expected, open: placed, placed, served: 0 };
    if (placed) {
      this.ahead += slot.expected;
      this.push(slot);
    }
    return { slot, waitMs };
  }

  /** A slot outside the book: `waitMs` (within the bounds), nobody booked behind it. */
  unbooked(waitMs: number): { slot: RetrySlot; waitMs: number } {
    const wait = Math.ceil(Math.min(this.options.maxWaitMs, Math.max(this.options.minWaitMs, waitMs)));
    return {
      slot: { dueAt: this.now() + wait, sends: 1, expected: 1, open: false, placed: false, served: 0 },
      waitMs: wait,
    };
  }

  /** One more send refused to `slot`'s caller in its retry time: it brings that one back too. */
  reserve(slot: RetrySlot): void {
    if (slot.open && slot.sends >= slot.expected) this.ahead += 1;
    slot.sends += 1;
  }

  /** Sends booked in slots still to come. */
  get booked(): number {
    this.close(this.now());
    return this.ahead;
  }

  /** Close the slots whose time has come; they teach the typical caller's sends. */
  private close(now: number): void {
    while (this.heap.length > 0 && (this.heap[0] as RetrySlot).dueAt <= now) {
      const slot = this.pop();
      slot.open = false;
      this.ahead -= Math.max(slot.expected, slot.sends);
      this.typical += (slot.sends - this.typical) * TYPICAL_WEIGHT;
    }
  }

  private push(slot: RetrySlot): void {
    const heap = this.heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as RetrySlot).dueAt <= slot.dueAt) break;
      heap[i] = heap[parent] as RetrySlot;
      i = parent;
    }
    heap[i] = slot;
  }

  private pop(): RetrySlot {
    const heap = this.heap;
    const top = heap[0] as RetrySlot;
    const last = heap.pop() as RetrySlot;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as RetrySlot).dueAt < (heap[left] as RetrySlot).dueAt ? right : left;
      if ((heap[child] as RetrySlot).dueAt >= last.dueAt) break;
      heap[i] = heap[child] as RetrySlot;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
