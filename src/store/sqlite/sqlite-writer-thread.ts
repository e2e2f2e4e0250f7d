/** @module The SQLite writer thread: runs the group commits' transactions on its own connection, so COMMIT and its fsync never stop the event loop. */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { HaetaeError } from "../../protocol/index.js";
import { APPEND_MESSAGE } from "../sql/append-messages.js";
import { type BatchableWrite, type Outcome, runGroup } from "../sql/group-commit.js";
import { WRITER_AUTOCHECKPOINT_PAGES } from "./sqlite-checkpointer.js";
import { SqliteExecutor } from "./sqlite-executor.js";

/** What the main thread asks of the writer; replies carry the same `id`. */
export type WriterRequest = { id: number } & (
  | { op: "exec"; method: "get" | "all" | "run"; sql: string; params: readonly unknown[] }
  | { op: "group"; name: string; inputs: unknown[] }
  | { op: "begin" | "commit" | "rollback" | "ping" | "close" }
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

/** Start options, passed as `workerData`. */
export interface WriterData {
  file: string;
}

/** Every batchable write the writer can run by name; a kind missing here runs statement by statement. */
const KINDS = new Map<string, BatchableWrite<unknown, unknown>>([
  [APPEND_MESSAGE.name as string, APPEND_MESSAGE as BatchableWrite<unknown, unknown>],
]);

function toWire(error: unknown): WireError {
  const e = error as { message?: unknown; name?: unknown; code?: unknown; retryAfterMs?: unknown };
  return {
    message: String(e?.message ?? error),
    name: typeof e?.name === "string" ? e.name : "Error",
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
    ...(typeof e?.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {}),
    haetae: error instanceof HaetaeError,
  };
}

function wireOutcomes(outcomes: Outcome[]): unknown[] {
  return outcomes.map((o) => (o.ok ? o : { ok: false, error: toWire(o.error) }));
}

const port = parentPort;
if (!port) throw new Error("sqlite-writer-thread runs only as a worker thread");
const { file } = workerData as WriterData;
const db = new Database(file);
db.pragma("journal_mode = WAL");
// G1: COMMIT returns only after the WAL is on disk; the ack waits for this thread's reply.
db.pragma("synchronous = FULL");
db.pragma("foreign_keys = ON");
db.pragma("busy_timeout = 5000");
// The checkpointer thread copies the WAL into the database file; the writer's own automatic
// checkpoint, inside a COMMIT, is only its backstop.
db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
const exec = new SqliteExecutor(db);
/**
 * Set when a group failed as a whole inside the open transaction. The main thread posts a
 * batch's groups and its COMMIT together, without waiting between them; a COMMIT after a failed
 * group is refused, so the transaction is rolled back and no part of that batch is kept.
 */
let groupFailed = false;

async function handle(request: WriterRequest): Promise<unknown> {
  // A statement outside a transaction would autocommit on its own: if BEGIN failed (it is
  // pipelined, not awaited), everything after it in the batch must fail, not half-commit.
  if ((request.op === "exec" || request.op === "group" || request.op === "commit") && !db.inTransaction) {
    throw new Error("no write transaction is open");
  }
  switch (request.op) {
    case "exec":
      return exec[request.method](request.sql, request.params);
    case "group": {
      const kind = KINDS.get(request.name);
      try {
        if (!kind) throw new Error(`unknown batchable write ${request.name}`);
        return wireOutcomes(await runGroup(exec, kind, request.inputs));
      } catch (error) {
        groupFailed = true;
        throw error;
      }
    }
    case "begin":
      groupFailed = false;
      return exec.run("BEGIN IMMEDIATE");
    case "commit":
      if (groupFailed) throw new Error("a group of this transaction failed; it is not committed");
      return exec.run("COMMIT");
    case "rollback":
      if (db.inTransaction) await exec.run("ROLLBACK");
      return undefined;
    case "ping":
      return exec.get("SELECT 1 AS one");
    case "close":
      db.close();
      return undefined;
  }
}

// Requests run strictly one after another, in the order they were posted.
let chain: Promise<void> = Promise.resolve();
port.on("message", (request: WriterRequest) => {
  chain = chain.then(async () => {
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
