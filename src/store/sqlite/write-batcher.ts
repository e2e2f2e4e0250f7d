/** @module Group commit for SQLite: the writes that arrive in one turn of the event loop share one transaction and one fsync. */
import type Database from "better-sqlite3";

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * With `synchronous = FULL` each commit waits for the disk (~2 ms here), so one transaction
 * per message caps a node at a few hundred messages a second. The batcher queues writes and,
 * on the next turn of the event loop, runs them all in one transaction — each inside its own
 * savepoint, so one failing write rolls back alone — then resolves every promise only after the
 * commit returned. An acknowledgement therefore still means "on disk" (G1); the queue adds at
 * most one event-loop turn of latency. Writes run in the order they were queued.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  // Prepared once: wrapping every write in `db.transaction()` would compile these statements
  // again for each write, which cost more than the writes themselves.
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly maxBatch = 2000,
  ) {
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
    this.savepoint = db.prepare("SAVEPOINT write");
    this.release = db.prepare("RELEASE write");
    this.rollbackTo = db.prepare("ROLLBACK TO write");
  }

  /** Run `fn` (synchronous SQL) inside the next group commit; resolves after the commit. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commit everything queued now (before closing the database). */
  drain(): void {
    while (this.queue.length > 0) this.flush();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0 || !this.db.open) {
      for (const item of batch) item.reject(new Error("the store is closed"));
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      this.begin.run();
      for (const item of batch) {
        // A savepoint per write: a failing write undoes only itself.
        this.savepoint.run();
        try {
          outcomes.push({ ok: true, value: item.fn() });
          this.release.run();
        } catch (error) {
          this.rollbackTo.run();
          this.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      if (this.db.inTransaction) this.rollback.run();
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
