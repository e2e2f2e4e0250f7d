/** @module The fuzzer's attackers: a WebSocket lane that throws frames in batches and checks every reply, and the HTTP thrower. */
import { request as httpRequestRaw } from "node:http";
import WebSocket from "ws";
import { describeFrame, type FuzzFrame, type FuzzHttpRequest, LEARNED } from "./fuzz-arbitraries.js";
import { type Expected, expectedReply, httpErrorProblem, leakIn, replyProblem, type Secrets } from "./fuzz-oracle.js";

/** Where a lane gets a working token: a fresh login (or a fresh attacker account when logins are refused). */
export type TokenSource = () => Promise<string>;

/** Request types after which the server may end the session on purpose (4501). */
const SESSION_ENDERS = new Set(["auth.logout", "device.revoke"]);

type Reply = Record<string, unknown>;

interface Connection {
  ws: WebSocket;
  replies: Reply[];
  closeCode: number | undefined;
  changed: () => void;
}

/** One attacker session that throws a batch of frames at a time and holds the server to one reply each. */
export class WsLane {
  private connection: Connection | undefined;
  private token: string | undefined;
  private counter = 0;
  /** Frames answered and batches thrown, and how often each answer came, for the report. */
  frames = 0;
  batches = 0;
  readonly answers = new Map<string, number>();
  /** Conversation ids and sync cursors this lane's replies carried, for the `LEARNED` stand-ins. */
  private readonly learned: Record<keyof typeof LEARNED, string[]> = { conversationId: [], cursor: [] };

  constructor(
    private readonly name: string,
    private readonly wsUrl: string,
    private readonly maxFrameBytes: number,
    private readonly secrets: Secrets,
    private readonly tokens: TokenSource,
    /** Problems found outside a batch's own checks (a leak in a pushed event). */
    private readonly report: (problem: string) => void,
  ) {}

