/** @module Group commit: the writes queued in one turn of the event loop share one transaction and one fsync. */
import { HaetaeError } from "../../protocol/errors.js";
import type { SqlExecutor } from "./sql-driver.js";

/** A connection a batch runs on, from the dialect's driver. */
export interface BatchConnection {
  exec: SqlExecutor;
  begin(): Promise<void>;
  /**
   * Lock, in one consistent order, the conversations the batch's writes name (PostgreSQL: their
   * rows, `FOR UPDATE`, sorted by id), so that batches of other lanes and nodes touching one of
   * them wait until this one commits. Absent where a single writer needs no lock (SQLite).
   */
  lock?(keys: readonly string[]): Promise<void>;
  /**
   * Lock those of `keys` that no other transaction holds at this moment, without waiting for the
   * rest (PostgreSQL: `FOR UPDATE SKIP LOCKED`); gives back the keys it locked. Where a driver has
   * it, a batch leaves the writes of a conversation another node is writing to its next batch
   * instead of waiting for that node's commit with all its other conversations locked.
   */
  lockFree?(keys: readonly string[]): Promise<string[]>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Give the connection back; with an error, it is discarded rather than reused. */
  release(error?: unknown): void;
  /**
   * Set when the connection runs a named group of writes itself, in one request (SQLite's writer
   * thread): the statements then never cross the thread boundary one by one. Same contract as
   * `runGroup`.
   */
  runGroup?(kind: BatchableWrite<unknown, unknown> & { name: string }, inputs: unknown[]): Promise<Outcome[]>;
  /**
   * `runGroup`, then COMMIT, as one request: for a batch that is one group (a run of sends), so
   * that the group and its COMMIT cost one message to the connection's thread and one reply.
   * Fails as a whole if the group or the COMMIT failed (nothing of the batch is then kept).
   */
  runGroupAndCommit?(kind: BatchableWrite<unknown, unknown> & { name: string }, inputs: unknown[]): Promise<Outcome[]>;
}

/** How one write of a batch ended: its value, or the error that undid it alone. */
export type Outcome<R = unknown> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * A kind of write that many of one batch can run together, with fewer statements than one at a
 * time (one statement per table, or for all of them, instead of one per write). `runMany` gets consecutive
 * writes of this kind in queue order and returns one outcome each; a write it refuses (a failed
 * check) must have written nothing. When `runMany` throws, its partial work is rolled back and
 * each write runs alone with `runOne`, so a bad write still undoes only itself.
 */
export interface BatchableWrite<I, R> {
  /** Names the kind for a connection that runs groups elsewhere (a writer thread looks it up by name). */
  readonly name?: string;
  /** The conversations a write of this kind changes: locked for the batch before it runs. */
  locksOf?(input: I): readonly string[];
  runOne(tx: SqlExecutor, input: I): Promise<R>;
  runMany(tx: SqlExecutor, inputs: readonly I[]): Promise<Outcome<R>[]>;
}

interface Pending {
  fn: (tx: SqlExecutor) => Promise<unknown>;
  /** The conversations the write changes (locked for its batch before any write runs). */
  locks: readonly string[] | undefined;
  /** Set when the write may run together with its neighbours of the same kind. */
  batchable?: { write: BatchableWrite<unknown, unknown>; input: unknown };
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** How many batches left this write for later because another node held its conversation. */
  deferrals?: number;
}

/**
 * How many batches may leave a write for later (its conversation locked by another node) before
 * one waits for that lock: a conversation written from several nodes at full rate still moves.
 */
const MAX_DEFERRALS = 2;

/** The fewest writes a batch starts with while another batch of the node is running. */
const MIN_EXTRA_BATCH = 32;

/**
 * The refusal of a write past the queue's bound. One instance for all: under overload it is
 * given thousands of times a second, and a new error each time (with its stack trace) took a
 * node's time when it had least of it.
 */
const QUEUE_FULL = new HaetaeError("overloaded", "Too many writes are waiting for the store; retry shortly.", 500);

