/** @module Request dispatch: the checks a decoded request passes before it is queued, the handler that answers it, and its reply or error frame. */
import type { Config } from "../config/config.js";
import type { ClientLimits } from "../guard/client-limits.js";
import type { AdmissionTicket, SendAdmission } from "../guard/send-admission.js";
import type { TokenBucket } from "../guard/token-bucket.js";
import { errorAnswer } from "../http/wire-errors.js";
import type { Metrics } from "../ops/metrics.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import { ERRORS, type ErrorCode, HaetaeError, type RequestType } from "../protocol/index.js";
import type { DecodedRequest } from "./frame-decoder.js";
import { HANDLERS, type HandlerEnv, type RequestTraits, TRAITS } from "./handlers.js";
import type { ReadPauses } from "./read-pauses.js";
import type { RequestTurn, Session } from "./session.js";
import { LIMIT_MESSAGES } from "./ws-admission.js";

/** Every handler, as dispatch calls it: the table's types are checked where it is written. */
type AnyHandler = (env: HandlerEnv, session: Session, params: unknown, queued: () => void) => Promise<object>;

/** What dispatch works with: the handlers' environment, the shared limits, where refusals go, and what it counts. */
export interface DispatchDeps {
  env: HandlerEnv;
  config: Pick<Config, "requestBurst" | "sendQueueTargetMs">;
  metrics: Metrics;
  limits: Pick<ClientLimits, "request">;
  readPauses: Pick<ReadPauses, "pause" | "pauseFor">;
  /** False once the node stops taking requests (draining before it exits). */
  accepting(): boolean;
  /** Where request outcomes feed the service-level indicators (send, history). */
  traffic?: TrafficSli;
  /** Admission of sends by their predicted wait (absent: sends queue up to the store's bound). */
  admission?: Pick<SendAdmission, "admit" | "reserveSlot" | "done">;
}

/** The refusal of a send the node would make wait longer than its target: one text, its retry time apart. */
const SEND_WAIT_MESSAGE = "This node is busy: the send would wait too long; retry after retryAfterMs.";

/**
 * Takes every request of every connection the same way: refused at once when the node is
 * draining, when its type sheds it, or past the connection's, the user's or the address's
 * rate; else queued in its connection's order, run, and answered `ok` or with the catalogue
 * error its failure maps to, in the order the requests came.
 */
export class RequestDispatch {
  constructor(private readonly deps: DispatchDeps) {}

  /** A decoded request of `session`, from `address`, whose connection's own rate is `bucket`. */
  take(session: Session, bucket: TokenBucket, address: string, request: DecodedRequest): void {
    const { type, id, params } = request;
    const traits = (TRAITS[type] ?? {}) as RequestTraits<RequestType>;
    const { metrics } = this.deps;
    if (!this.deps.accepting()) {
      replyError(session, id, "unavailable", "This node is shutting down; reconnect to another.", 500);
      return;
    }
    const shed = traits.shed?.(this.deps.env, session);
    if (shed) {
      metrics.countRequest(type, shed.code);
      replyError(session, id, shed.code, shed.message, shed.retryAfterMs);
      return;
    }
    // A connection may not queue more work than its burst: a client that pipelines without
    // waiting for replies is told to slow down instead of growing this node's memory.
    const wait = session.pendingRequests >= this.deps.config.requestBurst ? 100 : bucket.take();
    if (wait > 0) {
      metrics.countRequest(type, "rate_limited");
      replyError(session, id, "rate_limited", ERRORS.rate_limited.message, wait);
      return;
    }
    // Shared by every connection of the user, and of the address, on this node: more devices or
    // sessions do not multiply the rate (per node: N nodes allow up to N times as much).
    const refusal = this.deps.limits.request(session.userId, address, traits.send === true);
    if (refusal) {
      metrics.countRequest(type, "rate_limited");
      replyError(session, id, "rate_limited", LIMIT_MESSAGES[refusal.limit], refusal.retryAfterMs);
      return;
    }
    // A send's wait is measured from here (its frame's arrival), admitted by time or not.
    let ticket: AdmissionTicket | undefined = traits.send ? { at: performance.now() } : undefined;
    if (traits.send && this.deps.admission) {
      const verdict = this.admission(session);
      if (!verdict.admitted) {
        metrics.countRequest(type, "overloaded");
        replyError(session, id, "overloaded", SEND_WAIT_MESSAGE, verdict.retryAfterMs);
        return;
      }
      ticket = verdict.ticket;
    }
    session.enqueue((turn) => this.run(session, type, traits, id, params, turn, ticket), traits.send === true);
  }

