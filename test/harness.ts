/** @module Test harness: a real server on an ephemeral port with a fresh data folder, and a raw protocol client. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { type App, startApp } from "../src/app.js";
import { makeConfig } from "../src/config/config.js";
import type { AuthReply, ServerEvent, SessionEvent } from "../src/protocol/index.js";

export interface TestServer {
  app: App;
  url: string;
  wsUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Settings every test server shares: a cheap scrypt; no per-address login limit (every test
 * registers from 127.0.0.1); and load shedding only at a lag no test reaches, since the whole
 * suite shares two cores with a browser — tests of the limits and of shedding set their own.
 * Probes are off: their canaries and messages would show up in tests that count users or
 * messages; the probe tests turn them on.
 */
export const TEST_DEFAULTS = {
  scryptLogN: 10,
  loginsPerMinutePerIp: 1_000_000,
  degradeLagMs: 60_000,
  probeIntervalMs: 0,
  // Guarantee tests send hundreds of messages a second as one user; the per-user limits have
  // their own tests (test/guard/limits.test.ts), which set them low on purpose.
  userSendsPerSecond: 1_000_000,
  userSendBurst: 1_000_000,
  userRequestsPerSecond: 1_000_000,
  userRequestBurst: 1_000_000,
  // A link in a test's text must not reach out to the internet; the preview tests turn them on.
  linkPreviews: false,
  // Sends admitted by time refuse a pipelined burst on a busy machine; its own tests
  // (test/guard/send-admission.test.ts, src/guard/send-admission.test.ts) turn it on.
  sendQueueTargetMs: 0,
};

/** Start a node on 127.0.0.1:0 with a fresh SQLite folder; a cheap scrypt keeps tests fast. */
export async function startTestServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-test-"));
  const app = await startApp(makeConfig({ port: 0, data: dataDir, ...TEST_DEFAULTS, ...overrides }));
  return {
    app,
    url: app.url,
    wsUrl: `${app.url.replace("http", "ws")}/api/v1/ws`,
    dataDir,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let userCounter = 0;

/** Register a new user with a unique name (prefix + counter) and return its auth reply. */
export async function registerUser(baseUrl: string, prefix = "user", displayName?: string): Promise<AuthReply> {
  userCounter += 1;
  const username = `${prefix}${userCounter}_${process.pid % 10000}`;
  return postJson(baseUrl, "/api/v1/auth/register", { username, password: "correct horse", displayName }, 201);
}

/** Log an existing user in again: a second device. */
export async function loginDevice(baseUrl: string, username: string, deviceName = "phone"): Promise<AuthReply> {
  return postJson(baseUrl, "/api/v1/auth/login", { username, password: "correct horse", deviceName }, 200);
}

export async function postJson<T>(baseUrl: string, path: string, body: unknown, expectStatus: number): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (res.status !== expectStatus) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export type Frame = Record<string, unknown> & { type: string };

/**
 * A raw protocol client for tests: sends frames as given, answers requests by id, and keeps
 * every pushed event so tests can assert on exactly what arrived.
 */
/**
 * Open a session that the server is expected to refuse for now: resolves with the error frame it
 * sent before closing, and the close code (4002 with `retryAfterMs` for a refusal by load or rate).
 */
export function refusedSession(wsUrl: string, token: string): Promise<{ frame: Frame; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    let frame: Frame | undefined;
    ws.on("message", (data) => {
      const parsed = JSON.parse(data.toString()) as Frame;
      if (parsed.type === "session") reject(new Error("the session was admitted"));
      frame ??= parsed;
    });
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    ws.once("error", reject);
    ws.once("close", (code) =>
      frame ? resolve({ frame, closeCode: code }) : reject(new Error(`closed ${code} without a frame`)),
    );
  });
}

/**
 * Fixture setup: each of `memberIds` adds `inviterId` as a contact, written straight to the
 * server's store (`contact.add` itself is tested in test/features/contacts.test.ts), so that
 * `inviterId` may put them in a group at once instead of inviting them, without opening a
 * socket per member (which would spend the connection budget a test measures).
 */
export async function addContactOf(server: TestServer, inviterId: string, memberIds: readonly string[]): Promise<void> {
  const at = new Date().toISOString();
  for (const memberId of memberIds) await server.app.ctx.store.addContact(memberId, inviterId, at);
}