/**
 * With a durable commit (SQLite `synchronous = FULL`, PostgreSQL `synchronous_commit = on`)
 * every commit waits for the disk, so one transaction per message caps a node at a few hundred
 * messages a second. Writes are queued and, on the next turn of the event loop, run in one
 * transaction — each inside its own savepoint, so one failing write undoes only itself — and
 * every promise settles only after COMMIT returned: an acknowledgement still means "stored"
 * (G1). When the commit fails, or its outcome is unknown, every write of the batch is rejected;
 * a client retries with the same clientMsgId and G2 makes that safe. Under load a batch holds
 * what arrived while the previous ones committed, so batches grow with the load and the fsync
 * is shared by more writes.
 *
 * Up to `maxInFlight` batches run at once, each on a lane (a connection) of its own (SQLite has
 * one). Each batch first locks the conversations its writes name (`BatchConnection.lock`); a
 * write naming a conversation that a running batch of this node holds waits in the queue for a
 * later batch. So batches of one node never share a conversation, a conversation's writes are
 * committed in queue order (a client's pipelined sends keep their order), and batches on other
 * conversations run side by side.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Batches running, by lane. */
  private readonly running = new Map<number, Promise<void>>();
  /** The conversations each running batch locks, by lane. */
  private readonly held = new Map<number, Set<string>>();

  constructor(
    /** A connection on `lane` (0 … maxInFlight − 1). */
    private readonly acquire: (lane: number) => Promise<BatchConnection>,
    private readonly onFailure: (error: unknown) => unknown = (error) => error,
    private readonly maxBatch = 1000,
    private readonly maxPending = Number.POSITIVE_INFINITY,
    private readonly maxInFlight = 1,
  ) {}

  run<T>(fn: (tx: SqlExecutor) => Promise<T>, locks?: readonly string[]): Promise<T> {
    // A bounded queue: past it, a write is refused now (retryable) rather than accepted and
    // left to wait while memory grows (G5).
    if (this.queue.length >= this.maxPending) return Promise.reject(QUEUE_FULL);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, locks, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Like `run`, for a write that may share statements with its neighbours of the same kind. */
  runBatchable<I, R>(write: BatchableWrite<I, R>, input: I): Promise<R> {
    const locks = write.locksOf?.(input);
    if (this.queue.length >= this.maxPending) return this.run((tx) => write.runOne(tx, input), locks);
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        fn: (tx) => write.runOne(tx, input),
        locks,
        batchable: { write: write as BatchableWrite<unknown, unknown>, input },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far has been committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running.size > 0) {
      this.flush();
      if (this.running.size > 0) await Promise.race(this.running.values());
    }
  }

  /** Writes queued or running. */
  get pending(): number {
    return this.queue.length;
  }

  /** Nothing queued and no batch under way. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running.size === 0;
  }

  private schedule(): void {
    if (this.scheduled || this.running.size >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Start batches on the free lanes while writes are queued. */
  private flush(): void {
    for (let lane = 0; lane < this.maxInFlight && this.queue.length > 0; lane++) {
      if (this.running.has(lane)) continue;
      const batch = this.nextBatch();
      if (batch.length === 0) return;
      const keys = new Set<string>();
      for (const item of batch) for (const key of item.locks ?? []) keys.add(key);
      const done = this.commitBatch(lane, batch, keys).then((settle) => {
        this.running.delete(lane);
        this.held.delete(lane);
        // The next batch (what queued while this one committed) goes to the database before this
        // one's writers hear back: settling a thousand sends takes the event loop tens of
        // milliseconds, which the database would otherwise spend idle.
        if (this.queue.length > 0) this.flush();
        settle();
      });
      this.running.set(lane, done);
      this.held.set(lane, keys);
    }
  }

  /**
   * The next batch: queued writes in order, up to `maxBatch`, leaving (in the queue, in order)
   * those whose conversations a running batch of this node holds. They would only wait for its
   * locks inside the database; left for a later batch, they make that one larger instead, and
   * the lanes go to conversations that can move. Beside a running batch a new one starts only
   * with `MIN_EXTRA_BATCH` writes or more: a lane costs a transaction's round trips, and a few
   * writes are better off joining the next batch of a lane that frees up.
   */
  private nextBatch(): Pending[] {
    if (this.running.size === 0) return this.queue.splice(0, this.maxBatch);
    const busy = new Set<string>();
    for (const keys of this.held.values()) for (const key of keys) busy.add(key);
    const batch: Pending[] = [];
    const left: Pending[] = [];
    for (const item of this.queue) {
      if (batch.length < this.maxBatch && !item.locks?.some((key) => busy.has(key))) batch.push(item);
      else left.push(item);
    }
    if (batch.length < Math.min(MIN_EXTRA_BATCH, this.maxBatch)) return [];
    this.queue = left;
    return batch;
  }

  /**
   * BEGIN, then the batch's locks. Neither is awaited where the connection queues requests in
   * order (the writer threads do): the batch's statements follow them on the same connection and
   * wait there. What the locking gives back is awaited with the COMMIT, so a lock that failed
   * fails the batch.
   */
  private async takeLocks(connection: BatchConnection, keys: Set<string>): Promise<Promise<void> | undefined> {
    await connection.begin();
    if (!connection.lock || keys.size === 0) return undefined;
    const locking = connection.lock([...keys].sort());
    locking.catch(() => undefined);
    return locking;
  }

  /**
   * Where the driver can lock without waiting: first, waiting, the conversations of writes left
   * for later MAX_DEFERRALS times already; then, without waiting, the others. The writes whose
   * conversation another transaction holds go back to the front of the queue, in their order,
   * with their conversations still marked busy on this lane until it ends, so no other lane of
   * this node overtakes them (G3); the rest of the batch runs. Gives back the writes that run.
   *
   * No wait cycle: a transaction waits only in its first step, in id order like every batch's
   * lock, and takes its other locks only after that step, without waiting; so a transaction that
   * others wait for is either further along the same ordered step or waits for nothing.
   */
  private async takeFreeLocks(
    connection: BatchConnection,
    lockFree: (keys: readonly string[]) => Promise<string[]>,
    batch: Pending[],
  ): Promise<Pending[]> {
    await connection.begin();
    const patient = new Set<string>();
    const eager = new Set<string>();
    for (const item of batch) {
      const into = (item.deferrals ?? 0) >= MAX_DEFERRALS ? patient : eager;
      for (const key of item.locks ?? []) into.add(key);
    }
    for (const key of patient) eager.delete(key);
    if (patient.size > 0 && connection.lock) await connection.lock([...patient].sort());
    if (eager.size === 0) return batch;
    const locked = new Set(await lockFree([...eager].sort()));
    const running: Pending[] = [];
    const deferred: Pending[] = [];
    for (const item of batch) {
      if (item.locks?.some((key) => eager.has(key) && !locked.has(key))) {
        item.deferrals = (item.deferrals ?? 0) + 1;
        deferred.push(item);
      } else running.push(item);
    }
    if (deferred.length > 0) this.queue.unshift(...deferred);
    return running;
  }

  /** Run one batch; gives back what settles its writes, to be called once it has committed or failed. */
  private async commitBatch(lane: number, taken: Pending[], keys: Set<string>): Promise<() => void> {
    let batch = taken;
    let connection: BatchConnection;
    try {
      connection = await this.acquire(lane);
    } catch (error) {
      return () => {
        for (const item of batch) item.reject(this.onFailure(error));
      };
    }
    const outcomes: Outcome[] = [];
    try {
      const lockFree = connection.lockFree?.bind(connection);
      let locking: Promise<void> | void | undefined;
      if (lockFree && keys.size > 0) batch = await this.takeFreeLocks(connection, lockFree, batch);
      else locking = await this.takeLocks(connection, keys);
      // Every request is posted; wait for all of them (a group that failed as a whole fails the batch).
      const posted = await this.postWrites(connection, batch, outcomes);
      const settled = await Promise.allSettled([...posted, ...(locking ? [locking] : [])]);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      connection.release(error);
      return () => {
        for (const item of batch) item.reject(this.onFailure(error));
      };
    }
    connection.release();
    // Settled only after COMMIT returned: every acknowledgement means "on disk" (G1).
    return () =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
  }

  /**
   * Run the batch's writes and its COMMIT, filling `outcomes` in batch order; gives back what is
   * still on its way (requests posted to the connection's thread, and the COMMIT). Groups that
   * run where the connection is (a writer thread) are not awaited one by one: requests run there
   * in the order they were posted, so the groups and the COMMIT go out together and the thread
   * goes from one to the next without waiting for this thread. A batch that is one group goes as
   * one request with its COMMIT.
   */
  private async postWrites(
    connection: BatchConnection,
    batch: Pending[],
    outcomes: Outcome[],
  ): Promise<Promise<unknown>[]> {
    const only = batch[0]?.batchable?.write;
    if (
      only?.name !== undefined &&
      connection.runGroupAndCommit &&
      batch.every((item) => item.batchable?.write === only)
    ) {
      const inputs = batch.map((item) => item.batchable?.input);
      const done = connection.runGroupAndCommit(only as typeof only & { name: string }, inputs).then((results) => {
        for (const [k, r] of results.entries()) outcomes[k] = r;
      });
      done.catch(() => undefined);
      return [done];
    }
    const grouped: Promise<void>[] = [];
    for (let i = 0; i < batch.length; ) {
      const first = batch[i] as Pending;
      const kind = first.batchable?.write;
      let end = i + 1;
      while (kind && end < batch.length && batch[end]?.batchable?.write === kind) end++;
      const inputs = batch.slice(i, end).map((item) => item.batchable?.input);
      const at = i;
      if (kind?.name !== undefined && connection.runGroup) {
        // Even a group of one: one request to the writer instead of one per statement.
        const group = connection.runGroup(kind as typeof kind & { name: string }, inputs).then((results) => {
          for (const [k, r] of results.entries()) outcomes[at + k] = r;
        });
        // Observed by allSettled in commitBatch, unless a later statement of the batch throws
        // first and the batch is rolled back without waiting for it: its failure (the same cut,
        // "no write transaction is open") must not be an unhandled rejection, which ends the process.
        group.catch(() => undefined);
        grouped.push(group);
      } else if (kind && end - i > 1) {
        for (const [k, r] of (await runGroup(connection.exec, kind, inputs)).entries()) outcomes[at + k] = r;
      } else {
        outcomes[at] = await runAlone(connection.exec, first.fn);
      }
      i = end;
    }
    const committed = connection.commit();
    committed.catch(() => undefined);
    return [...grouped, committed];
  }
}