  /**
   * A send's admission. Once one send of a connection is refused, its later ones are refused
   * until the retry time given has passed, without asking again (each added to the connection's
   * retry slot, so other connections are booked after it), and the connection is not read
   * until then (`ReadPauses.pauseFor`): a client that pipelines gets one contiguous run of
   * refusals (the frames of the chunk already read), not one in the middle of accepted ones, and
   * the rest of its pipeline waits unread instead of costing a parse and a refusal each.
   */
  private admission(
    session: Session,
  ): { admitted: true; ticket: AdmissionTicket } | { admitted: false; retryAfterMs: number } {
    const now = performance.now();
    const admission = this.deps.admission as Pick<SendAdmission, "admit" | "reserveSlot">;
    if (session.sendsRefusedUntil > now && session.sendsRetrySlot) {
      admission.reserveSlot(session.sendsRetrySlot);
      return { admitted: false, retryAfterMs: Math.ceil(session.sendsRefusedUntil - now) };
    }
    const verdict = admission.admit(session.sendsRetrySlot);
    if (!verdict.admitted) {
      session.sendsRefusedUntil = now + verdict.retryAfterMs;
      session.sendsRetrySlot = verdict.slot;
      // Not read for a while, at most the target: the frames left unread are then read inside
      // the connection's retry time and refused, so no send is accepted after waiting unread.
      this.deps.readPauses.pauseFor(session, Math.min(verdict.retryAfterMs, this.deps.config.sendQueueTargetMs));
    }
    return verdict;
  }

  private async run(
    session: Session,
    type: RequestType,
    traits: RequestTraits<RequestType>,
    id: string | number,
    params: unknown,
    turn: RequestTurn,
    ticket: AdmissionTicket | undefined,
  ): Promise<void> {
    const { env, metrics, traffic, admission } = this.deps;
    const started = performance.now();
    let outcome: ErrorCode | "ok" = "ok";
    // The send has left the node's queue once its write committed or failed: before its reply
    // waits for the earlier ones, which is the connection's order, not the node's queue.
    const left = () => {
      if (!ticket) return;
      admission?.done(ticket);
      metrics.sendWait.observe((performance.now() - ticket.at) / 1000);
      ticket = undefined;
    };
    try {
      const reply = await (HANDLERS[type] as AnyHandler)(env, session, params, turn.queued);
      left();
      traits.answered?.(env, session, reply as never);
      await turn.previous;
      session.send(JSON.stringify({ type: "ok", id, ...reply }));
      metrics.countRequest(type, "ok");
    } catch (error) {
      left();
      if (traits.pausesReadingWhenOverloaded && error instanceof HaetaeError && error.code === "overloaded") {
        this.deps.readPauses.pause(session);
      }
      await turn.previous;
      const answer = errorAnswer(error);
      if (answer.unexpected) console.error(`request ${type} failed:`, error);
      outcome = answer.error.code;
      metrics.countRequest(type, outcome);
      replyError(session, id, outcome, answer.error.message, answer.error.retryAfterMs);
    } finally {
      const ms = performance.now() - started;
      metrics.timeRequest(type, ms / 1000);
      traffic?.request(type, session.userId, outcome, ms);
    }
  }
}

/** Send `session` an error frame; `id` null when the frame it answers had none that could be read. */
export function replyError(
  session: Session,
  id: string | number | null,
  code: ErrorCode,
  message: string,
  retryAfterMs?: number,
): void {
  const frame: Record<string, unknown> = { type: "error", id, code, message };
  if (retryAfterMs !== undefined) frame.retryAfterMs = retryAfterMs;
  session.send(JSON.stringify(frame));
}
