/** @module The SQLite search indexer's thread: indexes the store's feed into the index file in rounds, beside the writer thread, never inside it. */
import { parentPort, workerData } from "node:worker_threads";
import { indexedThrough, indexRound, openSearchIndex, SEARCH_INDEX_BATCH } from "./sqlite-search-file.js";

/** Start options, passed as `workerData`. */
export interface SearchThreadData {
  /** The store's database file (the index file is beside it). */
  file: string;
  /** Rounds on its own every `intervalMs`; without, only when asked (tests). */
  background: boolean;
  /** How often the feed is looked at. */
  intervalMs: number;
  /** A round starts once this many events are in the feed past the index… */
  roundRows: number;
  /** …or once the oldest of them has waited this long. */
  maxWaitMs: number;
  /**
   * In the background, the thread ends after this long with fewer than `roundRows` events taken,
   * once it has indexed what waits; 0 for a thread started for a trickle: it ends as soon as it
   * has indexed what waits.
   */
  idleExitMs: number;
}

/** main → thread: a round now, or the end. */
export type SearchThreadRequest = { id: number; op: "round" | "close" };
/** thread → main: a reply (with `id`), or a background round's report; `through` is the last feed event indexed. */
export type SearchThreadReport =
  | { id?: number; taken: number; messages: number; through: number }
  | { id: number; error: string }
  | { lost: true };

const port = parentPort;
if (!port) throw new Error("sqlite-search-thread runs only as a worker thread");
const { file, background, intervalMs, roundRows, maxWaitMs, idleExitMs } = workerData as SearchThreadData;
const db = openSearchIndex(file);
const newestEvent = db.prepare("SELECT max(id) AS id FROM store.events").pluck();
const storeTrusts = db.prepare("SELECT indexed_through FROM store.search_index").pluck();
// The index file removed while the node runs (opening it made an empty one): nothing here
// holds the store's token, and the next start builds the index again (prepareSearchIndex).
const lost = db.prepare("SELECT 1 FROM search_state").get() === undefined;
let through = lost ? 0 : indexedThrough(db);
let timer: NodeJS.Timeout | undefined;
let closed = false;
/** When the feed was first seen holding events past the index (0: it was not). */
let waitingSince = 0;
/** Events taken since `quietSince`: fewer than `roundRows` in `idleExitMs`, and the thread ends. */
let quietSince = Date.now();
let takenSinceQuiet = 0;

if (lost) {
  port.postMessage({ lost: true } satisfies SearchThreadReport);
  end();
} else if (Number(storeTrusts.get() ?? 0) < through) {
  // Rounds indexed before a stop that the store was never told of: it is told now.
  port.postMessage({ taken: 0, messages: 0, through } satisfies SearchThreadReport);
}

/**
 * A background round, then the next: at once after a full batch (the index is behind); else the
 * feed is looked at every `intervalMs`, outside a transaction (an idle store's indexer writes
 * nothing), and a round starts once `roundRows` events are past the index or the oldest has
 * waited `maxWaitMs`. Fewer, larger rounds: each round writes a new FTS5 segment for every term
 * it touched and merges it later, so rounds of 300 rows cost 44 µs of CPU a row and rounds of
 * 3,000 cost 14 (docs/benchmarks.md); a search meanwhile reads the messages the index does not
 * hold yet outright. A failed round (the index file busy) is tried again next time.
 */
function loop(): void {
  if (closed) return;
  let full = false;
  try {
    // Event ids only grow, so max(id) − through bounds the events waiting (not all change the index).
    const newest = Number(newestEvent.get() ?? 0);
    if (newest <= through) waitingSince = 0;
    else {
      const now = Date.now();
      if (waitingSince === 0) waitingSince = now;
      if (newest - through >= roundRows || now - waitingSince >= maxWaitMs) {
        const round = indexRound(db);
        through = round.through;
        full = round.taken === SEARCH_INDEX_BATCH;
        waitingSince = 0;
        takenSinceQuiet += round.taken;
        if (round.taken > 0) port?.postMessage(round satisfies SearchThreadReport);
      }
    }
    const now = Date.now();
    if (now - quietSince >= idleExitMs) {
      // The feed went quiet: what waits is indexed now, not after its `maxWaitMs` (a window that
      // ended just after each of the probes' writes kept the thread forever), and the thread
      // ends; the main thread starts one again when needed.
      if (takenSinceQuiet < roundRows && !full) {
        if (Number(newestEvent.get() ?? 0) > through) {
          const round = indexRound(db);
          through = round.through;
          if (round.taken > 0) port?.postMessage(round satisfies SearchThreadReport);
        }
        end();
        return;
      }
      quietSince = now;
      takenSinceQuiet = 0;
    }
  } catch (error) {
    console.error("the SQLite search indexer's round failed:", (error as Error).message);
  }
  timer = setTimeout(loop, full ? 0 : intervalMs);
}

function end(): void {
  closed = true;
  clearTimeout(timer);
  db.close();
  port?.close();
}
if (background && !lost) timer = setTimeout(loop, intervalMs);

port.on("message", (request: SearchThreadRequest) => {
  if (request.op === "close") {
    port.postMessage({ id: request.id, taken: 0, messages: 0, through } satisfies SearchThreadReport);
    end();
    return;
  }
  try {
    const round = indexRound(db);
    through = round.through;
    port.postMessage({ id: request.id, ...round } satisfies SearchThreadReport);
  } catch (error) {
    port.postMessage({ id: request.id, error: String((error as Error).message) } satisfies SearchThreadReport);
  }
});
