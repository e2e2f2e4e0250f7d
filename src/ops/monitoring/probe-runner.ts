/** @module Probes: two canary accounts log in, message each other, read history and upload and fetch a file through the node's public API, on a schedule. */
import { randomBytes } from "node:crypto";
import type { ProbeName, ProbeResult, ProbeRun } from "../../protocol/index.js";
import type { SliRecorder } from "../sli-recorder.js";
import { type CanaryCredentials, canaryCredentials } from "./canary-accounts.js";
import { probeFiles } from "./file-probe.js";
import { ProbeError, ProbeSocket } from "./probe-socket.js";

/** What a probe measures, each also the SLI it records (`sli.record` checks that), and its results: the protocol's shapes, as `GET /api/v1/ops/probes` answers them. */
export type { ProbeName, ProbeResult, ProbeRun };

export interface ProbeRunnerOptions {
  /** The node's own base URL (`http://127.0.0.1:8080`): probes go through the real sockets. */
  baseUrl: string;
  dataDir: string;
  intervalMs: number;
  timeoutMs: number;
  /** Canary names `<prefix>_a`, `<prefix>_b`; empty: generated and kept in the data folder. */
  usernamePrefix: string;
  /** Empty: generated and kept in the data folder. */
  password: string;
  sli: SliRecorder;
  /**
   * Makes the canaries in the store (marked, so nobody can add them to anything) before they log
   * in; run until it succeeds once.
   */
  prepareAccounts(credentials: CanaryCredentials): Promise<void>;
  /** Told each canary's name (before its first login) and then its id, so real-traffic indicators leave them out. */
  onCanary?: (username: string, userId?: string) => void;
  /** Runs kept for `recentRuns()`. */
  keepRuns?: number;
}

interface Account {
  username: string;
  userId?: string;
  token?: string;
  /**
   * The device key of the canary's last login, presented at the next: someone failing logins to a
   * canary's name makes the account wait, and must not thereby fail the login probe.
   */
  deviceKey?: string;
  socket?: ProbeSocket;
}

