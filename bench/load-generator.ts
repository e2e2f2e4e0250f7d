/**
 * @module One load-generator process of `bench:load`. It receives a plan over IPC (its clients
 * and their conversations; every member of a conversation lives in the same process, so sender
 * and recipients read one clock), connects them to Haetae, the bare `ws` peer, the Socket.IO
 * peer or ejabberd (XMPP over WebSocket, 1:1 only), sends at a fixed open-loop rate for the
 * window, waits for acks and deliveries to drain, checks every recipient for lost, duplicated and
 * out-of-order messages, and reports its figures and its own CPU time. Started by
 * `bench/load.ts`; not meant to be run by hand.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import type { PlanMessage, PlannedConversation, ReportMessage, ToWorker } from "./load-shared.js";
import { dueAt, type Phase, rateAt, Timeline } from "./load-timeline.js";
import { connectXmpp } from "./peers/xmpp-client.js";

/** A growable bit set over non-negative integers. */
class Bits {
  private bytes = new Uint8Array(64);
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
  plan: PlannedConversation;
  /** Haetae's conversation id, or the peer's room name. */
  id: string;
  members: ClientState[];
  /** Highest seq Haetae acknowledged in this conversation. */
  maxAckedSeq: number;
  /** Haetae: the seq each clientMsgId was stored with, to catch a retry stored twice (G2). */
  seqOf: Map<string, number>;
}

interface ClientState {
  index: number;
  userId: string;
  token: string;
  conversation: ConversationState;
  /** Next per-sender message number (clientMsgId is `<index>.<n>`). */
  n: number;
  /** Message numbers of this sender the server accepted. */
  accepted: Bits;
  acceptedMax: number;
  /** Haetae: seqs received in the conversation (every message.new, own ones included). */
  seqs: Bits;
  maxSeq: number;
  /** Peers: numbers received from each sender, and the highest so far. */
  fromSender: Map<number, { got: Bits; max: number }>;
  send(clientMsgId: string, text: string): void;
  close(): void;
}

let plan: PlanMessage;
const clients: ClientState[] = [];
const conversations: ConversationState[] = [];
const sentAt = new Map<string, number>();
const ackLatencies: number[] = [];
const deliverLatencies: number[] = [];
/** The measured window: after the warm-up, SECONDS long. */
let windowStart = Number.POSITIVE_INFINITY;
let windowEnd = Number.POSITIVE_INFINITY;
let closing = false;
let accepted = 0;
let acceptedInWindow = 0;
let refused = 0;
let failed = 0;
let outstanding = 0;
let delivered = 0;
let deliveredInWindow = 0;
let expectedDeliveries = 0;
let duplicated = 0;
let outOfOrder = 0;
let lastActivity = 0;
let drainDeadline = Number.POSITIVE_INFINITY;
/** Figures over time, when the plan asks for them. */
let timeline: Timeline | undefined;

function post(message: unknown): void {
  process.send?.(message);
}

function senderOf(clientMsgId: string): { sender: number; n: number } {
  const dot = clientMsgId.indexOf(".");
  return { sender: Number(clientMsgId.slice(0, dot)), n: Number(clientMsgId.slice(dot + 1)) };
}

/**
 * `clientMsgId` was stored with `seq` (an ack or a delivery says so). A second seq for the same
 * clientMsgId is a retry the server stored twice: a duplicate, though the seqs have no gap.
 */
function checkStoredOnce(conversation: ConversationState, clientMsgId: string, seq: number): void {
  const known = conversation.seqOf.get(clientMsgId);
  if (known === undefined) conversation.seqOf.set(clientMsgId, seq);
  else if (known !== seq) duplicated += 1;
}

/**
 * The server accepted message `n` of `sender` (for Haetae: with this seq), answering the attempt
 * sent at `attemptAt`.
 */
function onAccepted(sender: ClientState, clientMsgId: string, n: number, seq?: number, attemptAt?: number): void {
  const now = performance.now();
  outstanding -= plan.target === "ws" ? 0 : 1;
  lastActivity = now;
  if (seq !== undefined) checkStoredOnce(sender.conversation, clientMsgId, seq);
  if (sender.accepted.has(n)) return;
  sender.accepted.add(n);
  sender.acceptedMax = Math.max(sender.acceptedMax, n);
  accepted += 1;
  if (now >= windowStart && now <= windowEnd) acceptedInWindow += 1;
  expectedDeliveries += sender.conversation.members.length - 1;
  const at = sentAt.get(clientMsgId) ?? now;
  if (plan.target !== "ws" && at >= windowStart) ackLatencies.push(now - at);
  timeline?.accepted(now, at, attemptAt);
  if (seq !== undefined) sender.conversation.maxAckedSeq = Math.max(sender.conversation.maxAckedSeq, seq);
}

