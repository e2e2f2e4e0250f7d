/** @module A TCP proxy for fault injection: cuts connections, refuses new ones, drops chosen server frames. */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export type Frame = Record<string, unknown>;

/** A TCP proxy in front of the server that cuts, refuses and drops server→client WebSocket frames. */
export interface FaultProxy {
  url: string;
  /** While true, new connections are closed at once, as by a network that is down. */
  refuse: boolean;
  /** Connections accepted (and forwarded) so far. */
  connections: number;
  /** Return true to drop a JSON frame the server sends to the client. */
  dropToClient: ((frame: Frame) => boolean) | undefined;
  /** Drop every open connection abruptly (no close frame), as a network failure does. */
  cut(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: () => number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (proxy.refuse) return void client.destroy();
    proxy.connections += 1;
    const upstream = tcpConnect(targetPort(), "127.0.0.1");
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
    // Pass the upgrade response through, then parse the server's (unmasked) frames one by one.
    // Plain HTTP (the client's ticket request) passes through untouched.
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let plainHttp = false;
    upstream.on("data", (chunk: Buffer) => {
      if (plainHttp) return void client.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!buffer.subarray(0, end).toString("latin1").startsWith("HTTP/1.1 101")) {
          plainHttp = true;
          client.write(buffer);
          return;
        }
        client.write(buffer.subarray(0, end + 4));
        buffer = buffer.subarray(end + 4);
        upgraded = true;
      }
      while (buffer.length >= 10 || (buffer.length >= 2 && ((buffer[1] as number) & 0x7f) < 126)) {
        const short = (buffer[1] as number) & 0x7f;
        const offset = short < 126 ? 2 : short === 126 ? 4 : 10;
        const length = short < 126 ? short : short === 126 ? buffer.readUInt16BE(2) : Number(buffer.readBigUInt64BE(2));
        if (buffer.length < offset + length) return;
        const frame = buffer.subarray(0, offset + length);
        buffer = buffer.subarray(offset + length);
        const isText = ((frame[0] as number) & 0x0f) === 1;
        if (isText && proxy.dropToClient?.(JSON.parse(frame.subarray(offset).toString("utf8")) as Frame)) continue;
        client.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    refuse: false,
    connections: 0,
    dropToClient: undefined,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