  private async open(): Promise<Connection> {
    if (this.connection && this.connection.closeCode === undefined) return this.connection;
    this.token ??= await this.tokens();
    const ws = new WebSocket(this.wsUrl, { headers: { authorization: `Bearer ${this.token}` } });
    const connection: Connection = { ws, replies: [], closeCode: undefined, changed: () => undefined };
    const first = await new Promise<Reply>((resolve, reject) => {
      ws.once("message", (data) => resolve(JSON.parse(data.toString()) as Reply));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
    if (first.type !== "session") {
      // A token ended by an earlier frame (a logout); the next batch takes a new one.
      this.token = undefined;
      ws.terminate();
      throw new Error(`session refused: ${JSON.stringify(first)}`);
    }
    ws.on("message", (data, isBinary) => this.onMessage(connection, data.toString(), isBinary));
    ws.on("close", (code) => {
      connection.closeCode = code;
      if (code === 4501 || code === 4500) this.token = undefined;
      connection.changed();
    });
    ws.on("error", () => undefined);
    this.connection = connection;
    return connection;
  }

  private onMessage(connection: Connection, text: string, isBinary: boolean): void {
    if (isBinary) this.report(`${this.name}: the server sent a binary frame`);
    let frame: Reply;
    try {
      frame = JSON.parse(text) as Reply;
    } catch {
      this.report(`${this.name}: the server sent a frame that is not JSON: ${text.slice(0, 120)}`);
      return;
    }
    const leaked = leakIn(text, frame.type === "error", this.secrets);
    if (leaked) this.report(`${this.name}: a ${String(frame.type)} frame carried ${leaked}: ${text.slice(0, 300)}`);
    if (frame.type === "ok" || frame.type === "error") connection.replies.push(frame);
    if (frame.type === "ok") this.learn(frame);
    connection.changed();
  }

  private learn(reply: Reply): void {
    const conversation = reply.conversation as { id?: unknown } | undefined;
    if (typeof conversation?.id === "string") this.learned.conversationId.push(conversation.id);
    if (typeof reply.cursor === "string") this.learned.cursor.push(reply.cursor);
    for (const list of Object.values(this.learned)) if (list.length > 50) list.splice(0, list.length - 50);
  }

  /** A learned value in place of its stand-in (the latest ones more often), or the stand-in when none was learned. */
  private fill(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.fill(v));
    for (const [key, standIn] of Object.entries(LEARNED)) {
      const list = this.learned[key as keyof typeof LEARNED];
      if (value === standIn && list.length > 0)
        return list[list.length - 1 - (this.counter % Math.min(list.length, 5))];
    }
    return value;
  }

  /** The frame's bytes, with its id filled in (unique per lane for the ids the envelope takes). */
  private encode(frame: FuzzFrame): { bytes: Buffer; binary: boolean } {
    if (frame.kind === "binary" || frame.kind === "badutf8") {
      return { bytes: Buffer.from(frame.bytes), binary: frame.kind === "binary" };
    }
    this.counter += 1;
    const shape = frame.id;
    const id =
      shape.kind === "number"
        ? (shape.negative ? -1 : 1) * (this.counter * 100 + Number(this.name.replace(/\D/g, "") || 0))
        : shape.kind === "string"
          ? `${this.name}.${this.counter}.${shape.suffix}`.slice(0, 128)
          : shape.kind === "bad"
            ? shape.value
            : undefined;
    if (frame.kind === "text") return { bytes: Buffer.from(frame.text(id), "utf8"), binary: false };
    // fromEntries keeps a `__proto__` key as a key of the frame, as JSON.parse will read it.
    const body: Record<string, unknown> = Object.fromEntries(
      Object.entries(frame.params).map(([key, value]) => [key, this.fill(value)]),
    );
    body.type = frame.type;
    if (id !== undefined) body.id = id;
    return { bytes: Buffer.from(JSON.stringify(body), "utf8"), binary: false };
  }

  /**
   * Throw a batch and check it: after a closing `ping` is answered, every earlier frame has been
   * answered too (replies leave in order, refusals at once), so the count is exact.
   */
  async batch(frames: FuzzFrame[]): Promise<void> {
    this.batches += 1;
    const problems: string[] = [];
    const expected: { frame: FuzzFrame; expect: Expected }[] = [];
    // One connection for the whole batch: frames after a logout in it go to the closed socket, unanswered.
    const connection = await this.open().catch(() => this.open());
    const closers: { frame: FuzzFrame; bytes: Buffer }[] = [];
    for (const frame of frames) {
      const { bytes, binary } = this.encode(frame);
      // Past four times the limit ws closes the connection (1009), as it does a text frame that is
      // not UTF-8 (1007): thrown after the batch on connections of their own, so its count stays exact.
      if (frame.kind === "badutf8" || bytes.length > this.maxFrameBytes * 4) {
        closers.push({ frame, bytes });
        continue;
      }
      expected.push({ frame, expect: expectedReply(bytes, binary, this.maxFrameBytes) });
      connection.ws.send(bytes, { binary });
    }
    if (expected.length > 0) await this.answered(connection, expected, problems);
    for (const { frame, bytes } of closers) {
      const closed = await this.throwAway(bytes, frame.kind === "badutf8" ? 1007 : 1009);
      if (closed) problems.push(`${describeFrame(frame)}: ${closed}`);
    }
    this.fail(problems, frames);
  }

  /** Wait for the batch's answers and check them. */
  private async answered(
    connection: Connection,
    expected: { frame: FuzzFrame; expect: Expected }[],
    problems: string[],
  ): Promise<void> {
    const sentinel = `${this.name}.end.${this.batches}`;
    connection.ws.send(JSON.stringify({ type: "ping", id: sentinel }));
    const done = () =>
      connection.closeCode !== undefined ||
      connection.replies.some((r) => r.id === sentinel && r.type === "ok") ||
      connection.replies.length > expected.length;
    await until(connection, done, 20_000);
    if (!done()) problems.push(`no answer to the batch in 20 s (${connection.replies.length} replies)`);
    const replies = connection.replies.filter((r) => r.id !== sentinel);
    connection.replies = [];
    this.frames += replies.length;
    // A logout that was answered `ok` ends the session right after: wait for it, so the close
    // is counted against this batch and the next one starts with a new token.
    const loggedOut = expected.some(
      ({ frame, expect }) =>
        frame.kind === "request" &&
        SESSION_ENDERS.has(frame.type) &&
        replies.some((r) => r.id === expect.id && expect.id !== undefined && r.type === "ok"),
    );
    if (loggedOut) {
      await until(connection, () => connection.closeCode !== undefined, 5000);
      if (connection.closeCode === undefined) problems.push("still open 5 s after its device was logged out");
      this.token = undefined;
    }
    this.check(expected, replies, connection.closeCode, loggedOut, problems);
  }

  private check(
    sent: { frame: FuzzFrame; expect: Expected }[],
    replies: Reply[],
    closeCode: number | undefined,
    loggedOut: boolean,
    problems: string[],
  ): void {
    for (const reply of replies) {
      const answer = reply.type === "ok" ? "ok" : String(reply.code);
      this.answers.set(answer, (this.answers.get(answer) ?? 0) + 1);
      const problem = replyProblem(reply);
      if (problem) problems.push(`reply ${JSON.stringify(reply).slice(0, 300)}: ${problem}`);
    }
    const rest = [...replies];
    const unmatched: Expected[] = [];
    for (const { frame, expect } of sent) {
      if (expect.id === undefined) {
        unmatched.push(expect);
        continue;
      }
      const mine = rest.filter((r) => r.id === expect.id);
      if (mine.length > 1) problems.push(`${describeFrame(frame)}: ${mine.length} replies`);
      const reply = mine[0];
      if (!reply) {
        if (closeCode === undefined) problems.push(`${describeFrame(frame)}: no reply`);
        continue;
      }
      rest.splice(rest.indexOf(reply), 1);
      if (expect.code !== "any" && reply.code !== expect.code) {
        problems.push(`${describeFrame(frame)}: answered ${String(reply.code)}, the schemas say ${expect.code}`);
      }
    }
    // Frames without a usable id: as many replies as frames, with the same codes.
    const want = unmatched.map((e) => e.code).sort();
    const got = rest.map((r) => String(r.code)).sort();
    if (closeCode === undefined ? want.join() !== got.join() : got.length > want.length) {
      problems.push(
        `frames without a usable id were answered ${got.join(",") || "nothing"}; expected ${want.join(",")}`,
      );
    }
    if (closeCode !== undefined && !(closeCode === 4501 && loggedOut)) {
      problems.push(`the connection closed with ${closeCode}`);
    }
  }

  /** Send one frame that must close its connection with `code`; returns a problem, or undefined. */
  private async throwAway(bytes: Buffer, code: number): Promise<string | undefined> {
    this.token ??= await this.tokens();
    const ws = new WebSocket(this.wsUrl, { headers: { authorization: `Bearer ${this.token}` } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve(`not closed within 10 s (expected ${code})`);
      }, 10_000);
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as Reply;
        if (frame.type === "session") ws.send(bytes, { binary: false });
        else if (leakIn(data.toString(), frame.type === "error", this.secrets)) resolve("a leak");
      });
      ws.on("error", () => undefined);
      ws.on("close", (closeCode) => {
        clearTimeout(timer);
        resolve(closeCode === code ? undefined : `closed with ${closeCode}, expected ${code}`);
      });
    });
  }

  private fail(problems: string[], frames: FuzzFrame[]): void {
    if (problems.length === 0) return;
    throw new Error(
      `${this.name}, batch ${this.batches}:\n  ${problems.join("\n  ")}\nthe batch:\n  ${frames.map(describeFrame).join("\n  ")}`,
    );
  }

  async close(): Promise<void> {
    const ws = this.connection?.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close();
    });
  }
}

