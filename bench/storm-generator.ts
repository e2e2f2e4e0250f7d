/**
 * @module One client process of `bench:storm`. It runs thousands of real SDK clients
 * (`HaetaeClient` from src/sdk, on `ws` bound to one loopback source address), creates their
 * conversations, sends through the SDK's outbox at a steady rate, and after the cut records when
 * each client is open and resynced again; at the end it checks that every message reached every
 * session of every member exactly once. Started by `bench/storm.ts`; not meant to be run by hand.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import WebSocket from "ws";
import type { MessageNewEvent } from "../src/protocol/index.js";
import { HaetaeClient } from "../src/sdk/index.js";
import type { StormPlan, StormReport, ToStormGenerator } from "./storm-shared.js";

/** A growable bit set over non-negative integers. */
class Bits {
  private bytes = new Uint8Array(16);
  has(i: number): boolean {
    return i < this.bytes.length && this.bytes[i] === 1;
  }
  add(i: number): void {
    if (i >= this.bytes.length) {
      let size = this.bytes.length;
      while (size <= i) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[i] = 1;
  }
}

interface ConversationState {
  id: string;
  sessions: SessionState[];
  /** Distinct sends made into it (each its own clientMsgId). */
  sent: number;
  /** Distinct sends acknowledged, and the highest seq among them. */
  acked: number;
  maxAckedSeq: number;
}

interface SessionState {
  index: number;
  client: HaetaeClient;
  conversation: ConversationState | undefined;
  seqs: Bits;
  maxSeq: number;
  /** Port of the node its latest socket went to. */
  port: number;
  /** After the cut: a cursor was committed by a sync, and when it came back (epoch ms). */
  syncedSinceCut: boolean;
  openedSinceCut: boolean;
  lastCloseCode: number;
  backAt: number;
  backPort: number;
}

let plan: StormPlan;
const sessions: SessionState[] = [];
const conversations = new Map<number, ConversationState>();
const liveSockets = new Set<WebSocket>();
let cutAt = 0;
let failedAttempts = 0;
const attemptErrors: Record<string, number> = {};
let sent = 0;
let acked = 0;
let sendFailed = 0;
let delivered = 0;
let duplicated = 0;
let outOfOrder = 0;
let sending = false;
let back = 0;
let finishing = false;

function post(message: unknown): void {
  process.send?.(message);
}

/** The SDK's socket, bound to this generator's source address; one subclass per session knows its owner. */
function socketClassFor(session: SessionState): new (url: string) => WebSocket {
  return class BoundWebSocket extends WebSocket {
    constructor(url: string) {
      // A browser gives up on a handshake that never completes; `ws` waits forever unless told.
      super(url, { localAddress: plan.localAddress, perMessageDeflate: false, handshakeTimeout: 30_000 });
      session.port = Number(new URL(url).port);
      liveSockets.add(this);
      this.once("close", () => liveSockets.delete(this));
      // Why an attempt failed: ECONNREFUSED (down), a handshake timeout… (a refusal for now is a 4002 close, not an error)
      this.on("error", (error: Error) => {
        if (cutAt === 0) return;
        const why = error.message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, "").trim();
        attemptErrors[why] = (attemptErrors[why] ?? 0) + 1;
      });
    }
  };
}

function markBack(session: SessionState): void {
  if (cutAt === 0 || session.backAt > 0 || !session.syncedSinceCut || session.client.state !== "open") return;
  session.backAt = Date.now();
  session.backPort = session.port;
  back += 1;
}

