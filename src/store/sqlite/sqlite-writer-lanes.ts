/**
 * @module A SQLite node's writer: on the main thread while its writes trickle, in a thread of its
 * own (with the checkpointer's beside it) while they stream; a node idling between the probes'
 * writes holds neither thread's isolate.
 */
import type { BatchConnection } from "../sql/group-commit.js";
import { CHECKPOINT_INTERVAL_MS, OnDemandCheckpointer } from "./sqlite-checkpointer.js";
import { COMMIT_STREAM_IDLE_MS, COMMIT_STREAM_MS, WhileCommitsStream } from "./sqlite-commit-stream.js";
import { SqliteInlineWriter } from "./sqlite-inline-writer.js";
import { SqliteWriter } from "./sqlite-writer.js";

/** How the lanes run. */
export interface WriterLanesOptions {
  /** Whether a stream of commits moves the writes to the writer thread (false: a brief process, which writes only here and checkpoints at close). */
  threads: boolean;
  /** `COMMIT_STREAM_MS` and `COMMIT_STREAM_IDLE_MS` unless given (tests). */
  streamMs?: number;
  idleMs?: number;
}

/**
 * The group commit asks for a connection per batch (`connection`), and gets the main thread's
 * own while writes trickle: a COMMIT's fsync then stops the event loop for a fraction of a
 * millisecond now and then, and the node holds no writer thread (its isolate, modules and
 * connection were 15 MB of an idle node's 99 MB). When commits stream (`WhileCommitsStream`:
 * back to back for a second), the writer thread is started; batches keep running here until it
 * answers, then go to it, and this connection is closed once its last batch ended. A quiet
 * spell after the last stream ends the thread, and writes come back here.
 *
 * One batch runs at a time (the group commit has one lane), so the two connections never hold
 * write transactions at once, and each batch commits before the next begins on either: per
 * conversation order (G3) and durable acks (G1) are the group commit's, whichever connection
 * carries it. A crash of the thread fails what it had in flight and restarts it
 * (`WriterThread`); one that gave up stays, and the node stays unready.
 */
export class SqliteWriterLanes {
  /** Open while the thread does not take the writes: `threadTakes || inline` holds throughout. */
  private inline: SqliteInlineWriter | undefined;
  private inlineBatches = 0;
  /** Batches under way on either connection. */
  private batches = 0;
  private pause: NodeJS.Timeout | undefined;
  /** Started by a stream; takes the batches once it has answered. */
  private thread: SqliteWriter | undefined;
  private threadTakes = false;
  private readonly onStream: WhileCommitsStream<{ close(): Promise<void> }> | undefined;
  private readonly checkpointer: OnDemandCheckpointer | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    options: WriterLanesOptions,
  ) {
    this.inline = new SqliteInlineWriter(file);
    if (!options.threads) return;
    const streamMs = options.streamMs ?? COMMIT_STREAM_MS;
    const idleMs = options.idleMs ?? COMMIT_STREAM_IDLE_MS;
    this.onStream = new WhileCommitsStream(
      () => this.startThread(),
      streamMs,
      idleMs,
      CHECKPOINT_INTERVAL_MS,
      () => this.batches > 0,
    );
    this.checkpointer = new OnDemandCheckpointer(file, streamMs, idleMs);
  }

  /** Whether the writer thread takes the writes now. */
  get threadTakesWrites(): boolean {
    return this.threadTakes;
  }

  /** Whether the checkpointer thread runs now. */
  get checkpointerRunning(): boolean {
    return this.checkpointer?.running ?? false;
  }

  /** A connection for the group commit's next batch. */
  connection(): BatchConnection {
    const thread = this.threadTakes ? this.thread : undefined;
    const connection = thread ? thread.connection() : this.inlineConnection();
    // A restarted thread's first batch waits for its start (hundreds of ms on a busy machine):
    // that is no stream of commits.
    const streams = !thread || thread.answered;
    this.batches++;
    if (streams) {
      this.onStream?.batchStarted();
      this.checkpointer?.batchStarted();
    }
    return {
      ...connection,
      release: (error?: unknown) => {
        this.batches--;
        if (streams) {
          this.onStream?.batchEnded();
          this.checkpointer?.batchEnded();
        }
        connection.release(error);
      },
    };
  }

  private inlineConnection(): BatchConnection {
    const inline = this.inline;
    if (!inline) throw new Error("the writer lanes lost their connection"); // never: see `inline`
    this.inlineBatches++;
    clearTimeout(this.pause);
    const connection = inline.connection();
    return {
      ...connection,
      release: (error?: unknown) => {
        connection.release(error);
        this.inlineBatches--;
        if (this.threadTakes) this.closeInlineWhenFree();
        // In a pause, the main thread checkpoints as the writer thread would in its own.
        else
          this.pause = setTimeout(
            () => this.inlineBatches === 0 && inline.checkpoint(),
            CHECKPOINT_INTERVAL_MS,
          ).unref();
      },
    };
  }

  /** The writer thread, for a stream: it takes the batches once it has answered. */
  private startThread(): { close(): Promise<void> } {
    if (this.closed) return { close: async () => undefined };
    const thread = this.thread ?? new SqliteWriter(this.file);
    this.thread = thread;
    const answer = (): void => {
      thread.ping().then(
        () => {
          if (thread !== this.thread || this.closed) return;
          this.threadTakes = true;
          this.closeInlineWhenFree();
        },
        // Crashed while starting: it restarts itself, unless it gave up (writes stay here).
        () => thread === this.thread && !thread.gaveUp && !this.closed && answer(),
      );
    };
    answer();
    return { close: () => this.endThread(thread) };
  }

  private closeInlineWhenFree(): void {
    if (!this.threadTakes || this.inlineBatches > 0 || !this.inline) return;
    const inline = this.inline;
    this.inline = undefined;
    clearTimeout(this.pause);
    void inline.close();
  }

  /** After the quiet spell (no batch under way): writes come back to the main thread, and the thread ends. */
  private async endThread(thread: SqliteWriter): Promise<void> {
    // A thread that gave up stays: every write fails and the node reports itself unready.
    if (thread !== this.thread || thread.gaveUp || this.closed) return;
    this.inline ??= new SqliteInlineWriter(this.file);
    this.threadTakes = false;
    this.thread = undefined;
    await thread.close();
  }

  /** The writer thread, started now as a stream would start it, once it takes the writes (tests stop it to see what a crash does). */
  async writerThread(): Promise<SqliteWriter> {
    if (!this.onStream) throw new Error("this store writes on the calling thread");
    this.onStream.openNow();
    for (;;) {
      const thread = this.thread;
      if (this.threadTakes && thread) return thread;
      if (!thread || thread.gaveUp) throw new Error("the writer thread did not start");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Reachable and answering, on the connection that takes the writes. */
  async ping(): Promise<void> {
    if (this.threadTakes && this.thread) return this.thread.ping();
    await this.inline?.ping();
  }

  /** End both threads and close the connections (after the caller drained its writes). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pause);
    const thread = this.thread;
    this.thread = undefined;
    this.threadTakes = false;
    await Promise.all([this.onStream?.close(), this.checkpointer?.close(), thread?.close()]);
    await this.inline?.close();
    this.inline = undefined;
  }
}
