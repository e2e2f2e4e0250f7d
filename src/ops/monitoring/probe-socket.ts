/** @module A minimal WebSocket client for probes: one request at a time with a deadline, and waits for pushed events. */
import WebSocket from "ws";

type Frame = Record<string, unknown> & { type: string };

/** A request the server refused (`code` is its error code), or one that found no answer in time (`timeout`). */
export class ProbeError extends Error {
  override name = "ProbeError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One probe account's connection to the node's public WebSocket endpoint. Unlike the SDK's
 * client it never retries, queues or reconnects by itself: a probe must see a failure as a
 * user's first attempt would, not hide it behind an outbox.
 */
export class ProbeSocket {
  private nextId = 1;
  private readonly replies = new Map<number, (frame: Frame) => void>();
  private readonly watchers = new Set<(frame: Frame) => void>();
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      if ((frame.type === "ok" || frame.type === "error") && typeof frame.id === "number") {
        const resolve = this.replies.get(frame.id);
        this.replies.delete(frame.id);
        resolve?.(frame);
        return;
      }
      for (const watcher of this.watchers) watcher(frame);
    });
    ws.on("close", () => {
      this.closed = true;
      for (const resolve of this.replies.values()) resolve({ type: "error", code: "connection_closed" });
      this.replies.clear();
    });
    ws.on("error", () => undefined); // followed by close
  }

  /** Connect with a bearer token and wait for the `session` frame, at most `timeoutMs`. */
  static open(wsUrl: string, token: string, timeoutMs: number): Promise<ProbeSocket> {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      const fail = (code: string, message: string) => {
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on("error", () => undefined);
        ws.terminate();
        reject(new ProbeError(code, message));
      };
      const timer = setTimeout(() => fail("timeout", `no session within ${timeoutMs} ms`), timeoutMs);
      ws.once("message", (data) => {
        let first: Frame | undefined;
        try {
          first = JSON.parse(data.toString()) as Frame;
        } catch {
          first = undefined;
        }
        if (first?.type !== "session") return fail(String(first?.code ?? "bad_frame"), "session refused");
        clearTimeout(timer);
        ws.removeAllListeners();
        resolve(new ProbeSocket(ws));
      });
      ws.once("unexpected-response", (_req, res) => fail(`http_${res.statusCode}`, "upgrade refused"));
      ws.once("error", (error) => fail("connect_failed", error.message));
      ws.once("close", (code) => fail(`closed_${code}`, "closed before the session began"));
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a request; resolve with the ok reply, reject with a ProbeError on an error reply or after `timeoutMs`. */
  request(type: string, params: Record<string, unknown>, timeoutMs: number): Promise<Frame> {
    if (!this.isOpen) return Promise.reject(new ProbeError("connection_closed", "the connection is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new ProbeError("timeout", `${type}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(id, (frame) => {
        clearTimeout(timer);
        if (frame.type === "ok") resolve(frame);
        else
          reject(new ProbeError(String(frame.code), `${type}: ${String(frame.code)} ${String(frame.message ?? "")}`));
      });
      this.ws.send(JSON.stringify({ type, id, ...params }));
    });
  }

  /**
   * Start waiting for a pushed frame matching `predicate`, before the request that causes it is
   * sent (the event can arrive before that request's reply). Resolves with the time it arrived.
   */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs: number): { arrived: Promise<number>; cancel(): void } {
    let cancel = (): void => undefined;
    const arrived = new Promise<number>((resolve, reject) => {
      const watcher = (frame: Frame) => {
        if (!predicate(frame)) return;
        done();
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        done();
        reject(new ProbeError("timeout", `no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      cancel = () => {
        done();
        reject(new ProbeError("cancelled", "no longer waited for"));
      };
      this.watchers.add(watcher);
    });
    arrived.catch(() => undefined); // a cancelled wait is not an unhandled rejection
    return { arrived, cancel: () => cancel() };
  }

  close(): void {
    this.closed = true;
    this.ws.removeAllListeners("message");
    this.ws.on("error", () => undefined);
    this.ws.close();
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}
