/**
 * @module A PostgreSQL primary and a synchronous standby of its own, for failover tests: Debian's
 * PostgreSQL 15 binaries run as the `postgres` user in temporary folders on free ports; the
 * primary can be killed as a host crash would (SIGKILL to every process of it) and the standby
 * promoted. Nothing here touches the machine's own PostgreSQL.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../child-server.js";

/** Where Debian puts PostgreSQL 15's server programs; override with TEST_PG_BIN. */
export const PG_BIN = process.env.TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** One server of the pair. */
export interface PgServer {
  port: number;
  dir: string;
}

export interface PgPair {
  primary: PgServer;
  standby: PgServer;
  /** `postgres://…` with both hosts, primary first, and `target_session_attrs=read-write`. */
  url: string;
  /** SIGKILL the primary's postmaster and every backend of it at once, as a host crash would end them. */
  killPrimary(): void;
  /** `pg_ctl promote` the standby and wait until it takes writes. */
  promoteStandby(): Promise<void>;
  /** Stop whatever still runs (immediate shutdown) and remove the folders. */
  stop(): void;
}

/** Fails loudly, naming what is missing, when this machine cannot run the pair. */
function requireBinaries(): { uid: number; gid: number } {
  for (const program of ["initdb", "pg_ctl", "pg_basebackup", "postgres"]) {
    if (!existsSync(join(PG_BIN, program))) {
      throw new Error(
        `${join(PG_BIN, program)} is missing: the failover test needs PostgreSQL 15's server programs (apt-get install postgresql-15), or TEST_PG_BIN`,
      );
    }
  }
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Run a PostgreSQL program as the `postgres` user (they refuse to run as root). */
function asPostgres(program: string, args: string[]): string {
  const result = spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, program), ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(" ")} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

function postmasterPid(dir: string): number | null {
  try {
    return Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The shared memory segment a killed postmaster leaves behind (line 7 of postmaster.pid: key and id). */
function removeSharedMemory(dir: string): void {
  try {
    const id = readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[6]?.trim().split(/\s+/)[1];
    if (id && /^\d+$/.test(id)) spawnSync("ipcrm", ["-m", id]);
  } catch {
    // No pid file: nothing was left.
  }
}

/** The postmaster and its children (backends, walsender, checkpointer…), read from /proc. */
function processTree(root: number): number[] {
  const pids = [root];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === root) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function query<T extends pg.QueryResultRow>(port: number, sql: string): Promise<T[]> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL pair: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function start(server: PgServer): void {
  asPostgres("pg_ctl", [
    "-D",
    server.dir,
    "-l",
    join(server.dir, "server.log"),
    "-o",
    `-p ${server.port} -k ${server.dir} -c listen_addresses=127.0.0.1`,
    "-w",
    "-t",
    "60",
    "start",
  ]);
}

/**
 * initdb a primary whose commits wait for the standby's flush (`synchronous_standby_names`),
 * pg_basebackup the standby from it, start both and wait until the standby streams as `sync`.
 * The standby's own `synchronous_standby_names` is empty: once promoted it is alone, and its
 * commits must not wait for a standby it does not have.
 */
export async function startPgPair(): Promise<PgPair> {
  const owner = requireBinaries();
  const root = mkdtempSync(join(tmpdir(), "haetae-pg-pair-"));
  chownSync(root, owner.uid, owner.gid);
  const primary: PgServer = { port: await freePort(), dir: join(root, "primary") };
  const standby: PgServer = { port: await freePort(), dir: join(root, "standby") };
  const stop = () => {
    for (const server of [primary, standby]) {
      const pid = postmasterPid(server.dir);
      if (pid === null) continue;
      if (isRunning(pid)) {
        spawnSync("runuser", [
          "-u",
          "postgres",
          "--",
          join(PG_BIN, "pg_ctl"),
          "-D",
          server.dir,
          "-m",
          "immediate",
          "stop",
        ]);
      } else removeSharedMemory(server.dir);
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    asPostgres("initdb", ["-D", primary.dir, "-A", "trust", "-U", "postgres", "--no-sync"]);
    appendFileSync(
      join(primary.dir, "postgresql.conf"),
      [
        "wal_level = replica",
        "max_wal_senders = 4",
        "synchronous_standby_names = 'standby1'",
        "max_connections = 100",
        "shared_buffers = 32MB",
        "",
      ].join("\n"),
    );
    start(primary);
    asPostgres("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(primary.port),
      "-U",
      "postgres",
      "-D",
      standby.dir,
      "-X",
      "stream",
      "-R",
    ]);
    appendFileSync(
      join(standby.dir, "postgresql.auto.conf"),
      [
        `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=standby1'`,
        "synchronous_standby_names = ''",
        "",
      ].join("\n"),
    );
    start(standby);
    await waitFor(
      "the standby streaming as sync",
      async () =>
        (await query<{ sync_state: string }>(primary.port, "SELECT sync_state FROM pg_stat_replication"))[0]
          ?.sync_state === "sync",
      30_000,
    );
  } catch (error) {
    stop();
    throw error;
  }
  return {
    primary,
    standby,
    url: `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`,
    killPrimary() {
      const pid = postmasterPid(primary.dir);
      if (pid === null) throw new Error("PostgreSQL pair: the primary is not running");
      for (const victim of processTree(pid)) {
        try {
          process.kill(victim, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    },
    async promoteStandby() {
      asPostgres("pg_ctl", ["-D", standby.dir, "-w", "-t", "30", "promote"]);
      await waitFor(
        "the promoted standby taking writes",
        async () =>
          (await query<{ ro: string }>(standby.port, "SELECT current_setting('transaction_read_only') AS ro"))[0]
            ?.ro === "off" &&
          (await query<{ r: boolean }>(standby.port, "SELECT pg_is_in_recovery() AS r"))[0]?.r === false,
        30_000,
      );
    },
    stop,
  };
}

/** Rows of a query on one server of the pair (the test's oracle reads the new primary directly). */
export { query as queryServer };
