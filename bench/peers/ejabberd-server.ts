/**
 * @module Peer (c) of `bench:load`: ejabberd from Debian's packages, run as the benchmark's own
 * child process — not the system service. A config written into the run's temporary folder gives
 * it one virtual host, an XMPP-over-WebSocket listener (RFC 7395) and the HTTP API on one
 * loopback port, accounts in Mnesia (its default store) under that folder, and no shapers (the
 * packaged config throttles each client to 3000 B/s, which is a policy, not the server's
 * limit). Two variants: `ejabberd` routes 1:1 messages between online sessions and stores none
 * of them; `ejabberd-mam` archives every message with mod_mam in a temporary SQLite file, twice:
 * the sender's copy in the sender's session before it is routed (so before the XEP-0198 ack), the
 * recipient's copy in the recipient's session before it is delivered. ejabberd's SQLite connection
 * keeps SQLite's defaults — a rollback journal and `synchronous = FULL` — so each archived copy
 * waits for the disk, as Haetae's acks do; one connection serves them all, as ejabberd recommends
 * for SQLite.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The virtual host every benchmark account lives on. */
export const XMPP_DOMAIN = "bench.local";
/** Every account's password: the benchmark measures messaging, not login. */
export const XMPP_PASSWORD = "load-bench-password";

/** Where Debian's ejabberd lives: `ERL_LIBS` for `erl`, and the version. */
export interface EjabberdInstall {
  libs: string;
  version: string;
  erl: string;
  sqlite: boolean;
}

const INSTALL_HINT =
  "Install Debian's packages: apt-get install -y ejabberd erlang-p1-sqlite3 (the second one for ejabberd-mam's SQLite archive). The benchmark runs its own ejabberd instance; the system service need not run.";

/** Where Debian installs ejabberd's Erlang application (`/usr/lib/<triplet>/ejabberd-<version>`). */
const LIB_ROOTS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"];

/**
 * Find Debian's ejabberd (under `libRoots`); throws, saying how to install it, when it or
 * `mam`'s SQLite driver is missing — a benchmark that names ejabberd never skips it silently.
 */
export function findEjabberd(mam: boolean, libRoots = LIB_ROOTS): EjabberdInstall {
  const erl = ["/usr/bin/erl", "/usr/local/bin/erl"].find((p) => existsSync(p));
  let libs: string | undefined;
  let version = "";
  for (const base of libRoots) {
    if (!existsSync(base)) continue;
    const app = readdirSync(base).find((d) => /^ejabberd-\d/.test(d) && existsSync(join(base, d, "ebin/ejabberd.app")));
    if (app) {
      libs = base;
      version = app.slice("ejabberd-".length);
      break;
    }
  }
  if (!erl || !libs)
    throw new Error(`bench:load: target ejabberd asked for, but ejabberd is not installed. ${INSTALL_HINT}`);
  const erlangLib = "/usr/lib/erlang/lib";
  const sqlite = existsSync(erlangLib) && readdirSync(erlangLib).some((d) => d.startsWith("p1_sqlite3-"));
  if (mam && !sqlite)
    throw new Error(
      `bench:load: target ejabberd-mam needs ejabberd's SQLite driver (erlang-p1-sqlite3). ${INSTALL_HINT}`,
    );
  return { libs, version, erl, sqlite };
}

/** The config of one instance: loopback only, no shapers, mod_mam on SQLite when `mam`. */
export function ejabberdConfig(options: { port: number; dir: string; mam: boolean }): string {
  const mam = options.mam
    ? `
sql_type: sqlite
sql_database: ${JSON.stringify(join(options.dir, "archive.db"))}
# ejabberd warns that more than one connection to an SQLite file may race.
sql_pool_size: 1
`
    : "";
  return `# Written by bench/peers/ejabberd-server.ts for one benchmark run.
hosts:
  - ${XMPP_DOMAIN}
loglevel: warning
log_rotate_count: 0
listen:
  -
    port: ${options.port}
    ip: "127.0.0.1"
    module: ejabberd_http
    # Node's default listen backlog, as the other servers of the run have.
    backlog: 511
    request_handlers:
      /ws: ejabberd_http_ws
      /api: mod_http_api
auth_method: internal
auth_password_format: plain
${mam}
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
api_permissions:
  "benchmark registration from loopback":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.0/8
    what:
      - register
modules:
  mod_stream_mgmt: {}
${
  options.mam
    ? `  mod_mam:
    db_type: sql
    default: always
`
    : ""
}`;
}