function until(connection: Connection, predicate: () => boolean, timeoutMs: number): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    connection.changed = () => {
      if (!predicate()) return;
      clearTimeout(timer);
      connection.changed = () => undefined;
      resolve();
    };
  });
}

/** Headers past Node's 16 KiB limit, bodies past the server's and very long targets may be cut off with a reset. */
function mayBeReset(req: FuzzHttpRequest, maxBodyBytes: number): boolean {
  const headerBytes = Object.values(req.extraHeaders).reduce((n, v) => n + v.length, 0) + req.authorization.length;
  return headerBytes + req.path.length > 16_000 || Buffer.byteLength(req.body ?? "") > maxBodyBytes;
}

/** Throw one HTTP request and check the answer: catalogue errors in the one shape, and no leak. */
export async function throwHttp(
  url: string,
  req: FuzzHttpRequest,
  ownToken: string,
  secrets: Secrets,
  maxBodyBytes: number,
): Promise<{ status: number; body: string } | undefined> {
  const { hostname, port } = new URL(url);
  const headers: Record<string, string> = { ...req.extraHeaders };
  if (req.contentType !== undefined) headers["content-type"] = req.contentType;
  // Node frames a GET's or HEAD's body only when told its length; unframed, it would read as the next request.
  if (req.body !== undefined && !headers["transfer-encoding"])
    headers["content-length"] = String(Buffer.byteLength(req.body));
  if (req.authorization === "own") headers.authorization = `Bearer ${ownToken}`;
  else if (req.authorization !== "none") headers.authorization = req.authorization;
  const answer = await new Promise<{ status: number; body: string; type: string } | Error>((resolve) => {
    let outgoing: ReturnType<typeof httpRequestRaw>;
    try {
      outgoing = httpRequestRaw({ hostname, port, path: req.path, method: req.method, headers, agent: false });
    } catch (error) {
      return resolve(error as Error); // refused by the client itself (a character it will not send)
    }
    outgoing.setTimeout(15_000, () => outgoing.destroy(new Error("no answer in 15 s")));
    outgoing.on("error", (error) => resolve(error));
    outgoing.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (error) => resolve(error));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          type: String(res.headers["content-type"] ?? ""),
        }),
      );
    });
    outgoing.end(req.body);
  });
  const headerList = Object.entries(headers).map(
    ([k, v]) => `${k}: ${v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v}`,
  );
  const body =
    req.body === undefined ? "no body" : `body ${JSON.stringify(req.body.slice(0, 120))} (${req.body.length})`;
  const what = `${req.method} ${req.path.slice(0, 120)} [${headerList.join("; ")}] ${body}`;
  if (answer instanceof Error) {
    const code = (answer as NodeJS.ErrnoException).code ?? "";
    if (code.startsWith("ERR_INVALID") || code === "ERR_UNESCAPED_CHARACTERS") return undefined;
    if ((code === "ECONNRESET" || code === "EPIPE") && mayBeReset(req, maxBodyBytes)) return undefined;
    // A request Node's parser refused is answered with a body, which a HEAD's client does not expect.
    if (req.method === "HEAD" && code.startsWith("HPE_")) return undefined;
    throw new Error(`${what}: ${answer.message}`);
  }
  const leaked = leakIn(answer.body, answer.status >= 400, secrets);
  if (leaked) throw new Error(`${what}: HTTP ${answer.status} carried ${leaked}`);
  const isApi = /^\/+api\//i.test(req.path) || answer.type.includes("json");
  if (answer.status >= 400 && req.method !== "HEAD" && isApi) {
    const problem = httpErrorProblem(answer.status, answer.body);
    if (problem) throw new Error(`${what}: ${problem}`);
  }
  if (answer.status >= 500 && !/"code":"(unavailable|overloaded)"/.test(answer.body)) {
    throw new Error(`${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  }
  return answer;
}
