/**
 * @module Store epochs: the PostgreSQL timelines the store has written on, each with its xid
 * floor. Transaction ids are not unique across a failover: an xid the old primary handed out but
 * never shipped can be handed out again by the promoted standby, and a feed cursor whose snapshot
 * counted that xid as finished would skip the events of the transaction that reuses it. A cursor
 * names its timeline; one of an older timeline has its snapshots cut at the floor of the next
 * (`clampSnapshot`), so everything written since the promotion is read, and nothing twice.
 */
import type { SqlExecutor } from "../sql/sql-driver.js";

/**
 * The server's current timeline: the first 8 hex digits of the WAL file being written, which a
 * promotion raises. Readable on a primary without superuser rights (a standby refuses it: the
 * store reads and writes on the primary only).
 */
export const CURRENT_TIMELINE =
  "CAST(CAST('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS bit(32)) AS integer)";

/**
 * Record the current timeline with this transaction's id as its floor, unless a node did first.
 * Run by the writer thread on each new connection before its first batch (and by a reader that
 * finds the timeline unrecorded): the first to run it on a new primary sets the floor, the others
 * wait for its commit on the key's conflict, so every write of the store on that primary takes a
 * larger xid than the floor.
 */
export const RECORD_EPOCH = `INSERT INTO store_epochs (timeline, xid_floor) VALUES (${CURRENT_TIMELINE}, pg_current_xact_id()) ON CONFLICT DO NOTHING`;

/** A timeline and the smallest xid any store write on it has. */
export interface Epoch {
  timeline: number;
  floor: bigint;
}

/** The current timeline (recorded now if it was not) and every recorded epoch, oldest first. */
export async function readEpochs(db: SqlExecutor): Promise<{ current: number; epochs: Epoch[] }> {
  await db.run(RECORD_EPOCH);
  const rows = await db.all<{ timeline: number; floor: string; current: number }>(
    `SELECT timeline, CAST(xid_floor AS text) AS floor, ${CURRENT_TIMELINE} AS current FROM store_epochs ORDER BY timeline`,
  );
  const current = rows[0]?.current;
  if (current === undefined) throw new Error("store_epochs is empty right after recording the current timeline");
  return {
    current: Number(current),
    epochs: rows.map((r) => ({ timeline: Number(r.timeline), floor: BigInt(r.floor) })),
  };
}

/**
 * Where a cursor of `timeline` (`"oldest"`: a `c2.` cursor, from before cursors named theirs)
 * must be cut to be read on `current`: the lowest floor of the timelines after it, or `null`
 * when it is of the current timeline (nothing to cut). `undefined` for a timeline newer than
 * the current one: no cursor of this store can have it.
 */
export function floorAfter(
  epochs: readonly Epoch[],
  timeline: number | "oldest",
  current: number,
): bigint | null | undefined {
  const of = timeline === "oldest" ? (epochs[0]?.timeline ?? current) : timeline;
  if (of === current) return null;
  if (of > current) return undefined;
  let floor: bigint | null = null;
  for (const epoch of epochs) {
    if (epoch.timeline > of && epoch.timeline <= current && (floor === null || epoch.floor < floor))
      floor = epoch.floor;
  }
  return floor;
}

/**
 * `snapshot` (`xmin:xmax:xip,…`) with every xid from `floor` on counted as not finished: a
 * transaction is finished in the result iff it is below the floor and finished in `snapshot`.
 * Below the floor both timelines share their history (a promoted standby has every transaction
 * the old primary committed and acknowledged); from the floor on, only the new primary's
 * transactions exist, and none of them can have been read through the old timeline's snapshot.
 */
export function clampSnapshot(snapshot: string, floor: bigint): string {
  const [xminText, xmaxText, xipText] = snapshot.split(":") as [string, string, string | undefined];
  const xmin = BigInt(xminText);
  const xmax = BigInt(xmaxText) < floor ? BigInt(xmaxText) : floor;
  const low = xmin < xmax ? xmin : xmax;
  const xip = (xipText ? xipText.split(",").map(BigInt) : []).filter((x) => x < xmax);
  return `${low}:${xmax}:${xip.join(",")}`;
}

/**
 * The epochs as one store's reads know them: the current timeline, read once and again after a
 * read found another (a failover); the full list only for a cursor of another timeline.
 */
export class StoreEpochs {
  private current: Promise<number> | undefined;

  /** The timeline reads are taken on, as last seen. */
  timeline(db: SqlExecutor): Promise<number> {
    if (!this.current) {
      const reading = readEpochs(db).then((r) => r.current);
      reading.catch(() => {
        if (this.current === reading) this.current = undefined;
      });
      this.current = reading;
    }
    return this.current;
  }

  /** A read found another timeline than `timeline(db)` said: read it again next time. */
  forget(): void {
    this.current = undefined;
  }

  /** The floor to cut a cursor of `timeline` at, read on `current` (see `floorAfter`). */
  async floorFor(db: SqlExecutor, timeline: number | "oldest", current: number): Promise<bigint | null | undefined> {
    if (timeline === current) return null;
    const read = await readEpochs(db);
    return floorAfter(read.epochs, timeline, read.current);
  }
}
