/** @module Group commit: the writes queued in one turn of the event loop share one transaction and one fsync. */
import { HaetaeError } from "../../protocol/index.js";
import type { SqlExecutor } from "./sql-driver.js";

/** A connection a batch runs on, from the dialect's driver. */
export interface BatchConnection {
  exec: SqlExecutor;
  /** BEGIN, plus whatever serializes batches across nodes (postgres: an advisory lock). */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Give the connection back; with an error, it is discarded rather than reused. */
  release(error?: unknown): void;
}

interface Pending {
  fn: (tx: SqlExecutor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * With a durable commit (SQLite `synchronous = FULL`, PostgreSQL `synchronous_commit = on`)
 * every commit waits for the disk, so one transaction per message caps a node at a few hundred
 * messages a second. Writes are queued and, on the next turn of the event loop, run in one
 * transaction — each inside its own savepoint, so one failing write undoes only itself — and
 * every promise settles only after COMMIT returned: an acknowledgement still means "stored"
 * (G1). When the commit fails, or its outcome is unknown, every write of the batch is rejected;
 * a client retries with the same clientMsgId and G2 makes that safe. Batches run one at a time,
 * in queue order.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly acquire: () => Promise<BatchConnection>,
    private readonly onFailure: (error: unknown) => unknown = (error) => error,
    private readonly maxBatch = 1000,
    private readonly maxPending = Number.POSITIVE_INFINITY,
  ) {}

  run<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // A bounded queue: past it, a write is refused now (retryable) rather than accepted and
    // left to wait while memory grows (G5).
    if (this.queue.length >= this.maxPending) {
      return Promise.reject(
        new HaetaeError("overloaded", "Too many writes are waiting for the store; retry shortly.", 500),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far has been committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  /** Writes queued or running. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.flushing = this.commitBatch(batch).finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
    return this.flushing;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    let connection: BatchConnection;
    try {
      connection = await this.acquire();
    } catch (error) {
      for (const item of batch) item.reject(this.onFailure(error));
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      await connection.begin();
      for (const item of batch) {
        await connection.exec.run("SAVEPOINT write");
        try {
          outcomes.push({ ok: true, value: await item.fn(connection.exec) });
          await connection.exec.run("RELEASE SAVEPOINT write");
        } catch (error) {
          await connection.exec.run("ROLLBACK TO SAVEPOINT write");
          await connection.exec.run("RELEASE SAVEPOINT write");
          outcomes.push({ ok: false, error });
        }
      }
      await connection.commit();
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      connection.release(error);
      for (const item of batch) item.reject(this.onFailure(error));
      return;
    }
    connection.release();
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