function makeSession(index: number, token: string): SessionState {
  const n = plan.urls.length;
  // Rotated, so sessions spread over the nodes and each reconnect tries the next one.
  const urls = plan.urls.map((_, k) => plan.urls[(index + k) % n] as string);
  const session = {
    index,
    conversation: undefined,
    seqs: new Bits(),
    maxSeq: 0,
    port: 0,
    syncedSinceCut: false,
    openedSinceCut: false,
    lastCloseCode: 0,
    backAt: 0,
    backPort: 0,
  } as unknown as SessionState;
  session.client = new HaetaeClient({
    url: urls,
    token,
    WebSocket: socketClassFor(session) as never,
    baseMs: plan.baseMs,
    maxMs: plan.maxMs,
    ...(plan.syncIdleMs !== undefined ? { syncIdleMs: plan.syncIdleMs } : {}),
    ...(plan.syncMaxWaitMs !== undefined ? { syncMaxWaitMs: plan.syncMaxWaitMs } : {}),
    // Idle clients: the storm, not keep-alive pings, decides when they reconnect.
    pingIntervalMs: 0,
  });
  session.client.on("message.new", (event: MessageNewEvent) => {
    const conversation = session.conversation;
    if (!conversation || event.conversationId !== conversation.id) return;
    if (session.seqs.has(event.seq)) {
      duplicated += 1;
      return;
    }
    if (event.seq < session.maxSeq) outOfOrder += 1;
    session.seqs.add(event.seq);
    session.maxSeq = Math.max(session.maxSeq, event.seq);
    delivered += 1;
  });
  session.client.on("cursor", () => {
    if (cutAt === 0) return;
    session.syncedSinceCut = true;
    markBack(session);
  });
  session.client.on("state", (change) => {
    if (cutAt !== 0 && change.state === "reconnecting" && session.backAt === 0) failedAttempts += 1;
    if (change.closeCode !== undefined) session.lastCloseCode = change.closeCode;
    if (change.state === "open") {
      if (cutAt !== 0) session.openedSinceCut = true;
      markBack(session);
    }
  });
  return session;
}

/** Run `fn` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function prepare(message: StormPlan): Promise<void> {
  plan = message;
  const started = performance.now();
  for (const s of plan.sessions) sessions.push(makeSession(s.index, s.token));
  await pool(sessions, 200, (s) => s.client.connect());
  // The first session of each conversation's first member creates it; every session learns its id.
  const byUser = new Map<string, SessionState[]>();
  plan.sessions.forEach((s, i) => {
    const list = byUser.get(s.userId) ?? [];
    list.push(sessions[i] as SessionState);
    byUser.set(s.userId, list);
  });
  await pool(plan.conversations, 20, async (c) => {
    const [creatorId, ...others] = c.memberIds;
    const creator = byUser.get(creatorId as string)?.[0];
    if (!creator) throw new Error("the plan names a creator this generator does not carry");
    if (c.kind === "group") {
      // Each member has the creator as a contact, so the group takes them at once (a stranger is only invited).
      await Promise.all(
        others.map((userId) => byUser.get(userId)?.[0]?.client.request("contact.add", { userId: creatorId as string })),
      );
    }
    const reply = await creator.client.request("conversation.create", {
      kind: c.kind,
      memberIds: others,
      ...(c.kind === "group" ? { title: `storm group ${c.index}` } : {}),
    });
    const conversation: ConversationState = {
      id: reply.conversation.id,
      sessions: [],
      sent: 0,
      acked: 0,
      maxAckedSeq: 0,
    };
    for (const userId of c.memberIds) {
      for (const s of byUser.get(userId) ?? []) {
        s.conversation = conversation;
        conversation.sessions.push(s);
      }
    }
    conversations.set(c.index, conversation);
  });
  post({ type: "ready", connectMs: performance.now() - started });
}

/** Send at `plan.rate` from random sessions, through the SDK's outbox, until `sending` ends. */
function traffic(): void {
  sending = true;
  const started = performance.now();
  let due = 0;
  const tick = () => {
    if (!sending) return;
    const target = Math.floor(((performance.now() - started) / 1000) * plan.rate);
    for (; due < target; due++) {
      const session = sessions[Math.floor(Math.random() * sessions.length)] as SessionState;
      const conversation = session.conversation;
      if (!conversation) continue;
      sent += 1;
      conversation.sent += 1;
      session.client.send(conversation.id, `새해 복 많이 받으세요 #${sent} from ${session.index}`).then(
        (stored) => {
          acked += 1;
          conversation.acked += 1;
          conversation.maxAckedSeq = Math.max(conversation.maxAckedSeq, stored.seq);
        },
        (error: Error) => {
          if (finishing) return; // closed at the end: counted as unacked
          sendFailed += 1;
          if (sendFailed <= 5) console.error(`storm generator: a send failed: ${error.message}`);
        },
      );
    }
    setTimeout(tick, 10);
  };
  tick();
}

