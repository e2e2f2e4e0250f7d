/**
 * @module What `bench/storm.ts` (the conductor) and `bench/storm-generator.ts` (its client
 * processes) say to each other over IPC.
 */

/** One SDK client (one session). Sessions of one account share its token and its conversation. */
export interface StormSession {
  index: number;
  userId: string;
  token: string;
  /** Index of the conversation its account belongs to. */
  conversation: number;
}

/** A conversation: its member accounts; the first creates it. All its sessions live in one generator. */
export interface StormConversation {
  index: number;
  kind: "direct" | "group";
  memberIds: string[];
}

/** Conductor → generator: connect these sessions and create their conversations, then answer `ready`. */
export interface StormPlan {
  type: "plan";
  /** HTTP base URLs of the nodes; session i starts at node i mod n and round-robins on reconnect. */
  urls: string[];
  /** Loopback source address of this generator's sockets (spreads ephemeral ports). */
  localAddress: string;
  sessions: StormSession[];
  conversations: StormConversation[];
  /** Messages per second this generator sends, from random sessions of its own. */
  rate: number;
  /** The SDK's backoff: first ceiling and cap (ms). */
  baseMs: number;
  maxMs: number;
  /** The SDK's `syncIdleMs` and `syncMaxWaitMs`; undefined keeps its defaults. */
  syncIdleMs?: number;
  syncMaxWaitMs?: number;
}

/** Conductor → generator: start sending. */
export interface StormTraffic {
  type: "traffic";
}

/**
 * Conductor → generator: the cut happens at `at` (epoch ms). With `terminate`, this generator
 * drops every client socket itself; otherwise the conductor kills the nodes.
 */
export interface StormCut {
  type: "cut";
  at: number;
  terminate: boolean;
}

/** Conductor → generator: stop sending, wait for every send and delivery, then `report`. */
export interface StormFinish {
  type: "finish";
  drainMs: number;
}

export type ToStormGenerator = StormPlan | StormTraffic | StormCut | StormFinish;

export interface StormReady {
  type: "ready";
  connectMs: number;
}

/** Generator → conductor, once a second after a cut: sessions back and resynced so far. */
export interface StormProgress {
  type: "progress";
  back: number;
}

/** Generator → conductor: everything it measured. */
export interface StormReport {
  type: "report";
  sessions: number;
  /** Per session: ms from the cut until it was open and resynced again (-1: never). */
  backMs: number[];
  /** Per session: the port of the node it came back to (0: never). */
  backPort: number[];
  /** Reconnect attempts after the cut that failed (refused, reset, node not yet listening). */
  failedAttempts: number;
  /** Socket errors of those attempts, by message. */
  attemptErrors: Record<string, number>;
  /** Sessions that never came back, counted by what they were doing at the end. */
  notBack: Record<string, number>;
  /** Sends made, acknowledged, and failed outright (the outbox gave up). */
  sent: number;
  acked: number;
  sendFailed: number;
  /** Sends still unacknowledged at the end of the drain. */
  unacked: number;
  /** Deliveries (message.new events at every session, the sender's own included) expected and seen. */
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  /** Of those, at sessions that came back (the rest never resynced). */
  lostAtBack: number;
  duplicated: number;
  outOfOrder: number;
  /** Seqs stored beyond the number of distinct sends: a retried send stored twice (G2 broken). */
  storedTwice: number;
  /** This process's CPU time (ms) from the cut to the report, and the wall time it covers. */
  cpuMs: number;
  wallMs: number;
  /** This process's own event-loop delay after the cut (ms, p99 and max). */
  loopP99Ms: number;
  loopMaxMs: number;
}

export interface StormFail {
  type: "fail";
  error: string;
}

export type FromStormGenerator = StormReady | StormProgress | StormReport | StormFail;
