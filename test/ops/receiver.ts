/** @module A real local HTTP receiver for webhook tests: records every request, answers with the statuses it is told to, and echoes confirmation challenges. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the receiver got it. */
export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer, in order; 200 once they run out. */
  answers: number[];
  /** While set, requests are held open and never answered (a hung receiver). */
  hang: boolean;
  /** Confirmation requests (`x-haetae-event: subscription.confirm`), kept apart from `received`. */
  confirmations: Received[];
  /** Answer a confirmation request by echoing its challenge (true by default); false: a target that never confirms. */
  echoChallenges: boolean;
  /** Wait this long before answering (a slow receiver). */
  delayMs: number;
  /** Requests being answered now, and the most there ever were at once. */
  inFlight: number;
  maxInFlight: number;
  until(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const waiters = new Set<() => void>();
  const receiver: Receiver = {
    url: "",
    received: [],
    answers: [],
    hang: false,
    confirmations: [],
    echoChallenges: true,
    delayMs: 0,
    inFlight: 0,
    maxInFlight: 0,
    until(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (receiver.received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(receiver.received);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${receiver.received.length} of ${count} requests`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer(async (req, res) => {
    receiver.inFlight += 1;
    receiver.maxInFlight = Math.max(receiver.maxInFlight, receiver.inFlight);
    res.on("close", () => {
      receiver.inFlight -= 1;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (receiver.hang) return;
    if (receiver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const at = Date.now();
    const path = req.url ?? "/";
    if (req.headers["x-haetae-event"] === "subscription.confirm") {
      receiver.confirmations.push({ at, path, headers: req.headers, body, json, status: 200 });
      const challenge = (json as { challenge?: string } | undefined)?.challenge ?? "";
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(receiver.echoChallenges ? challenge : "ok");
      for (const wake of [...waiters]) wake();
      return;
    }
    const status = receiver.answers.shift() ?? 200;
    receiver.received.push({ at, path, headers: req.headers, body, json, status });
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(status === 200 ? "ok" : "no");
    for (const wake of [...waiters]) wake();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