/** A message reached `recipient`. Haetae passes the seq; peers are checked by per-sender number. */
function onDelivered(recipient: ClientState, clientMsgId: string, seq?: number): void {
  const now = performance.now();
  lastActivity = now;
  const { sender, n } = senderOf(clientMsgId);
  if (seq !== undefined) {
    checkStoredOnce(recipient.conversation, clientMsgId, seq);
    if (recipient.seqs.has(seq)) {
      duplicated += 1;
      return;
    }
    if (seq < recipient.maxSeq) outOfOrder += 1;
    recipient.seqs.add(seq);
    recipient.maxSeq = Math.max(recipient.maxSeq, seq);
  } else {
    let from = recipient.fromSender.get(sender);
    if (!from) {
      from = { got: new Bits(), max: 0 };
      recipient.fromSender.set(sender, from);
    }
    if (from.got.has(n)) {
      duplicated += 1;
      return;
    }
    if (n < from.max) outOfOrder += 1;
    from.got.add(n);
    from.max = Math.max(from.max, n);
  }
  if (sender === recipient.index) return; // Haetae echoes a message to its sender's devices too
  delivered += 1;
  if (now >= windowStart && now <= windowEnd) deliveredInWindow += 1;
  const at = sentAt.get(clientMsgId) ?? now;
  if (at >= windowStart) deliverLatencies.push(now - at);
  timeline?.delivered(now, at);
}

/** Open a WebSocket, retrying while the server refuses (admission control, a busy accept queue). */
async function openWs(
  url: string,
  headers: Record<string, string>,
  onMessage: (data: WebSocket.RawData) => void,
): Promise<WebSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      // Before "open": the server's first frame may be read before an awaiting caller resumes.
      ws.on("message", onMessage);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
        ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      return ws;
    } catch (error) {
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
    }
  }
}

function baseState(index: number, userId: string, token: string, conversation: ConversationState) {
  return {
    index,
    userId,
    token,
    conversation,
    n: 0,
    accepted: new Bits(),
    acceptedMax: 0,
    seqs: new Bits(),
    maxSeq: 0,
    fromSender: new Map<number, { got: Bits; max: number }>(),
  };
}

type HaetaeClient = ClientState & {
  request(frame: Record<string, unknown>, onReply: (reply: Record<string, unknown>) => void): void;
};

/** A Haetae client, connected again after the wait it is told when the node refuses the session for now (close 4002). */
async function connectHaetae(
  index: number,
  userId: string,
  token: string,
  conversation: ConversationState,
): Promise<HaetaeClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectHaetaeOnce(index, userId, token, conversation);
    } catch (error) {
      const wait = (error as { retryAfterMs?: number }).retryAfterMs;
      if (wait === undefined || attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * 100));
    }
  }
}

