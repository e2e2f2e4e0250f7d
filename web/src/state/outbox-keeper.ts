/** @module Keeps the SDK's outbox in IndexedDB so a reload loses nothing, and keeps the sends the server refused. */
import type { Message } from "../../../src/protocol/index.js";
import { type HaetaeClient, type HaetaeRequestError, newClientMsgId } from "../../../src/sdk/index.js";
import { deleteOutboxRecord, loadOutbox, type OutboxRecord, saveOutboxRecord } from "./persist.js";

/** A message of mine not (yet) in the conversation: waiting for the server, or refused. */
export interface UnsentMessage extends OutboxRecord {
  state: "sending" | "failed";
}

/** Codes that mean "this client stopped", not "the server refused this message": keep those for the next start. */
const STOPPED = new Set(["client_closed", "session_ended"]);

let counter = 0;
/** An increasing number for the order messages were typed in, across reloads. */
function typingOrder(): number {
  counter = (counter + 1) % 1000;
  return Date.now() * 1000 + counter;
}

/**
 * The SDK's outbox lives in memory. Every message handed to it is saved in IndexedDB first and
 * deleted when the server acknowledges it; on start, the saved ones go back to the SDK with their
 * original clientMsgIds, so a message typed before a reload goes out once — the server turns a
 * repeat into the original (G2). A send the server refuses for good stays as "failed" until the
 * user retries or discards it.
 */
export class OutboxKeeper {
  /** Every message this tab is responsible for, by clientMsgId: sending or failed. */
  private readonly records = new Map<string, OutboxRecord>();
  private stopped = false;

  constructor(
    private readonly client: HaetaeClient,
    private readonly userId: string,
    /** A send was acknowledged: put the stored message where it belongs. */
    private readonly onSent: (message: Message) => void,
    /** The unsent list changed. */
    private readonly onChange: () => void,
  ) {
    client.on("outbox", () => this.onChange());
  }

  /** Re-queue what the last run left, oldest first; resolves before any new send may be made. */
  async restore(): Promise<void> {
    for (const record of await loadOutbox(this.userId)) {
      if (record.failed) this.records.set(record.clientMsgId, record);
      else this.send(record);
    }
    this.onChange();
  }

  /** A new message: a fresh clientMsgId, saved, then handed to the SDK. */
  compose(conversationId: string, text: string, replyToSeq?: number, fileIds?: readonly string[]): void {
    const record: OutboxRecord = {
      clientMsgId: newClientMsgId(),
      conversationId,
      text,
      ...(fileIds && fileIds.length > 0 ? { fileIds: [...fileIds] } : {}),
      createdAt: new Date().toISOString(),
      order: typingOrder(),
    };
    this.send(replyToSeq !== undefined ? { ...record, replyToSeq } : record);
  }

  /** Send a message (or an old one again, with its own clientMsgId). */
  private send(record: OutboxRecord): void {
    const { clientMsgId, conversationId, text, replyToSeq, fileIds } = record;
    this.records.set(clientMsgId, record);
    void saveOutboxRecord(this.userId, record);
    const options = {
      clientMsgId,
      ...(replyToSeq !== undefined ? { replyToSeq } : {}),
      ...(fileIds && fileIds.length > 0 ? { fileIds } : {}),
    };
    this.client.send(conversationId, text, options).then(
      (message) => {
        this.forget(clientMsgId);
        this.onSent(message);
      },
      (error: HaetaeRequestError) => {
        if (this.stopped || STOPPED.has(error.code)) return;
        const failed = { ...record, failed: { code: error.code, message: error.message } };
        this.records.set(clientMsgId, failed);
        void saveOutboxRecord(this.userId, failed);
        this.onChange();
      },
    );
  }

  /** Send a refused message again, with the same clientMsgId. */
  retry(clientMsgId: string): void {
    const record = this.records.get(clientMsgId);
    if (!record?.failed) return;
    const { failed: _failed, ...again } = record;
    this.send(again);
  }

  /** Drop a refused message. */
  discard(clientMsgId: string): void {
    if (!this.records.get(clientMsgId)?.failed) return;
    this.forget(clientMsgId);
    this.onChange();
  }

  /** Everything unsent, in the order it was typed. */
  get unsent(): UnsentMessage[] {
    return [...this.records.values()]
      .sort((a, b) => a.order - b.order)
      .map((record) => ({ ...record, state: record.failed ? ("failed" as const) : ("sending" as const) }));
  }

  /**
   * Stop: the client is closing and the SDK is about to reject every entry; the saved copies must
   * survive that (the next start of this user sends them) unless log out wipes them.
   */
  stop(): void {
    this.stopped = true;
  }

  private forget(clientMsgId: string): void {
    this.records.delete(clientMsgId);
    if (!this.stopped) void deleteOutboxRecord(this.userId, clientMsgId);
  }
}
