/**
 * @module What `bench/load.ts` (the conductor) and `bench/load-generator.ts` (its worker
 * processes) say to each other over IPC, and the small helpers both use.
 */
import type { Phase, TimelineBucket } from "./load-timeline.js";

/** The servers one run drives with the same load (the ejabberd ones carry 1:1 chats only). */
export type Target = "haetae" | "ws" | "socketio" | "socketio-full" | "ejabberd" | "ejabberd-mam";

/**
 * One simulated user: one connection. `userId`/`token` are Haetae's (for ejabberd: the bare JID
 * and password); the other peers use `u<index>`.
 */
export interface PlannedClient {
  index: number;
  userId: string;
  token: string;
}

/** A conversation and its members (client indexes). Every member lives in the same worker. */
export interface PlannedConversation {
  index: number;
  kind: "direct" | "group";
  members: number[];
}

/** Conductor → worker: the plan. The worker connects everything, then answers `ready`. */
export interface PlanMessage {
  type: "plan";
  target: Target;
  /** ws:// URL of Haetae's gateway, the bare ws peer or ejabberd's XMPP; http:// base of the Socket.IO peer. */
  url: string;
  clients: PlannedClient[];
  conversations: PlannedConversation[];
  /** Messages per second this worker sends, spread evenly over its clients. */
  rate: number;
  /** Most unanswered sends per connection (0: none, open loop). The bare ws peer never answers. */
  window: number;
  /** Sent at the rate but not measured, then the measured window. */
  warmupSeconds: number;
  seconds: number;
  /** Longest wait after the send window for outstanding acks and deliveries. */
  drainSeconds: number;
  /**
   * A schedule that changes rate (`bench:surge`): these phases replace `rate` and together last
   * `warmupSeconds + seconds`. Rates are this worker's messages per second.
   */
  phases?: Phase[];
  /** When set, the report carries a timeline in buckets of this length (ms). */
  bucketMs?: number;
}

/** Conductor → worker: begin the send window now. */
export interface StartMessage {
  type: "start";
}

export type ToWorker = PlanMessage | StartMessage;

export interface ReadyMessage {
  type: "ready";
  connectMs: number;
}

/** Worker → conductor, after the drain: everything it measured. Latencies in ms. */
export interface ReportMessage {
  type: "report";
  /** Sends due by the schedule (warm-up and window) and sends made. */
  due: number;
  sent: number;
  /** Sends the server accepted (acked; for the bare ws peer, which never acks: sent). */
  accepted: number;
  acceptedInWindow: number;
  /** Refused with `retryAfterMs` (retried later with the same clientMsgId), and failed outright. */
  refused: number;
  failed: number;
  /** Sends never answered by the end of the drain. */
  unanswered: number;
  /** message.new received by members other than the sender. */
  delivered: number;
  deliveredInWindow: number;
  expectedDeliveries: number;
  ackLatencies: number[];
  deliverLatencies: number[];
  /** Messages of the window never accepted by the end of the drain; in the latencies with their wait so far. */
  censored: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** How the loss/duplicate/order check was made. */
  check: string;
  /** This process's CPU time (user + system, ms) over the measured window and its length. */
  cpuMs: number;
  windowMs: number;
  /** This process's own event-loop delay over the window (ms): high values inflate latencies. */
  loopP99Ms: number;
  /** Longest time the send schedule ran behind (ms). */
  maxBehindMs: number;
  drainMs: number;
  /** When the schedule started, ms since the epoch (comparable across processes). */
  startedAt: number;
  /** Figures per bucket from the start, when the plan asked for them. */
  timeline?: TimelineBucket[];
}

export interface FailMessage {
  type: "fail";
  error: string;
}

export type FromWorker = ReadyMessage | ReportMessage | FailMessage;

/** Value at quantile `q` of an ascending array (0 when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
