/**
 * @module One client process of `bench:connections --nodes N`: opens idle WebSocket connections
 * from one loopback source address (so each process has its own ~28,000 ephemeral ports), retries
 * each refused one after a jittered wait, and holds them open until killed. Started by
 * `bench/connections-scale-out.ts`; not meant to be run by hand.
 */
import WebSocket from "ws";

/** Conductor → generator: open these connections (a URL and an optional bearer token each). */
export interface IdlePlan {
  type: "plan";
  localAddress: string;
  connections: { url: string; token?: string }[];
}

/** Generator → conductor: all open (`open`), or progress while opening. */
export interface IdleProgress {
  type: "progress" | "open";
  open: number;
  /** Attempts refused or failed, by socket error message. */
  failures: Record<string, number>;
}

const sockets: WebSocket[] = [];
const failures: Record<string, number> = {};
let open = 0;

async function openOne(url: string, localAddress: string, token: string | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const ws = new WebSocket(url, {
        localAddress,
        perMessageDeflate: false,
        // Without it, an upgrade the server never answers holds an opener forever: a 100,000
        // session run stalled with openers idle and nothing in flight on their address.
        handshakeTimeout: 30_000,
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      // Haetae (a token) admits a session with its `session` frame, or refuses it for now with
      // an error frame carrying `retryAfterMs` and close 4002; the bare ws peer just opens.
      let toldMs: number | undefined;
      await new Promise<void>((resolve, reject) => {
        ws.once(token ? "message" : "open", (data?: WebSocket.RawData) => {
          if (!token) return resolve();
          const frame = JSON.parse(String(data)) as { type: string; code?: string; retryAfterMs?: number };
          if (frame.type === "session") return resolve();
          toldMs = frame.retryAfterMs;
          reject(new Error(`session refused: ${frame.code}`));
        });
        ws.once("error", reject);
        ws.once("close", (code) => reject(new Error(`closed with ${code}`)));
      }).catch((error: unknown) => {
        ws.terminate();
        throw Object.assign(error as Error, { toldMs });
      });
      // An idle session still answers the server's pings (ws does that by itself).
      ws.on("error", () => undefined);
      ws.on("close", () => {
        open -= 1;
      });
      sockets.push(ws);
      open += 1;
      return;
    } catch (error) {
      const why = (error as Error).message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, "").trim();
      failures[why] = (failures[why] ?? 0) + 1;
      if (attempt >= 50) throw error;
      // The wait the server told, plus capped full jitter, as the SDK does: refused clients spread themselves out.
      const told = (error as { toldMs?: number }).toldMs ?? 0;
      await new Promise((resolve) => setTimeout(resolve, told + Math.random() * Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}

process.on("message", (plan: IdlePlan) => {
  const progress = setInterval(() => process.send?.({ type: "progress", open, failures }), 2000);
  let next = 0;
  Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < plan.connections.length) {
        const c = plan.connections[next++] as { url: string; token?: string };
        await openOne(c.url, plan.localAddress, c.token);
      }
    }),
  ).then(
    () => {
      clearInterval(progress);
      process.send?.({ type: "open", open, failures } satisfies IdleProgress);
    },
    (error: Error) => {
      clearInterval(progress);
      console.error(`idle generator: ${error.message}`);
      process.exit(1);
    },
  );
});
