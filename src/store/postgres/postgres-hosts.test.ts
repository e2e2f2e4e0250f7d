/** @module A store URL with several hosts on a real PostgreSQL: parsed as libpq does, and connected to the server that answers and takes writes. */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freePort } from "../../../test/child-server.js";
import { POSTGRES_URL } from "../../../test/services.js";
import { StoreUnavailableError } from "../store-errors.js";
import { connectionSettings } from "./postgres-connection.js";
import { parseHostList } from "./postgres-hosts.js";

describe("parseHostList", () => {
  it("splits libpq's host list, takes target_session_attrs out and names the first host in the URL", () => {
    const list = parseHostList(
      "postgres://u:p@db1:5433,db2,[::1]:5435/chat?target_session_attrs=read-write&schema=s1&sslmode=disable",
    );
    expect(list.hosts).toEqual([
      { host: "db1", port: 5433 },
      { host: "db2", port: 5432 },
      { host: "::1", port: 5435 },
    ]);
    expect(list.target).toBe("read-write");
    expect(list.url).toBe("postgres://u:p@db1:5433/chat?schema=s1&sslmode=disable");
    expect(parseHostList("postgresql://h/db").target).toBe("any");
    expect(parseHostList("postgres://h/db?target_session_attrs=primary").target).toBe("read-write");
  });

  it("refuses what libpq would not take, with the part that is wrong", () => {
    expect(() => parseHostList("postgres://a,,b/db")).toThrow(/"" is not a host/);
    expect(() => parseHostList("postgres://a:99x/db")).toThrow(/"a:99x" is not a host/);
    expect(() => parseHostList("postgres://a/db?target_session_attrs=standby")).toThrow(/target_session_attrs/);
  });
});

describe("a store URL with several hosts", () => {
  const real = new URL(POSTGRES_URL);
  const withHosts = async (...hosts: string[]) =>
    `postgres://${real.username}@${hosts.join(",")}${real.pathname}?target_session_attrs=read-write`;

  it("skips a host that refuses connections and lands on the one that takes writes, in pool and client alike", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const { settings, newClient } = connectionSettings(await withHosts(dead, `${real.hostname}:${real.port || 5432}`));
    const pool = new pg.Pool({ ...settings, max: 2 });
    try {
      const row = (await pool.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")).rows[0];
      expect(row?.ro).toBe("off");
    } finally {
      await pool.end();
    }
    const client = newClient();
    await client.connect();
    expect(client.port).toBe(Number(real.port || 5432));
    await client.end();
  });

  it("fails as unavailable, at once, when no host answers", async () => {
    const url = await withHosts(`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`);
    const started = Date.now();
    await expect(connectionSettings(url).newClient().connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

/**
 * A TCP relay to the real PostgreSQL that, once `cut` is set, resets both sides of a connection
 * the moment its client asks `SHOW transaction_read_only`: the server dying (kill -9) just as
 * a fresh connection checks that it takes writes.
 */
async function cuttingRelay(to: {
  host: string;
  port: number;
}): Promise<{ port: number; cut: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay = {
    port: 0,
    cut: false,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(to);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => {
      if (relay.cut && chunk.includes("transaction_read_only")) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  relay.port = typeof address === "object" && address ? address.port : 0;
  return relay;
}

describe("a server that dies while a connection checks it takes writes", () => {
  it("fails that connection, as the pool's caller sees it, and raises no error event nobody listens to", async () => {
    const real = new URL(POSTGRES_URL);
    const relay = await cuttingRelay({ host: real.hostname, port: Number(real.port || 5432) });
    const url = `postgres://${real.username}@127.0.0.1:${relay.port},127.0.0.1:${await freePort()}${real.pathname}?target_session_attrs=read-write`;
    const { settings, newClient } = connectionSettings(url);
    // A first connection finds the relay and remembers it: the next goes straight there.
    const first = newClient();
    await first.connect();
    await first.end();
    const pool = new pg.Pool({ ...settings, max: 2 });
    const lostIdle: Error[] = [];
    pool.on("error", (error) => lostIdle.push(error));
    relay.cut = true;
    try {
      await expect(pool.query("SELECT 1")).rejects.toThrow();
      await expect(newClient().connect()).rejects.toThrow();
      relay.cut = false;
      // The server is back: the next connection goes through.
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
      await relay.close();
    }
    expect(lostIdle).toEqual([]);
  });
});
