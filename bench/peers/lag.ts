/**
 * @module Event-loop delay of a peer server, in the shape Haetae's /metrics gives it (prom-client
 * samples with a 10 ms resolution and resets on every read), served at GET /lag.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();

/** Answer GET /lag with the delay since the last read (seconds), then reset; 404 otherwise. */
export function lagHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url !== "/lag") {
    res.writeHead(404).end();
    return;
  }
  const body = {
    p50: histogram.percentile(50) / 1e9,
    p99: histogram.percentile(99) / 1e9,
    max: histogram.max / 1e9,
  };
  histogram.reset();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}