export class RawClient {
  readonly events: ServerEvent[] = [];
  readonly frames: Frame[] = [];
  private nextId = 1;
  private readonly waiting = new Map<string | number, (frame: Frame) => void>();
  private readonly listeners = new Set<() => void>();
  closeCode: number | undefined;

  private constructor(
    readonly ws: WebSocket,
    readonly session: SessionEvent,
  ) {
    ws.on("message", (data, isBinary) => {
      // Every frame is JSON text (a browser hands a binary one over as a Blob): fail the run loudly.
      if (isBinary) throw new Error(`the server sent a binary frame: ${data.toString().slice(0, 80)}`);
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      if ((frame.type === "ok" || frame.type === "error") && frame.id !== null && frame.id !== undefined) {
        const resolve = this.waiting.get(frame.id as string | number);
        this.waiting.delete(frame.id as string | number);
        resolve?.(frame);
      } else if (frame.type !== "ok" && frame.type !== "error") {
        this.events.push(frame as unknown as ServerEvent);
      }
      for (const listener of this.listeners) listener();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      for (const listener of this.listeners) listener();
    });
  }

  /**
   * Connect and wait for the server's first frame: `session` when the token was taken; an
   * `unauthorized` error and close 4500 when not (rejects with "session refused: 4500").
   */
  static async connect(wsUrl: string, token: string): Promise<RawClient> {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    // Frames that arrive in the same chunk as the first one are kept, not lost, until the client exists.
    const early: string[] = [];
    const first = await new Promise<Frame>((resolve, reject) => {
      ws.on("message", (data) => {
        early.push(data.toString());
        if (early.length === 1) resolve(JSON.parse(data.toString()) as Frame);
      });
      ws.once("error", reject);
      ws.once("close", (code) => reject(new Error(`session refused: ${code}`)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    if (first.type !== "session") {
      const code = await new Promise<number>((resolve) => ws.once("close", (c) => resolve(c)));
      throw new Error(`session refused: ${code} (${String(first.code)})`);
    }
    ws.removeAllListeners();
    const client = new RawClient(ws, first as unknown as SessionEvent);
    for (const text of early.slice(1)) ws.emit("message", Buffer.from(text), false);
    return client;
  }

  /** Send a request and resolve with its reply frame (ok or error). */
  request(type: string, params: Record<string, unknown> = {}): Promise<Frame> {
    const id = this.nextId++;
    return this.sendFrame({ type, id, ...params });
  }

  /** Send a request and return the ok reply, or throw with the error code. */
  async ok<T = Record<string, unknown>>(type: string, params: Record<string, unknown> = {}): Promise<T & Frame> {
    const reply = await this.request(type, params);
    if (reply.type !== "ok") throw new Error(`${type} failed: ${reply.code} ${reply.message}`);
    return reply as T & Frame;
  }

  /** Send a frame as given (it must carry an id to be answered). */
  sendFrame(frame: Record<string, unknown>): Promise<Frame> {
    const id = frame.id as string | number;
    const reply = new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${String(frame.type)} #${id}`)), 10_000);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
    this.ws.send(JSON.stringify(frame));
    return reply;
  }

  /** Send raw text (garbage, oversized frames) and wait for the next frame that answers it. */
  async sendRaw(text: string | Buffer): Promise<Frame> {
    const before = this.frames.length;
    this.ws.send(text);
    await this.until(() => this.frames.length > before);
    return this.frames[before] as Frame;
  }

  /** Wait until `predicate` holds (checked on every frame), or fail after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error("condition not met in time"));
      }, timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve();
        }
      };
      this.listeners.add(check);
    });
  }

  eventsOf<T extends ServerEvent["type"]>(type: T): Extract<ServerEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<ServerEvent, { type: T }>[];
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

/**
 * What `sync` returns for events seen live earlier: a message deleted for everyone is a
 * tombstone in every event that carried it (its text is erased from the store, feed included).
 */
export function afterDeletions<E extends { type: string }>(events: E[]): E[] {
  const tombstones = new Map<string, unknown>();
  for (const e of events) {
    if (e.type === "message.deleted") {
      const d = e as unknown as { conversationId: string; seq: number; message: unknown };
      tombstones.set(`${d.conversationId}#${d.seq}`, d.message);
    }
  }
  return events.map((e) => {
    const m = e as unknown as { conversationId?: string; seq?: number; message?: unknown };
    const tombstone = m.message !== undefined ? tombstones.get(`${m.conversationId}#${m.seq}`) : undefined;
    return tombstone === undefined ? e : ({ ...e, message: tombstone } as E);
  });
}