let loop: ReturnType<typeof monitorEventLoopDelay> | undefined;
let cpuAtCut: NodeJS.CpuUsage | undefined;
/** Where to write a CPU profile of this process from the cut to the report (`--profile-generators`). */
const PROFILE_FILE = process.env.STORM_PROFILE_FILE;
let profiler: Session | undefined;

async function startProfile(): Promise<void> {
  if (!PROFILE_FILE) return;
  profiler = new Session();
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}

async function writeProfile(): Promise<void> {
  if (!profiler || !PROFILE_FILE) return;
  const { profile } = await profiler.post("Profiler.stop");
  writeFileSync(PROFILE_FILE, JSON.stringify(profile));
  profiler.disconnect();
}

function cut(at: number, terminate: boolean): void {
  cutAt = at;
  cpuAtCut = process.cpuUsage();
  loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  startProfile().catch((error: Error) => console.error(`storm generator: no profile: ${error.message}`));
  if (terminate) for (const socket of [...liveSockets]) socket.terminate();
  const progress = setInterval(() => {
    post({ type: "progress", back });
    if (back === sessions.length) clearInterval(progress);
  }, 1000);
}

async function finish(drainMs: number): Promise<void> {
  sending = false;
  const deadline = Date.now() + drainMs;
  const expected = () => {
    let sum = 0;
    for (const c of conversations.values()) sum += c.maxAckedSeq * c.sessions.length;
    return sum;
  };
  while (Date.now() < deadline && (acked + sendFailed < sent || delivered < expected())) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let lost = 0;
  let lostAtBack = 0;
  let storedTwice = 0;
  for (const c of conversations.values()) {
    // The highest seq anyone saw or was acked: seqs above the number of distinct sends are copies.
    const top = Math.max(c.maxAckedSeq, ...c.sessions.map((s) => s.maxSeq));
    storedTwice += Math.max(0, top - c.sent);
    for (const s of c.sessions) {
      for (let seq = 1; seq <= top; seq++) {
        if (s.seqs.has(seq)) continue;
        lost += 1;
        if (s.backAt > 0) lostAtBack += 1;
      }
    }
  }
  const notBack: Record<string, number> = {};
  for (const s of sessions) {
    if (s.backAt > 0) continue;
    const key = `state ${s.client.state}, ${s.openedSinceCut ? "opened" : "never opened"}, ${s.syncedSinceCut ? "synced" : "never synced"} since the cut, last close ${s.lastCloseCode}, ${s.client.pending.length > 0 ? "sends pending" : "no sends pending"}`;
    notBack[key] = (notBack[key] ?? 0) + 1;
  }
  const cpu = process.cpuUsage(cpuAtCut);
  await writeProfile();
  const report: StormReport = {
    type: "report",
    sessions: sessions.length,
    backMs: sessions.map((s) => (s.backAt > 0 ? s.backAt - cutAt : -1)),
    backPort: sessions.map((s) => s.backPort),
    failedAttempts,
    attemptErrors,
    notBack,
    sent,
    acked,
    sendFailed,
    unacked: sent - acked - sendFailed,
    expectedDeliveries: expected(),
    delivered,
    lost,
    lostAtBack,
    duplicated,
    outOfOrder,
    storedTwice,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: Date.now() - cutAt,
    loopP99Ms: (loop?.percentile(99) ?? 0) / 1e6,
    loopMaxMs: (loop?.max ?? 0) / 1e6,
  };
  post(report);
  finishing = true;
  for (const s of sessions) s.client.close();
}

process.on("message", (message: ToStormGenerator) => {
  let work: Promise<void> = Promise.resolve();
  if (message.type === "plan") work = prepare(message);
  else if (message.type === "traffic") traffic();
  else if (message.type === "cut") cut(message.at, message.terminate);
  else work = finish(message.drainMs);
  work.catch((error: Error) => post({ type: "fail", error: error.stack ?? error.message }));
});
