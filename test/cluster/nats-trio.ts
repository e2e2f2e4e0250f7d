/**
 * @module A three-server NATS cluster of a test's own: the machine's nats-server started three
 * times on free ports, each routing to the other two, in a temporary folder. Core NATS only (the
 * chat bus needs no JetStream). A server can be killed with SIGKILL; the monitoring port tells
 * which server each client is on.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, freePort, startChild } from "../child-server.js";

/** The machine's NATS server (Debian's package); override with TEST_NATS_SERVER. */
export const NATS_SERVER = process.env.TEST_NATS_SERVER ?? "/usr/sbin/nats-server";

export interface NatsServer {
  name: string;
  port: number;
  monitorPort: number;
  child: Child;
}

export interface NatsTrio {
  servers: NatsServer[];
  /** `nats://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: the bus URL with every server. */
  url: string;
  /** How many clients named `haetae-…` (chat nodes' buses) each server holds. */
  haetaeClients(): Promise<number[]>;
  stop(): Promise<void>;
}

async function monitor<T>(server: NatsServer, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server.monitorPort}${path}`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as T;
}

/** Start three routed servers and wait until each sees both others. Fails loudly without nats-server. */
export async function startNatsTrio(): Promise<NatsTrio> {
  if (!existsSync(NATS_SERVER)) {
    throw new Error(`${NATS_SERVER} is missing: the NATS cluster test needs nats-server (apt-get install nats-server)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "haetae-nats-trio-"));
  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  const routePorts = [ports[1], ports[4], ports[7]] as number[];
  const servers: NatsServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = ports[i * 3] as number;
      const monitorPort = ports[i * 3 + 2] as number;
      const routes = routePorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`);
      const child = await startChild({
        name: `nats-server n${i}`,
        command: NATS_SERVER,
        args: [
          "-a",
          "127.0.0.1",
          "-p",
          String(port),
          "-m",
          String(monitorPort),
          "--server_name",
          `n${i}`,
          "--cluster_name",
          "haetae-test",
          "--cluster",
          `nats://127.0.0.1:${routePorts[i]}`,
          "--routes",
          routes.join(","),
          "-l",
          join(dir, `n${i}.log`),
        ],
        ready: { url: `http://127.0.0.1:${monitorPort}/healthz` },
      });
      servers.push({ name: `n${i}`, port, monitorPort, child });
    }
    const deadline = Date.now() + 15_000;
    for (const server of servers) {
      while ((await monitor<{ num_routes: number }>(server, "/routez")).num_routes < 2) {
        if (Date.now() > deadline) throw new Error(`nats-server ${server.name} did not route to both others`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.child.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    servers,
    url: `nats://${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`,
    async haetaeClients() {
      return Promise.all(
        servers.map(async (server) => {
          if (server.child.hasExited()) return 0;
          const connz = await monitor<{ connections?: { name?: string }[] }>(server, "/connz?limit=1000");
          return (connz.connections ?? []).filter((c) => c.name?.startsWith("haetae-")).length;
        }),
      );
    },
    async stop() {
      await Promise.all(servers.map((s) => s.child.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
