/** @module SyncRunner: reads the feed from the cursor, page by page, until caught up; one run at a time. */
import type { FeedEvent } from "../protocol/index.js";
import type { FeedSequencer } from "./feed-sequencer.js";
import type { HaetaeRequestError } from "./request-error.js";

/** Fetches one page of the feed: the `sync` request. */
export type SyncPageFetcher = (params: {
  cursor?: string;
  limit?: number;
}) => Promise<{ events: FeedEvent[]; cursor: string; hasMore: boolean }>;

/**
 * Owns the cursor. The page cursor moves with every page read, so a run cut short by a lost
 * connection resumes where it stopped; the committed cursor — the one an app may persist — moves
 * only when a run reached the end of the feed, because until then the sequencer may still hold
 * events from before it in memory, and a saved cursor past them would lose them after a restart.
 */
export class SyncRunner {
  private pageCursor: string | undefined;
  private committed: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly fetchPage: SyncPageFetcher,
    private readonly sequencer: FeedSequencer,
    private readonly onCommitted: (cursor: string) => void,
    cursor: string | undefined,
    private readonly pageSize: number | undefined,
  ) {
    this.pageCursor = cursor;
    this.committed = cursor;
  }

  /** The cursor after the last complete run. */
  get cursor(): string | undefined {
    return this.committed;
  }

  /**
   * Run a sync. Calls made while one runs share it, and it then runs once more, so every caller
   * gets a sync that started after its call (a live gap needs exactly that).
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const running = (async () => {
      try {
        do {
          this.again = false;
          await this.once();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    this.running = running;
    return running;
  }

  private async once(): Promise<void> {
    const n = this.sequencer.syncStarted();
    for (;;) {
      let page: Awaited<ReturnType<SyncPageFetcher>>;
      try {
        page = await this.fetchPage({
          ...(this.pageCursor !== undefined ? { cursor: this.pageCursor } : {}),
          ...(this.pageSize !== undefined ? { limit: this.pageSize } : {}),
        });
      } catch (error) {
        if ((error as HaetaeRequestError).code !== "invalid_cursor" || this.pageCursor === undefined) throw error;
        // A cursor this server never issued (its data was reset): start over; seq checks drop copies.
        this.pageCursor = undefined;
        continue;
      }
      for (const event of page.events) this.sequencer.fromSync(event);
      this.pageCursor = page.cursor;
      if (!page.hasMore) break;
    }
    this.sequencer.syncFinished(n);
    this.committed = this.pageCursor;
    if (this.committed !== undefined) this.onCommitted(this.committed);
  }
}
