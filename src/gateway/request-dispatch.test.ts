/** @module Dispatch alone: every request type passes the same checks, and the table's traits (sync's shedding, a send's rate and pipelining) decide how. */
import { expect, it } from "vitest";
import type { WebSocket } from "ws";
import { MemoryBus } from "../bus/memory-bus.js";
import { ClientLimits } from "../guard/client-limits.js";
import { TokenBucket } from "../guard/token-bucket.js";
import { Metrics } from "../ops/metrics.js";
import { DeviceAttention } from "./device-attention.js";
import type { HandlerEnv } from "./handlers.js";
import { PresenceRegistry } from "./presence.js";
import { type DispatchDeps, RequestDispatch } from "./request-dispatch.js";
import { Session } from "./session.js";

const user = { id: "u", username: "u", displayName: "u", createdAt: "t" };

function sessionOver(sent: string[]): Session {
  const socket = { OPEN: 1, readyState: 1, bufferedAmount: 0, send: (frame: string) => sent.push(frame) };
  return new Session("s", user, "d", socket as unknown as WebSocket, 1 << 20, () => undefined);
}

function dispatchWith(state: { queuedReads: number; accepting?: boolean }) {
  const metrics = new Metrics();
  const limitCalls: boolean[] = [];
  const limits = new ClientLimits({
    userRequestsPerSecond: 100,
    userRequestBurst: 100,
    userSendsPerSecond: 100,
    userSendBurst: 100,
    ipRequestsPerSecond: 100,
    ipRequestBurst: 100,
    ipConnectionsPerSecond: 100,
    ipConnectionBurst: 100,
  });
  const ctx = { store: { queuedReads: state.queuedReads }, now: () => new Date("2024-01-01T00:00:00Z") };
  const env: HandlerEnv = {
    push: null,
    ctx: ctx as never,
    presence: new PresenceRegistry("n", 1000),
    attention: new DeviceAttention(new PresenceRegistry("n", 1000), new MemoryBus(), () => new Date()),
    metrics,
    presenceSubscriptionLimit: 10,
    syncShedQueuedReads: 5,
  };
  const deps: DispatchDeps = {
    env,
    config: { requestBurst: 10, sendQueueTargetMs: 0 },
    metrics,
    limits: {
      request: (userId, address, isSend) => {
        limitCalls.push(isSend);
        return limits.request(userId, address, isSend);
      },
    },
    readPauses: { pause: () => undefined, pauseFor: () => undefined },
    accepting: () => state.accepting ?? true,
  };
  return { dispatch: new RequestDispatch(deps), metrics, limitCalls };
}

const bucket = () => new TokenBucket(100, 10);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

it("answers a request through its handler, and refuses every request while the node drains", async () => {
  const sent: string[] = [];
  const session = sessionOver(sent);
  const state = { queuedReads: 0, accepting: true };
  const { dispatch } = dispatchWith(state);
  dispatch.take(session, bucket(), "a", { ok: true, type: "ping", id: 1, params: {} });
  await settle();
  expect(JSON.parse(sent[0] as string)).toEqual({ type: "ok", id: 1, now: "2024-01-01T00:00:00.000Z" });
  state.accepting = false;
  dispatch.take(session, bucket(), "a", { ok: true, type: "ping", id: 2, params: {} });
  expect(JSON.parse(sent[1] as string)).toMatchObject({ id: 2, code: "unavailable", retryAfterMs: 500 });
});

it("sheds the sync of a caught-up session while reads queue, and only that one", async () => {
  const sent: string[] = [];
  const session = sessionOver(sent);
  const { dispatch, metrics, limitCalls } = dispatchWith({ queuedReads: 5 });
  session.caughtUp = true;
  dispatch.take(session, bucket(), "a", { ok: true, type: "sync", id: 1, params: {} });
  expect(JSON.parse(sent[0] as string)).toEqual({
    type: "error",
    id: 1,
    code: "overloaded",
    message: "The store is busy; sync again after retryAfterMs.",
    retryAfterMs: 5000,
  });
  expect(limitCalls).toEqual([]); // shed before any rate is spent
  const counted = (await metrics.requests.get()).values.find((v) => v.labels.type === "sync");
  expect(counted).toMatchObject({ labels: { outcome: "overloaded" }, value: 1 });
  // A ping is not shed, however busy the store.
  dispatch.take(session, bucket(), "a", { ok: true, type: "ping", id: 2, params: {} });
  await settle();
  expect(JSON.parse(sent[1] as string)).toMatchObject({ type: "ok", id: 2 });
});

it("counts a send against the send rate and pipelines it; other requests neither", () => {
  const { dispatch, limitCalls } = dispatchWith({ queuedReads: 0 });
  const pipelined: boolean[] = [];
  const session = {
    userId: "u",
    pendingRequests: 0,
    enqueue: (_task: unknown, isPipelined = false) => pipelined.push(isPipelined),
  } as unknown as Session;
  const send = { conversationId: "c", clientMsgId: "m", text: "hi" };
  dispatch.take(session, bucket(), "a", { ok: true, type: "message.send", id: 1, params: send });
  dispatch.take(session, bucket(), "a", { ok: true, type: "typing", id: 2, params: { conversationId: "c" } });
  expect(limitCalls).toEqual([true, false]);
  expect(pipelined).toEqual([true, false]);
});
