/** @module A plain TCP proxy for chaos tests: put it between a node and PostgreSQL or NATS, then cut or refuse. */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxy {
  /** `host:port` of the proxy. */
  port: number;
  /** While true, new connections are closed at once, as by a dependency that is down. */
  refuse: boolean;
  /** Drop every open connection abruptly. */
  cut(): void;
  /** Cut, refuse for `ms`, then accept again. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: TcpProxy = {
    port: (server.address() as { port: number }).port,
    refuse: false,
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    async outage(ms) {
      proxy.refuse = true;
      proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, ms));
      proxy.refuse = false;
    },
    async close() {
      proxy.refuse = true;
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