/** A Haetae client: the protocol of docs/protocol.md, one request id counter per connection. */
async function connectHaetaeOnce(
  index: number,
  userId: string,
  token: string,
  conversation: ConversationState,
): Promise<HaetaeClient> {
  const replies = new Map<number, (frame: Record<string, unknown>) => void>();
  let nextId = 1;
  let state: ClientState | undefined;
  let onSession: () => void = () => undefined;
  let onBroken: (error: Error) => void = () => undefined;
  const sessionSeen = new Promise<void>((resolve, reject) => {
    onSession = resolve;
    onBroken = reject;
  });
  sessionSeen.catch(() => undefined); // a close before the await below must not go unhandled
  const ws = await openWs(plan.url, { authorization: `Bearer ${token}` }, (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    const type = frame.type;
    if (type === "message.new") {
      const message = frame.message as { clientMsgId: string };
      if (state) onDelivered(state, message.clientMsgId, frame.seq as number);
    } else if (type === "ok" || type === "error") {
      const reply = replies.get(frame.id as number);
      if (reply) {
        replies.delete(frame.id as number);
        reply(frame);
      } else if (type === "error" && frame.id === null && typeof frame.retryAfterMs === "number") {
        onBroken(
          Object.assign(new Error(`session refused: ${String(frame.code)}`), { retryAfterMs: frame.retryAfterMs }),
        );
      } else if (type === "error") {
        onBroken(new Error(`unexpected error frame: ${String(data)}`));
      }
    } else if (type === "session") {
      onSession();
    }
  });
  ws.once("close", (code) => onBroken(new Error(`closed with ${code}`)));
  await sessionSeen;
  ws.on("close", (code) => {
    if (!closing) console.error(`haetae client ${index} closed with ${code}`);
  });
  const request = (frame: Record<string, unknown>, onReply: (reply: Record<string, unknown>) => void) => {
    const id = nextId++;
    replies.set(id, onReply);
    ws.send(JSON.stringify({ ...frame, id }));
  };
  const gate = new Gate(plan.window);
  const client: HaetaeClient = {
    ...baseState(index, userId, token, conversation),
    request,
    send(clientMsgId: string, text: string) {
      const self = this as ClientState;
      const attempt = () => {
        const attemptAt = performance.now();
        request({ type: "message.send", conversationId: conversation.id, clientMsgId, text }, (reply) => {
          if (reply.type === "ok") {
            gate.done();
            const message = reply.message as { seq: number };
            onAccepted(self, clientMsgId, senderOf(clientMsgId).n, message.seq, attemptAt);
            return;
          }
          const retryAfterMs = reply.retryAfterMs as number | undefined;
          const now = performance.now();
          if (retryAfterMs !== undefined && now + retryAfterMs < drainDeadline) {
            // As the SDK's outbox does: the same clientMsgId again, still first in line, and
            // nothing from this connection until retryAfterMs has passed.
            refused += 1;
            timeline?.refused(now, String(reply.code), retryAfterMs);
            gate.pause(retryAfterMs);
            gate.submit(attempt, true);
            gate.done();
            return;
          }
          gate.done();
          failed += 1;
          outstanding -= 1;
          if (failed <= 5) console.error(`send refused: ${JSON.stringify(reply)}`);
        });
      };
      outstanding += 1;
      gate.submit(attempt);
    },
    close: () => ws.terminate(),
  };
  state = client;
  return client;
}

/**
 * When a connection's sends go out. With `window` > 0, at most that many are unanswered at once
 * (the SDK's outbox has one); 0 sends each when due (open loop). After a refusal with
 * `retryAfterMs` nothing goes out until that time has passed.
 */
class Gate {
  private readonly waiting: (() => void)[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly window: number) {}

  /** Queue a send; `first` puts it before the others (a retry keeps its place). */
  submit(send: () => void, first = false): void {
    if (first) this.waiting.unshift(send);
    else this.waiting.push(send);
    this.flush();
  }
  done(): void {
    this.inFlight -= 1;
    this.flush();
  }
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }
  private flush(): void {
    const wait = this.pausedUntil - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
      return;
    }
    while (this.waiting.length > 0 && (this.window === 0 || this.inFlight < this.window)) {
      this.inFlight += 1;
      (this.waiting.shift() as () => void)();
    }
  }
}

/** A client of the bare ws peer: frames go to the room; nothing is acknowledged. */
async function connectBareWs(index: number, userId: string, conversation: ConversationState): Promise<ClientState> {
  let state: ClientState | undefined;
  const ws = await openWs(`${plan.url}/?room=${encodeURIComponent(conversation.id)}`, {}, (data) => {
    const frame = JSON.parse(String(data)) as { clientMsgId: string };
    if (state) onDelivered(state, frame.clientMsgId);
  });
  state = {
    ...baseState(index, userId, "", conversation),
    send(clientMsgId: string, text: string) {
      ws.send(
        JSON.stringify({ type: "message.send", conversationId: conversation.id, senderId: userId, clientMsgId, text }),
      );
      onAccepted(this as ClientState, clientMsgId, senderOf(clientMsgId).n);
    },
    close: () => ws.terminate(),
  };
  return state;
}

