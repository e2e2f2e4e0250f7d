/** @module A stand-in for a Haetae node in SDK tests: the ticket route over HTTP and a WebSocket server the test speaks for. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export interface FakeNode {
  /** The HTTP base URL to give the client. */
  url: string;
  wss: WebSocketServer;
  /** Ticket requests seen, with the Authorization header each carried. */
  ticketRequests: (string | undefined)[];
  /** The `ticket` of each WebSocket upgrade, and whether its URL carried a `token`. */
  upgrades: { ticket: string | null; token: string | null }[];
  /** How the next ticket requests are answered: a status and body, or "drop" (the connection is cut). */
  answerTickets: (n: number) => { status: number; body: unknown } | "drop";
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:0; tickets are granted (`fake-ticket-<n>`) until the test says otherwise. */
export async function startFakeNode(): Promise<FakeNode> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const node: FakeNode = {
    url: "",
    wss,
    ticketRequests: [],
    upgrades: [],
    answerTickets: (n) => ({
      status: 200,
      body: { ticket: `fake-ticket-${n}`, expiresAt: new Date(Date.now() + 30_000).toISOString() },
    }),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || req.url !== "/api/v1/auth/ws-ticket") {
      res.writeHead(404).end();
      return;
    }
    node.ticketRequests.push(req.headers.authorization);
    const answer = node.answerTickets(node.ticketRequests.length);
    if (answer === "drop") {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
  wss.on("headers", (_headers, req) => {
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    node.upgrades.push({ ticket: query.get("ticket"), token: query.get("token") });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  node.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return node;
}
