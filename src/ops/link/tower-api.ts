/** @module The tower as the ops API and the status sign-ups call it, whether it runs in this process or in another (the watcher, the leader of a cluster): every method asynchronous, every call plain JSON. */
import { ERRORS, type ErrorCode, HaetaeError } from "../../protocol/errors.js";
import type { SubscriberSignups } from "../propagation/subscriber-signups.js";
import type { Subscriber } from "../propagation/subscriber-store.js";
import type { SliEvent } from "../sli-recorder.js";
import type { StatusSnapshot, TowerChange } from "../tower/model.js";
import type { Tower } from "../tower/tower.js";

/** The tower's methods that the ops API calls; nothing else crosses a link. */
export const TOWER_METHODS = [
  "ingestAlert",
  "listAlerts",
  "acknowledgeAlert",
  "listIncidents",
  "getIncident",
  "declare",
  "update",
  "overrideSeverity",
  "setRoles",
  "acknowledge",
  "setIncidentComponents",
  "listComponents",
  "setComponentStatus",
  "listMaintenances",
  "scheduleMaintenance",
  "cancelMaintenance",
  "editLog",
  "addFollowUp",
  "updateFollowUp",
  "closeReview",
  "overdueFollowUps",
  "searchLogs",
  "similar",
  "stats",
] as const satisfies readonly (keyof Tower)[];
export type TowerMethod = (typeof TOWER_METHODS)[number];

/** Promise<T> of a method's result, whatever the method returned. */
type Async<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** The tower's ops methods, each answering a promise (`HaetaeError` rejections as the tower threw them). */
export type TowerApi = { [K in TowerMethod]: Async<Tower[K]> };

/**
 * The public sign-ups for status notifications, as the status routes call them: they live where
 * the subscriber file lives (the tower's process), and a node without it forwards them.
 */
export interface SignupsApi {
  /** Whether subscribers may use private addresses (`subscriberPrivateUrls`). */
  readonly allowPrivate: boolean;
  signUp(url: string, components: string[], address: string, base: string): Promise<Subscriber>;
  /** The subscriber when `token` is its secret; `not_found` otherwise. */
  get(id: string, token: string): Promise<Subscriber>;
  remove(id: string, token: string): Promise<void>;
  confirm(id: string, token: string): Promise<Subscriber>;
  unsubscribe(id: string, token: string): Promise<void>;
}
export const SIGNUP_METHODS = ["signUp", "get", "remove", "confirm", "unsubscribe"] as const;
export type SignupMethod = (typeof SIGNUP_METHODS)[number];

/** Any call a node makes of a tower that runs elsewhere. */
export type LinkCall =
  | { api: "tower"; method: TowerMethod; args: unknown[] }
  | { api: "signups"; method: SignupMethod; args: unknown[] };

/** The answer to one call: the value, or the error the tower threw, by its stable code. */
export type LinkReply =
  | { ok: true; value: unknown }
  | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

/** What the tower publishes after every public change, and once when a listener joins. */
export interface FeedMessage {
  /** Absent on the first message a listener gets (the state it starts from). */
  change?: TowerChange;
  snapshot: StatusSnapshot;
}

/**
 * A tower in another process, as a node sees it. The transports (a child process's IPC
 * channel, NATS) implement it; `remoteTowerApi` and `remoteSignups` turn it into the APIs.
 */
export interface TowerLink {
  /** One call; rejects with the tower's `HaetaeError`, or `unavailable` when no tower answers in time. */
  call(call: LinkCall): Promise<unknown>;
  /** Hear the feed: the current state as soon as it is known, then every change. Returns the way to stop. */
  onFeed(listener: (message: FeedMessage) => void): () => void;
  /** Hand this node's SLI events to the tower's impact meter and SLOs (best effort: lost when no tower listens). */
  reportSli(events: SliEvent[]): void;
  close(): Promise<void>;
}

/** The methods whose names match, as a promise-returning view of `tower` in this process. */
export function localTowerApi(tower: Tower): TowerApi {
  const api = {} as Record<TowerMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of TOWER_METHODS) {
    const fn = tower[method] as (...args: unknown[]) => unknown;
    api[method] = async (...args) => fn.apply(tower, args);
  }
  return api as unknown as TowerApi;
}

/** The tower API over a link. */
export function remoteTowerApi(link: Pick<TowerLink, "call">): TowerApi {
  const api = {} as Record<TowerMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of TOWER_METHODS) api[method] = (...args) => link.call({ api: "tower", method, args });
  return api as unknown as TowerApi;
}

/** The sign-ups over a link. */
export function remoteSignups(link: Pick<TowerLink, "call">, allowPrivate: boolean): SignupsApi {
  const call = (method: SignupMethod, args: unknown[]) => link.call({ api: "signups", method, args });
  return {
    allowPrivate,
    signUp: (...args) => call("signUp", args) as Promise<Subscriber>,
    get: (...args) => call("get", args) as Promise<Subscriber>,
    remove: async (...args) => void (await call("remove", args)),
    confirm: (...args) => call("confirm", args) as Promise<Subscriber>,
    unsubscribe: async (...args) => void (await call("unsubscribe", args)),
  };
}

/**
 * Answer one call on the tower's side. The method is checked against the lists (a link is
 * internal, but a name from the wire never indexes an object unchecked); the arguments were
 * checked by the node's routes that made the call.
 */
export async function answerCall(
  call: LinkCall,
  targets: { tower: TowerApi; signups: SignupsApi | undefined },
): Promise<LinkReply> {
  try {
    if (call.api === "tower" && (TOWER_METHODS as readonly string[]).includes(call.method)) {
      const fn = targets.tower[call.method] as (...args: unknown[]) => Promise<unknown>;
      return { ok: true, value: (await fn(...call.args)) ?? null };
    }
    if (call.api === "signups" && targets.signups && (SIGNUP_METHODS as readonly string[]).includes(call.method)) {
      const fn = targets.signups[call.method] as (...args: unknown[]) => Promise<unknown>;
      return { ok: true, value: (await fn(...call.args)) ?? null };
    }
    return { ok: false, code: "invalid_request", message: `No such call: ${call.api}.${call.method}` };
  } catch (error) {
    return errorReply(error);
  }
}

/** A thrown value as a reply: a `HaetaeError` keeps its code; anything else is `internal` (and logged). */
export function errorReply(error: unknown): LinkReply {
  if (error instanceof HaetaeError) {
    const reply: LinkReply = { ok: false, code: error.code, message: error.message };
    if (error.retryAfterMs !== undefined) reply.retryAfterMs = error.retryAfterMs;
    return reply;
  }
  console.error("haetae: tower call failed:", error);
  return { ok: false, code: "internal", message: ERRORS.internal.message };
}

/** The caller's side of a reply: the value, or the error thrown again. */
export function unwrapReply(reply: LinkReply): unknown {
  if (reply.ok) return reply.value;
  const code = reply.code in ERRORS ? reply.code : "internal";
  throw new HaetaeError(code, reply.message, reply.retryAfterMs);
}

/** The sign-ups of this process's subscriber file, as the promise-returning API. */
export function localSignups(signups: SubscriberSignups): SignupsApi {
  return {
    allowPrivate: signups.policy === undefined,
    signUp: async (...args) => signups.signUp(...args),
    get: async (id, token) => signups.store.get(id, token),
    remove: async (id, token) => signups.store.remove(id, token),
    confirm: async (id, token) => signups.confirm(id, token),
    unsubscribe: async (id, token) => signups.unsubscribe(id, token),
  };
}
