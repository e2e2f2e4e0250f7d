/** @module Exactly-once, in-order delivery of feed events that arrive both live and from sync. */
import type { FeedEvent, MessageNewEvent } from "../protocol/index.js";

/** How many eventIds are remembered for deduplication; old ones are forgotten first. */
const SEEN_LIMIT = 20_000;

/**
 * Turns two overlapping streams — live frames and `sync` pages — into one stream in which every
 * feed event is delivered once, and `message.new` strictly in seq order per conversation (G3/G4).
 *
 * Deduplication: by `eventId`, in a bounded set (an event older than the set is still caught for
 * `message.new` by its seq). The sync cursor moves past delivered events, so old copies stop
 * coming back long before they are forgotten.
 *
 * The gap rule, for a live `message.new` in conversation C with seq `s`:
 * - `s <= last delivered seq of C`: a copy, dropped.
 * - `s == last + 1`, or C is unknown and `s == 1`: delivered at once.
 * - otherwise (a gap, or C is unknown and `s > 1`): the event — and every later live event of C —
 *   is held back and a sync is asked for. Events the sync brings are delivered as they come and
 *   held ones are released as soon as they are next in line.
 * - When a sync that *started after* the hold has read the feed to its end, whatever is still held
 *   is released in feed order even if a seq is missing: the feed is the truth for this user, so a
 *   gap it cannot fill is not a loss — the user joined the group after those messages, or this
 *   client started from a saved cursor and never saw the conversation. The first released seq
 *   becomes C's baseline. So nothing waits longer than one sync round trip.
 * Events that come *from* sync are never held: sync is the feed itself, there is nothing to ask.
 */
export class FeedSequencer {
  private readonly lastSeq = new Map<string, number>();
  private readonly held = new Map<string, { events: FeedEvent[]; syncsBefore: number }>();
  private readonly seen = new Set<number>();
  private syncsStarted = 0;

  /**
   * @param deliver called once per event, in order
   * @param needSync called when a live gap needs a sync; the caller runs one soon and reports it
   *   with {@link syncStarted} and {@link syncFinished}
   */
  constructor(
    private readonly deliver: (event: FeedEvent) => void,
    private readonly needSync: () => void,
  ) {}

  /** The highest seq delivered in a conversation, or undefined when none was. */
  lastDeliveredSeq(conversationId: string): number | undefined {
    return this.lastSeq.get(conversationId);
  }

  /** How many live events are waiting for a sync to fill a gap in front of them. */
  get heldCount(): number {
    let count = 0;
    for (const hold of this.held.values()) count += hold.events.length;
    return count;
  }

  /** A feed event pushed by the server on the open connection. */
  live(event: FeedEvent): void {
    if (this.seen.has(event.eventId)) return;
    const hold = this.held.get(event.conversationId);
    if (hold) {
      // Behind a held message, even an edit or a receipt waits, so the app never sees an edit
      // of a message it has not been given yet.
      hold.events.push(event);
      return;
    }
    if (event.type === "message.new" && this.isGap(event)) {
      this.held.set(event.conversationId, { events: [event], syncsBefore: this.syncsStarted });
      this.needSync();
      return;
    }
    this.accept(event);
  }

  /** A feed event from a `sync` page, in feed order. */
  fromSync(event: FeedEvent): void {
    if (!this.seen.has(event.eventId)) this.accept(event);
    this.drain(event.conversationId, false);
  }

  /** A sync is about to read the feed; returns its number for {@link syncFinished}. */
  syncStarted(): number {
    this.syncsStarted += 1;
    return this.syncsStarted;
  }

  /** Sync number `n` read the feed to its end: release every hold it was able to fill. */
  syncFinished(n: number): void {
    for (const [conversationId, hold] of [...this.held]) {
      if (hold.syncsBefore < n) this.drain(conversationId, true);
    }
  }

  private isGap(event: MessageNewEvent): boolean {
    return event.seq > (this.lastSeq.get(event.conversationId) ?? 0) + 1;
  }

  private accept(event: FeedEvent): void {
    this.remember(event.eventId);
    if (event.type === "message.new") {
      const last = this.lastSeq.get(event.conversationId);
      if (last !== undefined && event.seq <= last) return;
      this.lastSeq.set(event.conversationId, event.seq);
    } else if (event.type === "conversation.created" && !this.lastSeq.has(event.conversationId)) {
      // A conversation seen from its creation has no earlier messages: seq 1 is next.
      this.lastSeq.set(event.conversationId, 0);
    }
    this.deliver(event);
  }

  /** Deliver held events of a conversation while they are next in line (all of them when forced). */
  private drain(conversationId: string, force: boolean): void {
    const hold = this.held.get(conversationId);
    if (!hold) return;
    hold.events.sort((a, b) => a.eventId - b.eventId);
    while (hold.events.length > 0) {
      const next = hold.events[0] as FeedEvent;
      if (!this.seen.has(next.eventId)) {
        if (!force && next.type === "message.new" && this.isGap(next)) break;
        this.accept(next);
      }
      hold.events.shift();
    }
    if (hold.events.length === 0) this.held.delete(conversationId);
  }

  private remember(eventId: number): void {
    this.seen.add(eventId);
    if (this.seen.size > SEEN_LIMIT) {
      // A Set iterates in insertion order, so the first value is the oldest.
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