/** A client of the Socket.IO peer: `message.send` with an ack, `message.new` to the room. */
async function connectSocketIo(index: number, userId: string, conversation: ConversationState): Promise<ClientState> {
  const socket: Socket = io(plan.url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    auth: { userId, room: conversation.id },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  const gate = new Gate(plan.window);
  const state: ClientState = {
    ...baseState(index, userId, "", conversation),
    send(clientMsgId: string, text: string) {
      outstanding += 1;
      gate.submit(() => {
        const attemptAt = performance.now();
        socket.emit("message.send", { conversationId: conversation.id, clientMsgId, text }, () => {
          gate.done();
          onAccepted(state, clientMsgId, senderOf(clientMsgId).n, undefined, attemptAt);
        });
      });
    },
    close: () => socket.disconnect(),
  };
  socket.on("message.new", (message: { clientMsgId: string }) => onDelivered(state, message.clientMsgId));
  return state;
}

/**
 * A client of the ejabberd peer: one XMPP session (`userId` is its bare JID, `token` its
 * password) sending `<message type='chat'>` to the other member of its pair; the XEP-0198 ack is
 * the send's ack, and the message id is the clientMsgId, so loss and order are checked per sender.
 */
async function connectEjabberd(
  index: number,
  userId: string,
  token: string,
  conversation: ConversationState,
): Promise<ClientState> {
  let state: ClientState | undefined;
  const gate = new Gate(plan.window);
  const xmpp = await connectXmpp({
    url: plan.url,
    jid: userId,
    password: token,
    onMessage: (id) => {
      if (state) onDelivered(state, id);
    },
    onAcked: (id) => {
      gate.done();
      if (state) onAccepted(state, id, senderOf(id).n);
    },
    onClosed: (reason) => {
      if (!closing) console.error(`xmpp client ${index} closed: ${reason}`);
    },
  });
  let peer: string | undefined;
  state = {
    ...baseState(index, userId, token, conversation),
    send(clientMsgId: string, text: string) {
      // Members are all known by the time sends start; a pair has exactly one other.
      peer ??= conversation.members.find((m) => m !== state)?.userId as string;
      outstanding += 1;
      gate.submit(() => xmpp.sendChat(peer as string, clientMsgId, text));
    },
    close: () => xmpp.close(),
  };
  return state;
}

/** Run `fn` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

async function prepare(message: PlanMessage): Promise<void> {
  plan = message;
  const started = performance.now();
  const byIndex = new Map(plan.clients.map((c) => [c.index, c]));
  for (const c of plan.conversations) {
    conversations.push({ plan: c, id: `room${c.index}`, members: [], maxAckedSeq: 0, seqOf: new Map() });
  }
  const jobs = conversations.flatMap((conversation) =>
    conversation.plan.members.map((index) => ({ conversation, client: byIndex.get(index) })),
  );
  const haetaeClients = new Map<number, HaetaeClient>();
  await pool(jobs, 20, async ({ conversation, client }) => {
    if (!client) throw new Error("plan names a client it does not carry");
    let state: ClientState;
    if (plan.target === "haetae") {
      const haetae = await connectHaetae(client.index, client.userId, client.token, conversation);
      haetaeClients.set(client.index, haetae);
      state = haetae;
    } else if (plan.target === "ws") {
      state = await connectBareWs(client.index, client.userId, conversation);
    } else if (plan.target === "ejabberd" || plan.target === "ejabberd-mam") {
      if (conversation.plan.kind !== "direct") throw new Error("the ejabberd peer carries 1:1 chats only");
      state = await connectEjabberd(client.index, client.userId, client.token, conversation);
    } else {
      // "socketio" and "socketio-full" differ only on the server.
      state = await connectSocketIo(client.index, client.userId, conversation);
    }
    clients.push(state);
  });
  for (const client of clients) client.conversation.members.push(client);
  if (plan.target === "haetae") {
    // The first member creates the conversation with the others (a direct chat has one other).
    await pool(conversations, 10, async (conversation) => {
      const creator = haetaeClients.get(conversation.plan.members[0] as number);
      if (!creator) throw new Error("creator is not connected");
      const others = conversation.members.filter((m) => m !== creator).map((m) => m.userId);
      if (conversation.plan.kind === "group") {
        // Each member has the creator as a contact, so the group takes them at once (a stranger is only invited).
        await Promise.all(
          conversation.plan.members
            .slice(1)
            .map(
              (index) =>
                new Promise<unknown>((resolve) =>
                  haetaeClients.get(index)?.request({ type: "contact.add", userId: creator.userId }, resolve),
                ),
            ),
        );
      }
      const reply = await new Promise<Record<string, unknown>>((resolve) =>
        creator.request(
          {
            type: "conversation.create",
            kind: conversation.plan.kind,
            memberIds: others,
            ...(conversation.plan.kind === "group" ? { title: `load group ${conversation.plan.index}` } : {}),
          },
          resolve,
        ),
      );
      if (reply.type !== "ok") throw new Error(`conversation.create failed: ${JSON.stringify(reply)}`);
      conversation.id = (reply.conversation as { id: string }).id;
    });
  }
  post({ type: "ready", connectMs: performance.now() - started });
}

function lostMessages(): number {
  let lost = 0;
  for (const conversation of conversations) {
    for (const recipient of conversation.members) {
      if (plan.target === "haetae") {
        // Every seq up to the highest acknowledged one must have reached every member.
        for (let seq = 1; seq <= conversation.maxAckedSeq; seq++) if (!recipient.seqs.has(seq)) lost += 1;
        continue;
      }
      for (const sender of conversation.members) {
        if (sender === recipient) continue;
        const got = recipient.fromSender.get(sender.index)?.got;
        for (let n = 1; n <= sender.acceptedMax; n++) {
          if (sender.accepted.has(n) && !got?.has(n)) lost += 1;
        }
      }
    }
  }
  return lost;
}

async function run(): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const order = [...clients].sort(() => Math.random() - 0.5);
  const windowMs = plan.seconds * 1000;
  const totalMs = (plan.warmupSeconds + plan.seconds) * 1000;
  const text = (clientMsgId: string, at: number) =>
    `새해 복 많이 받으세요! load message ${clientMsgId} sent at ${at.toFixed(3)} ms`;
  let sent = 0;
  let maxBehindMs = 0;
  const started = performance.now();
  const phases: Phase[] = plan.phases ?? [{ seconds: plan.warmupSeconds + plan.seconds, rate: plan.rate }];
  if (plan.bucketMs) timeline = new Timeline(started, plan.bucketMs);
  windowStart = started + plan.warmupSeconds * 1000;
  windowEnd = windowStart + windowMs;
  drainDeadline = windowEnd + plan.drainSeconds * 1000;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpuMs = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (cpu0 === undefined && now >= windowStart) {
        cpu0 = process.cpuUsage();
        loop.enable();
      }
      const elapsed = Math.min(now - started, totalMs);
      const due = dueAt(phases, elapsed);
      if (now >= windowStart) maxBehindMs = Math.max(maxBehindMs, ((due - sent) / rateAt(phases, elapsed)) * 1000);
      while (sent < due) {
        const client = order[sent % order.length] as ClientState;
        client.n += 1;
        const clientMsgId = `${client.index}.${client.n}`;
        const at = performance.now();
        sentAt.set(clientMsgId, at);
        timeline?.offered(at);
        client.send(clientMsgId, text(clientMsgId, at));
        sent += 1;
      }
      if (now - started >= totalMs) {
        const usage = process.cpuUsage(cpu0);
        cpuMs = (usage.user + usage.system) / 1000;
        loop.disable();
        resolve();
        return;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  // Drain: wait for every ack and every delivery, or for a quiet second, or for the deadline.
  lastActivity = performance.now();
  await new Promise<void>((resolve) => {
    const check = () => {
      const now = performance.now();
      const settled = outstanding <= 0 && delivered >= expectedDeliveries;
      const quiet = outstanding <= 0 && now - lastActivity > 1000;
      if (settled || quiet || now >= drainDeadline) return resolve();
      setTimeout(check, 20);
    };
    check();
  });
  const drainMs = performance.now() - windowEnd;
  // A message of the window still unanswered at the end counts with the time it has waited so
  // far, so an overloaded server's percentiles are lower bounds rather than silently better.
  const end = performance.now();
  let censored = 0;
  const byIndex = new Map(clients.map((c) => [c.index, c]));
  for (const [clientMsgId, at] of sentAt) {
    if (at < windowStart) continue;
    const { sender, n } = senderOf(clientMsgId);
    const client = byIndex.get(sender);
    if (!client || client.accepted.has(n)) continue;
    censored += 1;
    if (plan.target !== "ws") ackLatencies.push(end - at);
    for (let k = 1; k < client.conversation.members.length; k++) deliverLatencies.push(end - at);
    timeline?.censored(end, at, client.conversation.members.length - 1);
  }
  ackLatencies.sort((a, b) => a - b);
  deliverLatencies.sort((a, b) => a - b);
  const report: ReportMessage = {
    type: "report",
    due: dueAt(phases, totalMs),
    sent,
    accepted,
    acceptedInWindow,
    refused,
    failed,
    unanswered: Math.max(0, outstanding),
    delivered,
    deliveredInWindow,
    expectedDeliveries,
    ackLatencies,
    deliverLatencies,
    censored,
    lost: lostMessages(),
    duplicated,
    outOfOrder,
    check:
      plan.target === "haetae" ? "seq per conversation, every member" : "message number per sender, every other member",
    cpuMs,
    windowMs,
    loopP99Ms: loop.percentile(99) / 1e6,
    maxBehindMs,
    drainMs,
    startedAt: performance.timeOrigin + started,
    ...(timeline ? { timeline: timeline.buckets } : {}),
  };
  closing = true;
  post(report);
  for (const client of clients) client.close();
}

process.on("message", (message: ToWorker) => {
  const work = message.type === "plan" ? prepare(message) : run();
  work.catch((error: Error) => {
    post({ type: "fail", error: error.stack ?? error.message });
  });
});
