/** @module The main thread's side of a store's writer thread: requests out, replies in, and what a crash of the thread means for writes in flight. */
import { Worker } from "node:worker_threads";
import { StoreUnavailableError } from "../store-errors.js";
import type { BatchableWrite, BatchConnection, Outcome } from "./group-commit.js";
import type { SqlExecutor } from "./sql-driver.js";
import { fromWire, type WireError, type WriterReply, type WriterRequest } from "./writer-protocol.js";

/**
 * The URL of a thread module named `name` beside `moduleUrl`: its `.ts` file when running from
 * the TypeScript sources (tests, `tsx`), its `.js` file in the compiled build.
 */
export function threadModuleUrl(moduleUrl: string, name: string): URL {
  return new URL(`./${name}.${moduleUrl.endsWith(".ts") ? "ts" : "js"}`, moduleUrl);
}

/** A thread for the compiled build; from the sources, a bootstrap that registers tsx's loader first (a worker does not inherit it on Node 20). */
export function spawnThread(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData });
  // Resolved from the working directory: only tests and `tsx` runs take this path, from the project root.
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Crashes within this window that make the writer give up (and the node go unready) instead of restarting. */
const CRASH_WINDOW_MS = 10_000;
const MAX_CRASHES = 3;

type Request = WriterRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/**
 * Owns the writer thread. Every request gets a promise settled by the thread's reply. If the
 * thread dies, every request in flight is rejected with `StoreUnavailableError` (the client
 * hears `unavailable`, retryable, and G2 makes the retry safe): a write whose COMMIT reply never
 * came is never acknowledged, even if it did reach the disk. The thread is then started again;
 * after `MAX_CRASHES` crashes in `CRASH_WINDOW_MS` it stays down and every write and `ping`
 * fails, so the node reports itself unready rather than crash-looping.
 */
export class WriterThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly inFlight = new Map<number, { resolve: (value: unknown) => void; reject: (e: unknown) => void }>();
  private crashes: number[] = [];
  private down: StoreUnavailableError | undefined;
  private closing = false;
  /** Restarts after a crash (observable for tests and metrics). */
  restarts = 0;
  /** Whether the running thread has answered once: its start (loading, opening the file) is behind it; false again while a restarted one starts. */
  answered = false;

  /** `name` says which thread it is in logs and errors ("the SQLite writer thread"). */
  constructor(
    private readonly url: URL,
    private readonly workerData: unknown,
    private readonly name: string,
  ) {
    this.start();
  }

  private start(): void {
    this.answered = false;
    const worker = spawnThread(this.url, this.workerData);
    worker.on("message", (reply: WriterReply) => {
      this.answered = true;
      const pending = this.inFlight.get(reply.id);
      if (!pending) return;
      this.inFlight.delete(reply.id);
      if (this.inFlight.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(fromWire(reply.error));
    });
    // The `exit` that follows settles what was in flight; the error only says why.
    worker.on("error", (error) => {
      if (!this.closing) console.error(`${this.name} failed:`, error.message);
    });
    worker.on("exit", (code) => this.exited(worker, code));
    // Only a request in flight keeps the process alive, as a socket would.
    worker.unref();
    this.worker = worker;
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const error = new StoreUnavailableError(`${this.name} stopped (exit code ${code})`);
    for (const pending of this.inFlight.values()) pending.reject(error);
    this.inFlight.clear();
    if (this.closing) return;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((at) => now - at < CRASH_WINDOW_MS), now];
    if (this.crashes.length >= MAX_CRASHES) {
      this.down = new StoreUnavailableError(`${this.name} crashed ${this.crashes.length} times; not restarted`);
      console.error(this.down.message);
      return;
    }
    this.restarts++;
    this.start();
  }

  /** Post one request; resolves with the thread's reply. */
  request(request: Request): Promise<unknown> {
    const worker = this.worker;
    if (this.down) return Promise.reject(this.down);
    if (!worker) return Promise.reject(new StoreUnavailableError("the store is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.inFlight.size === 0) worker.ref();
      this.inFlight.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /** Whether it crashed too often and stays down: every request fails. */
  get gaveUp(): boolean {
    return this.down !== undefined;
  }

  /** Requests waiting for the thread's reply. */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Stop the thread the hard way, as a crash would (tests use it). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /**
   * A connection for the group commit: the transaction runs in the thread, on the connection of
   * `lane`, and statements and groups are requests.
   */
  connection(lane = 0): BatchConnection {
    // BEGIN is not a message of its own: it travels with the batch's first request (the thread
    // opens the transaction, then runs it). Each message wakes the thread, or this one with its
    // reply, and on a machine whose cores are shared a wake-up costs more than the request.
    let beginPending = false;
    const send = (request: Request): Promise<unknown> => {
      if (!beginPending) return this.request(request);
      beginPending = false;
      return this.request({ ...request, begin: true });
    };
    const outcomesOf = (outcomes: Outcome[]): Outcome[] =>
      outcomes.map((o) => (o.ok ? o : { ok: false, error: fromWire(o.error as WireError) }));
    const exec: SqlExecutor = {
      get: (sql, params = []) => send({ op: "exec", method: "get", sql, params, lane }) as Promise<never>,
      all: (sql, params = []) => send({ op: "exec", method: "all", sql, params, lane }) as Promise<never>,
      run: (sql, params = []) => send({ op: "exec", method: "run", sql, params, lane }) as Promise<{ changes: number }>,
    };
    return {
      exec,
      begin: async () => {
        beginPending = true;
      },
      commit: async () => {
        await send({ op: "commit", lane });
      },
      rollback: async () => {
        // Nothing was begun in the thread yet: nothing to roll back.
        if (beginPending) beginPending = false;
        else await this.request({ op: "rollback", lane });
      },
      release: () => undefined,
      runGroup: async (kind: BatchableWrite<unknown, unknown> & { name: string }, inputs: unknown[]) =>
        outcomesOf((await send({ op: "group", name: kind.name, inputs, lane })) as Outcome[]),
      runGroupAndCommit: async (kind: BatchableWrite<unknown, unknown> & { name: string }, inputs: unknown[]) =>
        outcomesOf((await send({ op: "group", name: kind.name, inputs, lane, commit: true })) as Outcome[]),
    };
  }

  /** Reachable and answering: false once it gave up restarting. */
  async ping(): Promise<void> {
    await this.request({ op: "ping" });
  }

  /** Close the connection (after the caller drained its writes) and end the thread. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    await this.request({ op: "close" }).catch(() => undefined);
    // The reply unrefs the thread; without a ref while waiting for its exit, a process with
    // nothing else to do ends here, `close()` never resolves, and the CLI's exit code is lost.
    worker.ref();
    await exited;
  }
}
