/** @module What survives a reload in IndexedDB: the outbox (messages not yet acknowledged) and a snapshot for offline start. */
import { createStore, del, delMany, entries, get, keys, set } from "idb-keyval";
import type { ConversationSummary, Message, User } from "../../../src/protocol/index.js";

/** A message the user sent that the server has not acknowledged, or refused. */
export interface OutboxRecord {
  clientMsgId: string;
  conversationId: string;
  text: string;
  replyToSeq?: number;
  /** Uploaded files it carries (uploaded before the message is composed). */
  fileIds?: string[];
  /**
   * Files it carries that were not uploaded yet when it was sent (offline, or still going): their
   * bytes and tus address, kept here so a reload resumes them; the message goes out, once, after
   * the last one is done (its fileId then moves to `fileIds`).
   */
  uploads?: PendingFile[];
  createdAt: string;
  /** Sorts the saved messages in the order they were typed (several may share a millisecond). */
  order: number;
  /** Set when the server refused it for good: the UI offers retry or discard. */
  failed?: { code: string; message: string };
}

/** A file of an outbox message still to upload (IndexedDB keeps the Blob itself). */
export interface PendingFile {
  name: string;
  blob: Blob;
  /** The tus upload's address once the server made it: a resume continues from its offset. */
  url?: string;
  /** Set once uploaded. */
  fileId?: string;
}

/** The last known state, shown at once on start (and while offline) until the server answers. */
export interface Snapshot {
  conversations: ConversationSummary[];
  users: User[];
  /** The newest page of each recently opened conversation. */
  messages: Record<string, { messages: Message[]; readSeqs: Record<string, number> }>;
}

let db: ReturnType<typeof createStore> | undefined;
function store(): ReturnType<typeof createStore> {
  db ??= createStore("haetae", "kv");
  return db;
}

/**
 * IndexedDB can be missing or refuse (private windows, a full disk). The app then still works
 * from memory; only the survival of a reload is lost, and the console says why.
 */
async function attempt<T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    console.warn(`haetae: IndexedDB ${what} failed:`, error);
    return fallback;
  }
}

/**
 * One entry per message (`outbox:<user>:<clientMsgId>`), not one list per user: two tabs of the
 * same user each add and remove only their own messages, so neither overwrites the other's.
 */
const outboxPrefix = (userId: string) => `outbox:${userId}:`;

/** Every saved message of the user, in the order they were typed. */
export function loadOutbox(userId: string): Promise<OutboxRecord[]> {
  const prefix = outboxPrefix(userId);
  return attempt(
    "read",
    async () =>
      (await entries<IDBValidKey, OutboxRecord>(store()))
        .filter(([key]) => typeof key === "string" && key.startsWith(prefix))
        .map(([, record]) => record)
        .sort((a, b) => a.order - b.order),
    [],
  );
}

export function saveOutboxRecord(userId: string, record: OutboxRecord): Promise<void> {
  return attempt("write", () => set(`${outboxPrefix(userId)}${record.clientMsgId}`, record, store()), undefined);
}

export function deleteOutboxRecord(userId: string, clientMsgId: string): Promise<void> {
  return attempt("delete", () => del(`${outboxPrefix(userId)}${clientMsgId}`, store()), undefined);
}

export function loadSnapshot(userId: string): Promise<Snapshot | undefined> {
  return attempt("read", () => get<Snapshot>(`snapshot:${userId}`, store()), undefined);
}

export function saveSnapshot(userId: string, snapshot: Snapshot): Promise<void> {
  return attempt("write", () => set(`snapshot:${userId}`, snapshot, store()), undefined);
}

/** Forget everything kept for a user (on log out: a shared computer keeps nothing). */
export async function clearUserData(userId: string): Promise<void> {
  const remove = async () => {
    const mine = (await keys(store())).filter((key) => typeof key === "string" && key.startsWith(outboxPrefix(userId)));
    await delMany([...mine, `snapshot:${userId}`], store());
  };
  await attempt("delete", remove, undefined);
}