/** One write in its own savepoint: its failure undoes only itself. */
export async function runAlone(exec: SqlExecutor, fn: (tx: SqlExecutor) => Promise<unknown>): Promise<Outcome> {
  await exec.run("SAVEPOINT write");
  try {
    const value = await fn(exec);
    await exec.run("RELEASE SAVEPOINT write");
    return { ok: true, value };
  } catch (error) {
    await exec.run("ROLLBACK TO SAVEPOINT write");
    await exec.run("RELEASE SAVEPOINT write");
    return { ok: false, error };
  }
}

/**
 * Consecutive writes of one kind together; if that fails, each alone. `leaveToCommit`: a group
 * that succeeded leaves its savepoint for the batch's COMMIT to end instead of releasing it, where
 * RELEASE would be one more round trip while the batch holds its locks (PostgreSQL). A later
 * savepoint of the batch then nests inside it, and `ROLLBACK TO` names the innermost of a name,
 * so a later write that fails still undoes only itself.
 */
export async function runGroup(
  exec: SqlExecutor,
  kind: BatchableWrite<unknown, unknown>,
  inputs: unknown[],
  leaveToCommit = false,
): Promise<Outcome[]> {
  await exec.run("SAVEPOINT writes");
  try {
    const outcomes = await kind.runMany(exec, inputs);
    if (outcomes.length !== inputs.length) throw new Error("runMany gave a wrong number of outcomes");
    if (!leaveToCommit) await exec.run("RELEASE SAVEPOINT writes");
    return outcomes;
  } catch {
    await exec.run("ROLLBACK TO SAVEPOINT writes");
    await exec.run("RELEASE SAVEPOINT writes");
    const outcomes: Outcome[] = [];
    for (const input of inputs) outcomes.push(await runAlone(exec, (tx) => kind.runOne(tx, input)));
    return outcomes;
  }
}