/** A running instance. */
export interface EjabberdHandle {
  child: ChildProcess;
  /** beam.smp's pid (erl execs erlexec, which execs the emulator: the same process). */
  pid: number;
  port: number;
  /** The RFC 7395 endpoint the generators connect to. */
  url: string;
  output: () => string;
  /** One line for the figures: version and storage. */
  description: string;
}

/** Start ejabberd in `dir` (its config, Mnesia spool, logs and SQLite file) on `port`. */
export async function startEjabberd(options: { dir: string; port: number; mam: boolean }): Promise<EjabberdHandle> {
  const install = findEjabberd(options.mam);
  const config = join(options.dir, "ejabberd.yml");
  writeFileSync(config, ejabberdConfig(options));
  const spool = join(options.dir, "spool");
  // ejabberdctl's own emulator flags (+K, +P), plus no busy-waiting schedulers: on a shared
  // 2-core machine a spinning scheduler takes CPU from the load generators and shows up as
  // server CPU that did no work.
  const args = [
    "-noinput",
    "+K",
    "true",
    "+P",
    "250000",
    "+sbwt",
    "none",
    "+sbwtdcpu",
    "none",
    "+sbwtdio",
    "none",
    "-mnesia",
    "dir",
    JSON.stringify(spool),
    // Halt when standard input closes, i.e. when the benchmark exits, even by a crash or a
    // SIGKILL: no orphaned ejabberd is left holding ports and CPU on a shared machine.
    "-eval",
    "spawn(fun() -> P = open_port({fd, 0, 1}, [in, eof, binary]), (fun W() -> receive {P, eof} -> erlang:halt(0); {P, _} -> W() end end)() end)",
    "-s",
    "ejabberd",
  ];
  // No -sname: a node without distribution needs no epmd and cannot meet another node here.
  const child = spawn(install.erl, args, {
    cwd: options.dir,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      ERL_LIBS: install.libs,
      EJABBERD_CONFIG_PATH: config,
      EJABBERD_LOG_PATH: join(options.dir, "ejabberd.log"),
      ERL_CRASH_DUMP: join(options.dir, "erl_crash.dump"),
      ERL_MAX_PORTS: "32000",
      ERL_MAX_ETS_TABLES: "1400",
    },
  });
  let output = "";
  // Warnings and errors only (loglevel: warning): shown as they come, as the other servers' are.
  const show = (d: Buffer) => {
    output += d;
    if (output.length < 20_000) process.stderr.write(`[ejabberd] ${d}`);
  };
  child.stdout?.on("data", show);
  child.stderr?.on("data", show);
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  // Ready when the HTTP listener answers: ejabberd opens its listeners after its modules start.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`ejabberd exited with ${exited}:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`ejabberd did not start within 30 s:\n${output.slice(-4000)}`);
    }
    try {
      await fetch(`http://127.0.0.1:${options.port}/api/status`, { method: "POST", signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const storage = options.mam
    ? "accounts in Mnesia, every message archived by mod_mam in SQLite (rollback journal, synchronous=FULL)"
    : "accounts in Mnesia, messages routed and not stored";
  return {
    child,
    pid: child.pid as number,
    port: options.port,
    url: `ws://127.0.0.1:${options.port}/ws`,
    output: () => output,
    description: `ejabberd ${install.version} (Debian) listening on 127.0.0.1:${options.port}, XMPP over WebSocket; ${storage}`,
  };
}

/** Register `count` accounts (`load_<index>@bench.local`) through the HTTP API. */
export async function registerXmppUsers(
  port: number,
  count: number,
): Promise<{ index: number; userId: string; token: string }[]> {
  const clients: { index: number; userId: string; token: string }[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const index = next++;
        const user = `load_${index}`;
        const res = await fetch(`http://127.0.0.1:${port}/api/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ user, host: XMPP_DOMAIN, password: XMPP_PASSWORD }),
        });
        if (!res.ok) throw new Error(`ejabberd register ${user}: ${res.status} ${await res.text()}`);
        clients[index] = { index, userId: `${user}@${XMPP_DOMAIN}`, token: XMPP_PASSWORD };
      }
    }),
  );
  return clients;
}
