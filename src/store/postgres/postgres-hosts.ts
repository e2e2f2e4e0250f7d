/**
 * @module Several PostgreSQL servers in one store URL, as libpq takes them
 * (`postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write`): node-postgres connects to
 * one host only, so a client of ours finds the server that takes writes, and finds it again after
 * a failover, when its connections to the old primary have died.
 */
import pg from "pg";
import { StoreUnavailableError } from "../store-errors.js";

/** One server of the list. */
export interface PgHost {
  host: string;
  port: number;
}

/** Which server a connection may end on: `any` (the first that answers) or `read-write` (a primary). */
export type TargetSessionAttrs = "any" | "read-write";

/** A store URL cut into the servers it lists and a URL naming only the first (what node-postgres parses). */
export interface HostList {
  url: string;
  hosts: PgHost[];
  target: TargetSessionAttrs;
}

/**
 * Split `url`'s authority into its hosts. libpq's forms: `h1:p1,h2:p2`, a host without a port
 * taking 5432, IPv6 in brackets. `target_session_attrs` is taken out (node-postgres does not
 * know it); `primary` is read as `read-write`, as on a server without `default_transaction_read_only`.
 */
export function parseHostList(url: string): HostList {
  const match = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/.exec(url);
  if (!match) throw new Error("store: not a postgres:// URL");
  const [, scheme, auth = "", authority = "", rest = ""] = match;
  const hosts = authority.split(",").map((entry): PgHost => {
    const hostPort = /^(\[[^\]]+\]|[^:]*)(?::(\d{1,5}))?$/.exec(entry);
    const host = hostPort?.[1]?.replace(/^\[(.+)\]$/, "$1") ?? "";
    if (!hostPort || host === "") throw new Error(`store: "${entry}" is not a host[:port] in the store URL`);
    return { host, port: hostPort[2] ? Number(hostPort[2]) : 5432 };
  });
  const [path = "", query = ""] = rest.split("?", 2) as [string, string?];
  const params = new URLSearchParams(query);
  const attrs = params.get("target_session_attrs") ?? "any";
  params.delete("target_session_attrs");
  if (attrs !== "any" && attrs !== "read-write" && attrs !== "primary") {
    throw new Error('store: target_session_attrs must be "any", "read-write" or "primary"');
  }
  const first = hosts[0] as PgHost;
  const firstHost = first.host.includes(":") ? `[${first.host}]` : first.host;
  const search = params.toString();
  return {
    url: `${scheme}${auth}${firstHost}:${first.port}${path}${search ? `?${search}` : ""}`,
    hosts,
    target: attrs === "any" ? "any" : "read-write",
  };
}

/** What a client of the list needs beside node-postgres's own settings. */
export interface HostListConfig extends pg.ClientConfig {
  hostList: PgHost[];
  targetSessionAttrs: TargetSessionAttrs;
}

/** The server last found to fit, per list: new connections go straight there until it fails. */
const lastGood = new Map<string, PgHost>();

const listKey = (config: HostListConfig) =>
  `${config.targetSessionAttrs} ${config.hostList.map((h) => `${h.host}:${h.port}`).join(",")}`;

/** Whether the server behind `client` takes writes: libpq's own check for `read-write`. */
async function takesWrites(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ transaction_read_only: string }>("SHOW transaction_read_only");
  return result.rows[0]?.transaction_read_only === "off";
}

/**
 * Ask every server at once (a dead host costs one connect timeout, not one per host before it)
 * and take the first in the list's order that fits: a standby answers, but not for writes.
 */
async function findHost(config: HostListConfig): Promise<PgHost> {
  const verdicts = await Promise.all(
    config.hostList.map(async (candidate) => {
      const probe = new pg.Client(config);
      probe.host = candidate.host;
      probe.port = candidate.port;
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return config.targetSessionAttrs === "any" || (await takesWrites(probe));
      } catch {
        return false;
      } finally {
        probe.end().catch(() => undefined);
      }
    }),
  );
  const found = config.hostList.find((_, i) => verdicts[i]);
  if (!found) {
    const names = config.hostList.map((h) => `${h.host}:${h.port}`).join(", ");
    throw new StoreUnavailableError(
      config.targetSessionAttrs === "any"
        ? `no PostgreSQL server answers (${names})`
        : `no PostgreSQL server takes writes (${names}): a failover may be under way`,
    );
  }
  return found;
}

/**
 * A node-postgres client over a host list; the pool makes it with `new Client(config)`, the
 * writer thread itself. It connects to the server that last fitted, or finds one; a connection
 * that fails, or lands on a server that no longer takes writes (a primary demoted), forgets that
 * server and fails as unavailable, so the caller's retry finds the new one.
 */
export class HostListClient extends pg.Client {
  private readonly list: HostListConfig;

  constructor(config: HostListConfig) {
    super(config);
    this.list = config;
  }

  override connect(): Promise<pg.Client>;
  override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
  override connect(
    callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void),
  ): Promise<pg.Client> | undefined {
    const connected = this.connectToFit();
    if (!callback) return connected;
    const done = callback as (err: Error | null, c?: pg.Client) => void;
    connected.then(
      () => done(null, this),
      (error: Error) => done(error),
    );
    return undefined;
  }

  private async connectToFit(): Promise<pg.Client> {
    const key = listKey(this.list);
    const target = lastGood.get(key) ?? (await findHost(this.list));
    this.host = target.host;
    this.port = target.port;
    // Connected but not yet handed over, nobody listens to this client's errors (a pool listens
    // once `connect` answers): a server lost during the check would raise an `error` event with
    // no listener, which ends the process. The failed check rejects with that error instead.
    const meanwhile = () => undefined;
    this.on("error", meanwhile);
    try {
      await super.connect();
      if (this.list.targetSessionAttrs === "read-write" && !(await takesWrites(this))) {
        throw new StoreUnavailableError(`PostgreSQL at ${target.host}:${target.port} no longer takes writes`);
      }
    } catch (error) {
      if (lastGood.get(key) === target) lastGood.delete(key);
      this.end().catch(() => undefined); // `meanwhile` stays: this client is dropped
      throw error;
    }
    this.off("error", meanwhile);
    lastGood.set(key, target);
    return this;
  }
}
