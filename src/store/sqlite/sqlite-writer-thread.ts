/** @module The SQLite writer thread: runs the group commits' transactions on its own connection, so COMMIT and its fsync never stop the event loop. */
import { parentPort, workerData } from "node:worker_threads";
import { serveWriter } from "../sql/writer-protocol.js";
import { CHECKPOINT_INTERVAL_MS } from "./sqlite-checkpointer.js";
import { openWriterDatabase, writerBackend } from "./sqlite-writer-connection.js";

/** Start options, passed as `workerData`. */
export interface WriterData {
  file: string;
}

const port = parentPort;
if (!port) throw new Error("sqlite-writer-thread runs only as a worker thread");
const { file } = workerData as WriterData;
const db = openWriterDatabase(file);
const backend = writerBackend(db);
// One connection, one lane: SQLite has one writer.
serveWriter(port, () => backend);

/**
 * The idle writer's own checkpoint: once no request has come for `CHECKPOINT_INTERVAL_MS` and no
 * transaction is open, copy what the WAL holds into the database file (PASSIVE: it never waits
 * for a reader). A trickle of writes (the probes' every few seconds) is then checkpointed
 * without the checkpointer thread; under steady writes no such pause comes, and the driver
 * starts that thread (`OnDemandCheckpointer`).
 */
let idle: NodeJS.Timeout | undefined;
port.on("message", () => {
  clearTimeout(idle);
  idle = setTimeout(() => {
    if (!db.open || db.inTransaction) return;
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // SQLITE_BUSY (a checkpoint running elsewhere) or a closing connection: the next pause tries again.
    }
  }, CHECKPOINT_INTERVAL_MS);
  idle.unref();
});
