/** @module What a benchmark's own PostgreSQL backends cost: their CPU from /proc (found by the run's application_name) and the server's WAL position. */
import { readFileSync } from "node:fs";
import type pg from "pg";

/** The server's WAL position, in bytes. */
export async function walPosition(reader: pg.Client): Promise<number> {
  const { rows } = await reader.query<{ at: string }>("SELECT CAST(pg_current_wal_lsn() - '0/0' AS text) AS at");
  return Number(rows[0]?.at ?? 0);
}

/** The application_name of every PostgreSQL connection this run opens: how its backends are found. */
export const APPLICATION = `haetae_bench_${process.pid}`;
/** Linux's USER_HZ (`getconf CLK_TCK`): /proc counts CPU time in hundredths of a second. */
const CLOCK_TICK_US = 10_000;

/** CPU ticks (user + system) of each backend of this run, by pid; none where /proc cannot be read. */
export async function backendTicks(admin: pg.Client): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [
    APPLICATION,
  ]);
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The backend ended between the two reads, or PostgreSQL runs elsewhere.
    }
  }
  return ticks;
}

/** Backend CPU µs spent between two readings (a backend new since `before` counts from zero). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks * CLOCK_TICK_US;
}
