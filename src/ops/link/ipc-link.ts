/**
 * @module The tower link over a child process's IPC channel (Node's `child_process.fork`): the
 * node in the child calls, hears the feed and reports SLI events; the watcher in the parent serves
 * its `TowerHost`. Each side checks what the other sends before using it.
 */
import type { ChildProcess } from "node:child_process";
import { z } from "zod";
import { HaetaeError } from "../../protocol/errors.js";
import { type FeedMessage, type LinkCall, type LinkReply, type TowerLink, unwrapReply } from "./tower-api.js";
import type { TowerHost } from "./tower-host.js";

/** A call with no answer within this long rejects with `unavailable` (the watcher is gone or stuck). */
const CALL_TIMEOUT_MS = 10_000;

/** What the node sends the watcher. */
export type NodeMessage =
  | { type: "call"; id: number; call: LinkCall }
  | { type: "sli"; events: unknown[] }
  | { type: "ready"; url: string };

/** What the watcher sends the node. */
export type WatcherMessage = { type: "reply"; id: number; reply: LinkReply } | { type: "feed"; message: FeedMessage };

const nodeMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("call"),
    id: z.number().int().nonnegative(),
    call: z.object({
      api: z.enum(["tower", "signups"]),
      method: z.string().max(100),
      args: z.array(z.unknown()).max(20),
    }),
  }),
  z.object({ type: z.literal("sli"), events: z.array(z.unknown()) }),
  z.object({ type: z.literal("ready"), url: z.string().max(2000) }),
]);

const watcherMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("reply"),
    id: z.number().int().nonnegative(),
    reply: z.union([
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({
        ok: z.literal(false),
        code: z.string(),
        message: z.string(),
        retryAfterMs: z.number().optional(),
      }),
    ]),
  }),
  z.object({
    type: z.literal("feed"),
    message: z.object({
      change: z.object({ kind: z.string() }).passthrough().optional(),
      snapshot: z
        .object({ page: z.object({}).passthrough(), components: z.array(z.unknown()), incidents: z.array(z.unknown()) })
        .passthrough(),
    }),
  }),
]);

/** A node's message from the wire, or null (and a log line) when it is not one. */
export function parseNodeMessage(raw: unknown): NodeMessage | null {
  const parsed = nodeMessageSchema.safeParse(raw);
  if (!parsed.success) {
    console.warn("haetae: watcher: dropped a malformed message from the node");
    return null;
  }
  return parsed.data as NodeMessage;
}

/** The watcher's message from the wire, or null (and a log line) when it is not one. */
export function parseWatcherMessage(raw: unknown): WatcherMessage | null {
  const parsed = watcherMessageSchema.safeParse(raw);
  if (!parsed.success) {
    console.warn("haetae: dropped a malformed message from the watcher");
    return null;
  }
  return parsed.data as WatcherMessage;
}

/** The part of `process` (in a forked child) the node side uses. */
export interface IpcEndpoint {
  send?: (message: unknown, callback?: (error: Error | null) => void) => boolean;
  readonly connected?: boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
}

/** Send when the channel is open; a closed one drops the message (the other side is gone). */
function post(endpoint: Pick<IpcEndpoint, "send" | "connected">, message: NodeMessage | WatcherMessage): boolean {
  if (!endpoint.send || endpoint.connected === false) return false;
  try {
    endpoint.send(message, () => {});
    return true;
  } catch {
    return false;
  }
}

/**
 * The node's side: a `TowerLink` to the watcher over this process's IPC channel. The watcher
 * pushes its state as soon as it serves the channel and then every change; a listener that joins
 * later starts from the last state.
 */
export function childLink(endpoint: IpcEndpoint = process as unknown as IpcEndpoint): TowerLink & {
  /** Tell the watcher the node listens (it starts checking `/readyz`). */
  ready(url: string): void;
} {
  let nextId = 0;
  const pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }
  >();
  const listeners = new Set<(message: FeedMessage) => void>();
  let last: FeedMessage | undefined;
  const onMessage = (raw: unknown) => {
    const message = parseWatcherMessage(raw);
    if (!message) return;
    if (message.type === "reply") {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      clearTimeout(waiting.timer);
      try {
        waiting.resolve(unwrapReply(message.reply as LinkReply));
      } catch (error) {
        waiting.reject(error as Error);
      }
      return;
    }
    last = { snapshot: message.message.snapshot } as FeedMessage;
    for (const listener of listeners) listener(message.message as FeedMessage);
  };
  endpoint.on("message", onMessage);
  return {
    call(call) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new HaetaeError("unavailable", "The watcher did not answer.", 1000));
        }, CALL_TIMEOUT_MS);
        timer.unref();
        pending.set(id, { resolve, reject, timer });
        if (!post(endpoint, { type: "call", id, call })) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new HaetaeError("unavailable", "The watcher is not reachable.", 1000));
        }
      });
    },
    onFeed(listener) {
      listeners.add(listener);
      const start = last;
      if (start) queueMicrotask(() => listeners.has(listener) && listener({ snapshot: start.snapshot }));
      return () => listeners.delete(listener);
    },
    reportSli(events) {
      post(endpoint, { type: "sli", events });
    },
    ready(url) {
      post(endpoint, { type: "ready", url });
    },
    async close() {
      endpoint.off("message", onMessage);
      listeners.clear();
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new HaetaeError("unavailable", "The link is closed.", 1000));
        pending.delete(id);
      }
    },
  };
}

/**
 * The watcher's side: answer `child`'s calls from `host`, push it the tower's state and every
 * change, take its SLI events; `onReady` hears the node say it listens. Returns the way to stop
 * (when the child exits).
 */
export function serveChild(child: ChildProcess, host: TowerHost, onReady: (url: string) => void): () => void {
  const send = (message: WatcherMessage) => post(child as unknown as IpcEndpoint, message);
  const onMessage = (raw: unknown) => {
    const message = parseNodeMessage(raw);
    if (!message) return;
    if (message.type === "sli") host.takeSli(message.events);
    else if (message.type === "ready") onReady(message.url);
    else void host.answer(message.call as LinkCall).then((reply) => send({ type: "reply", id: message.id, reply }));
  };
  child.on("message", onMessage);
  send({ type: "feed", message: host.state() });
  const offChange = host.onChange((message) => send({ type: "feed", message }));
  return () => {
    child.off("message", onMessage);
    offChange();
  };
}
