/** @module What crosses between the main thread and a store's writer thread: requests, replies, errors, and the loop that serves them in order. */
import type { MessagePort } from "node:worker_threads";
import { type ErrorCode, HaetaeError } from "../../protocol/errors.js";
import { StoreConflictError, StoreInvalidValueError, StoreUnavailableError } from "../store-errors.js";
import { APPEND_MESSAGE, APPEND_MESSAGE_ARRAYS } from "./append-messages.js";
import { type BatchableWrite, type Outcome, runGroup } from "./group-commit.js";
import type { SqlExecutor } from "./sql-driver.js";

/**
 * What the main thread asks of the writer; replies carry the same `id`. `lane` names the
 * connection (a writer may hold several, each with a transaction of its own; 0 when absent).
 * `begin`: open the lane's transaction first (a batch's BEGIN travels with its first request,
 * not as a message of its own). A group with `commit` commits the transaction once it ran: the
 * one request of a batch that is one group.
 */
export type WriterRequest = { id: number; lane?: number; begin?: boolean } & (
  | { op: "exec"; method: "get" | "all" | "run"; sql: string; params: readonly unknown[] }
  | { op: "group"; name: string; inputs: unknown[]; commit?: boolean }
  | { op: "commit" | "rollback" | "ping" | "close" }
);

/** An error as it crosses the thread boundary: structured clone keeps neither the class nor `code`. */
export interface WireError {
  message: string;
  name: string;
  code?: string;
  retryAfterMs?: number;
  haetae: boolean;
}

/** The writer's answer to one request. */
export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** Every batchable write a writer can run by name; a kind missing here runs statement by statement. */
const KINDS = new Map<string, BatchableWrite<unknown, unknown>>([
  [APPEND_MESSAGE.name as string, APPEND_MESSAGE as BatchableWrite<unknown, unknown>],
  [APPEND_MESSAGE_ARRAYS.name as string, APPEND_MESSAGE_ARRAYS as BatchableWrite<unknown, unknown>],
]);

export function toWire(error: unknown): WireError {
  const e = error as { message?: unknown; name?: unknown; code?: unknown; retryAfterMs?: unknown };
  return {
    message: String(e?.message ?? error),
    name: typeof e?.name === "string" ? e.name : "Error",
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
    ...(typeof e?.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {}),
    haetae: error instanceof HaetaeError,
  };
}

/** The store-level errors, by name: a driver's thread throws them, its callers test for their classes. */
const STORE_ERRORS = new Map<string, new (message: string) => Error>(
  [StoreUnavailableError, StoreInvalidValueError, StoreConflictError].map((type) => [type.name, type]),
);

/** The error back in its class where it has one the store's callers test for. */
export function fromWire(error: WireError): Error {
  if (error.haetae && error.code) return new HaetaeError(error.code as ErrorCode, error.message, error.retryAfterMs);
  const StoreError = STORE_ERRORS.get(error.name);
  if (StoreError) return new StoreError(error.message);
  return Object.assign(new Error(error.message), { name: error.name, ...(error.code ? { code: error.code } : {}) });
}

function wireOutcomes(outcomes: Outcome[]): unknown[] {
  return outcomes.map((o) => (o.ok ? o : { ok: false, error: toWire(o.error) }));
}

/** The one connection a writer thread holds, in its dialect. */
export interface WriterBackend {
  readonly exec: SqlExecutor;
  /** True while a write transaction is open. */
  inTransaction(): boolean;
  begin(): Promise<void>;
  commit(): Promise<void>;
  /** Roll back the open transaction, if there is one. */
  rollback(): Promise<void>;
  ping(): Promise<unknown>;
  close(): Promise<void>;
  /**
   * Set where each statement is a round trip to a database server (PostgreSQL): a group that
   * succeeded leaves its savepoint for COMMIT to end (`runGroup`'s `leaveToCommit`).
   */
  readonly savepointsEndAtCommit?: boolean;
}

/**
 * Serve the main thread's requests on `port`: those of one lane strictly one after another, in
 * the order they were posted, on that lane's backend (`backendOf(lane)`); lanes run side by side.
 * The main thread posts a batch's groups and its COMMIT together, without waiting between them
 * (or a group that commits itself); a COMMIT after a failed group is refused, so the transaction
 * is rolled back and no part of that batch is kept. A statement outside a transaction would
 * autocommit on its own: if the BEGIN a request carries fails, that request fails, and the
 * batch with it. `ping` and `close` go to every lane there is.
 */
export function serveWriter(port: MessagePort, backendOf: (lane: number) => WriterBackend): void {
  const lanes = new Map<number, { backend: WriterBackend; groupFailed: boolean; chain: Promise<void> }>();
  const laneOf = (n: number) => {
    let lane = lanes.get(n);
    if (!lane) {
      lane = { backend: backendOf(n), groupFailed: false, chain: Promise.resolve() };
      lanes.set(n, lane);
    }
    return lane;
  };
  async function handle(request: WriterRequest): Promise<unknown> {
    const lane = laneOf(request.lane ?? 0);
    const backend = lane.backend;
    if (request.begin) {
      lane.groupFailed = false;
      await backend.begin();
    }
    if ((request.op === "exec" || request.op === "group" || request.op === "commit") && !backend.inTransaction()) {
      throw new Error("no write transaction is open");
    }
    switch (request.op) {
      case "exec":
        return backend.exec[request.method](request.sql, request.params);
      case "group": {
        const kind = KINDS.get(request.name);
        try {
          if (!kind) throw new Error(`unknown batchable write ${request.name}`);
          const outcomes = await runGroup(backend.exec, kind, request.inputs, backend.savepointsEndAtCommit);
          if (request.commit) await backend.commit();
          return wireOutcomes(outcomes);
        } catch (error) {
          lane.groupFailed = true;
          throw error;
        }
      }
      case "commit":
        if (lane.groupFailed) throw new Error("a group of this transaction failed; it is not committed");
        return backend.commit();
      case "rollback":
        return backend.rollback();
      case "ping":
        return backend.ping();
      case "close":
        for (const other of lanes.values()) if (other !== lane) await other.chain;
        await Promise.all([...lanes.values()].map((l) => l.backend.close()));
        return;
    }
  }
  port.on("message", (request: WriterRequest) => {
    const lane = laneOf(request.lane ?? 0);
    lane.chain = lane.chain.then(async () => {
      let reply: WriterReply;
      try {
        reply = { id: request.id, ok: true, value: await handle(request) };
      } catch (error) {
        reply = { id: request.id, ok: false, error: toWire(error) };
      }
      port.postMessage(reply);
      if (request.op === "close") port.close();
    });
  });
}