/** The node's own address to dial: a wildcard listen address is reached on loopback. */
export function localBaseUrl(host: string, port: number): string {
  if (host === "0.0.0.0") return `http://127.0.0.1:${port}`;
  if (host === "::" || host === "[::]") return `http://[::1]:${port}`;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Runs the probes every `intervalMs` (start to start; a slow run delays the next, runs never
 * overlap). Each run: a fresh login of canary A (then logged out again); A sends a real message
 * to canary B in their direct conversation, timing send→ack and send→B's live event; A reads
 * the conversation's history and expects the message it just sent; A uploads a small file and
 * reads it back (`file-probe.ts`). Every outcome is recorded as
 * an SLI event with `source: "probe"`. Anything that does not answer within `timeoutMs` failed.
 * A broken chat path makes probes fail, never throw: nothing here can crash the node.
 */
export class ProbeRunner {
  private credentials: CanaryCredentials | undefined;
  private readonly sender: Account = { username: "" };
  private readonly recipient: Account = { username: "" };
  private conversationId: string | undefined;
  /** The file the last upload probe stored, read back by the download probe when an upload fails. */
  private fileId: string | undefined;
  private prepared = false;
  private readonly runs: ProbeRun[] = [];
  private readonly last = new Map<ProbeName, ProbeResult>();
  private runCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<ProbeRun> | undefined;
  private stopped = false;
  private readonly wsUrl: string;

  constructor(private readonly options: ProbeRunnerOptions) {
    this.wsUrl = `${options.baseUrl.replace(/^http/, "ws")}/api/v1/ws`;
  }

  /** Run on the schedule, the first run one interval from now. */
  start(): void {
    this.stopped = false;
    this.schedule(this.options.intervalMs);
  }

  /** Stop the schedule, abandon the run in progress (its open requests fail at once) and close the sockets. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const account of [this.sender, this.recipient]) {
      account.socket?.close();
      account.socket = undefined;
    }
    await this.current?.catch(() => undefined);
  }

  /** Run every probe once now (joins the run in progress, if any). */
  runOnce(): Promise<ProbeRun> {
    this.current ??= this.run().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** The last runs, newest last. */
  recentRuns(): ProbeRun[] {
    return [...this.runs];
  }

  /** The newest result of each probe. */
  latest(): Partial<Record<ProbeName, ProbeResult>> {
    return Object.fromEntries(this.last);
  }

  /** The canaries' user ids, once they are known. */
  canaryUserIds(): string[] {
    return [this.sender.userId, this.recipient.userId].filter((id): id is string => id !== undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.runOnce().finally(() => this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started))));
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<ProbeRun> {
    const run = ++this.runCount;
    const startedAt = Date.now();
    const results: ProbeResult[] = [];
    const record = (probe: ProbeName, ok: boolean, latencyMs?: number, error?: string) => {
      if (this.stopped) return; // a run cut short by shutdown measured the shutdown, not the service
      const result: ProbeResult = { probe, ok, at: new Date().toISOString() };
      if (latencyMs !== undefined) result.latencyMs = Math.round(latencyMs * 100) / 100;
      if (error !== undefined) result.error = error;
      results.push(result);
      this.last.set(probe, result);
      this.options.sli.record({ sli: probe, ok, latencyMs, source: "probe" });
    };
    try {
      await this.probeAll(record);
    } catch (error) {
      // Every step catches its own failures; this is the last line that keeps a bug in a probe
      // from becoming an unhandled rejection that takes the node down.
      console.error("haetae: a probe run failed unexpectedly", error);
    }
    const done: ProbeRun = {
      run,
      startedAt: new Date(startedAt).toISOString(),
      durationMs: Date.now() - startedAt,
      results,
    };
    this.runs.push(done);
    if (this.runs.length > (this.options.keepRuns ?? 20)) this.runs.shift();
    return done;
  }

  private async probeAll(record: (probe: ProbeName, ok: boolean, latencyMs?: number, error?: string) => void) {
    const { timeoutMs } = this.options;
    try {
      await this.ensureAccounts();
    } catch (error) {
      const why = `canary accounts: ${codeOf(error)}`;
      for (const probe of ["login", "send", "history", "upload", "download"] as const)
        record(probe, false, undefined, why);
      return;
    }
    const credentials = this.credentials as CanaryCredentials;

    // Login: a fresh device, as a person signing in on a new phone; logged out again at once so
    // probe devices do not pile up as active sessions.
    const loginStarted = performance.now();
    try {
      const reply = await this.post<{ token: string; deviceKey: string }>("/api/v1/auth/login", {
        username: credentials.senderUsername,
        password: credentials.password,
        deviceName: "probe login",
        deviceKey: this.sender.deviceKey,
      });
      this.sender.deviceKey = reply.deviceKey;
      record("login", true, performance.now() - loginStarted);
      void this.post("/api/v1/auth/logout", {}, reply.token).catch(() => undefined);
    } catch (error) {
      record("login", false, performance.now() - loginStarted, codeOf(error));
    }

    // Files: A uploads a small file and reads it back, over HTTP as the web client does.
    const files = await probeFiles(this.options.baseUrl, this.sender.token as string, timeoutMs, this.fileId, record);
    this.fileId = files.fileId;
    if (files.unauthorized) this.sender.token = undefined; // revoked or expired: log in afresh next run

    let sender: ProbeSocket;
    let recipient: ProbeSocket;
    let conversationId: string;
    try {
      [sender, recipient] = await Promise.all([this.socketOf(this.sender), this.socketOf(this.recipient)]);
      conversationId = await this.conversation(sender);
    } catch (error) {
      const why = `connect: ${codeOf(error)}`;
      record("send", false, undefined, why);
      record("history", false, undefined, why);
      return;
    }

    // Send → ack, and send → B's live event. The wait starts before the send: the event may
    // arrive before the ack does.
    const clientMsgId = `probe-${this.runCount.toString(36)}-${randomBytes(4).toString("hex")}`;
    const delivered = recipient.waitFor(
      (frame) =>
        frame.type === "message.new" &&
        frame.conversationId === conversationId &&
        (frame.message as { clientMsgId?: unknown } | undefined)?.clientMsgId === clientMsgId,
      timeoutMs,
    );
    const sent = performance.now();
    let acked = false;
    try {
      await sender.request(
        "message.send",
        { conversationId, clientMsgId, text: `probe ${this.runCount} at ${new Date().toISOString()}` },
        timeoutMs,
      );
      acked = true;
      record("send", true, performance.now() - sent);
    } catch (error) {
      delivered.cancel();
      record("send", false, performance.now() - sent, codeOf(error));
    }
    if (acked) {
      // Only an acknowledged message can be expected to arrive; a failed send is the send probe's failure alone.
      try {
        record("delivery", true, (await delivered.arrived) - sent);
      } catch (error) {
        record("delivery", false, undefined, codeOf(error));
      }
    }

    const read = performance.now();
    try {
      const reply = await sender.request("history", { conversationId, limit: 5 }, timeoutMs);
      const messages = (reply.messages ?? []) as { clientMsgId?: string }[];
      if (acked && !messages.some((m) => m.clientMsgId === clientMsgId)) {
        record("history", false, performance.now() - read, "acknowledged message missing");
      } else {
        record("history", true, performance.now() - read);
      }
    } catch (error) {
      record("history", false, performance.now() - read, codeOf(error));
    }
  }

  /** Have the server make both canaries, then log them in; again after a failure. */
  private async ensureAccounts(): Promise<void> {
    this.credentials ??= canaryCredentials(this.options.dataDir, this.options.usernamePrefix, this.options.password);
    if (!this.sender.username) {
      this.sender.username = this.credentials.senderUsername;
      this.recipient.username = this.credentials.recipientUsername;
      this.options.onCanary?.(this.sender.username);
      this.options.onCanary?.(this.recipient.username);
    }
    if (!this.prepared) {
      await this.options.prepareAccounts(this.credentials);
      this.prepared = true;
    }
    for (const account of [this.sender, this.recipient]) {
      if (account.token) continue;
      const reply = await this.post<{ user: { id: string }; token: string; deviceKey: string }>("/api/v1/auth/login", {
        username: account.username,
        password: this.credentials.password,
        deviceName: "probe",
        deviceKey: account.deviceKey,
      });
      account.userId = reply.user.id;
      account.token = reply.token;
      account.deviceKey = reply.deviceKey;
      this.options.onCanary?.(account.username, reply.user.id);
    }
  }

  /** The account's open socket, connecting when it has none; a refused connection drops the token. */
  private async socketOf(account: Account): Promise<ProbeSocket> {
    if (account.socket?.isOpen) return account.socket;
    account.socket?.close();
    account.socket = undefined;
    try {
      const socket = await ProbeSocket.open(this.wsUrl, account.token as string, this.options.timeoutMs);
      if (this.stopped) {
        socket.close();
        throw new ProbeError("stopped", "the probes were stopped");
      }
      account.socket = socket;
      return socket;
    } catch (error) {
      // A revoked or expired token (close 4500/4501) would never work again: log in afresh next run.
      if (/^(closed_45\d\d|http_401)$/.test(codeOf(error))) account.token = undefined;
      throw error;
    }
  }

  private async conversation(sender: ProbeSocket): Promise<string> {
    if (this.conversationId) return this.conversationId;
    const reply = await sender.request(
      "conversation.create",
      { kind: "direct", memberIds: [this.recipient.userId] },
      this.options.timeoutMs,
    );
    this.conversationId = (reply.conversation as { id: string }).id;
    return this.conversationId;
  }

  /** POST JSON to the node with a deadline; a non-2xx reply rejects with its error code. */
  private async post<T>(path: string, body: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      throw new ProbeError(name === "TimeoutError" ? "timeout" : "connect_failed", (error as Error).message);
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    if (response.ok) return json as T;
    const code = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
    throw new ProbeError(typeof code === "string" ? code : `http_${response.status}`, `${path}: ${response.status}`);
  }
}

function codeOf(error: unknown): string {
  if (error instanceof ProbeError) return error.code;
  return (error as Error)?.name === "TimeoutError" ? "timeout" : "error";
}
