/** @module Keeps the SDK's outbox in IndexedDB so a reload loses nothing, and keeps the sends the server refused. */
import type { Message } from "../../../src/protocol/index.js";
import { type HaetaeClient, type HaetaeRequestError, newClientMsgId } from "../../../src/sdk/index.js";
import { deleteOutboxRecord, loadOutbox, type OutboxRecord, type PendingFile, saveOutboxRecord } from "./persist.js";
import { startUpload, type Upload } from "./uploads.js";

/** A message of mine not (yet) in the conversation: waiting for the server, or refused. */
export interface UnsentMessage extends OutboxRecord {
  state: "sending" | "failed";
  /** 0…1 of its files' bytes uploaded, while it waits for them. */
  uploaded?: number;
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
  /** The running uploads of messages waiting for their files, by clientMsgId. */
  private readonly uploading = new Map<string, Upload[]>();
  private stopped = false;

  constructor(
    private readonly client: HaetaeClient,
    private readonly userId: string,
    private readonly token: string,
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

  /**
   * A new message: a fresh clientMsgId, saved, then handed to the SDK. `pending` are files still
   * uploading (or not started, offline): the message is saved with their bytes first and sent once
   * they are all uploaded, resumed after a reload if need be.
   */
  compose(
    conversationId: string,
    text: string,
    replyToSeq?: number,
    fileIds?: readonly string[],
    pending?: readonly PendingFile[],
  ): void {
    const record: OutboxRecord = {
      clientMsgId: newClientMsgId(),
      conversationId,
      text,
      ...(fileIds && fileIds.length > 0 ? { fileIds: [...fileIds] } : {}),
      ...(pending && pending.length > 0 ? { uploads: pending.map((p) => ({ ...p })) } : {}),
      createdAt: new Date().toISOString(),
      order: typingOrder(),
    };
    this.send(replyToSeq !== undefined ? { ...record, replyToSeq } : record);
  }

  /**
   * Upload the message's files still to upload (resuming from their tus address), saving each
   * address and id as it becomes known, then send it. The clientMsgId was fixed at compose time,
   * so however many reloads happen on the way the server makes one message of it (G2).
   */
  private uploadThenSend(record: OutboxRecord): void {
    const files = record.uploads ?? [];
    const save = () => void saveOutboxRecord(this.userId, record);
    const running = files
      .filter((file) => file.fileId === undefined)
      .map((file) =>
        startUpload(
          this.token,
          file.blob,
          file.name,
          (upload) => {
            if (this.stopped) return;
            if (upload.url && upload.url !== file.url) {
              file.url = upload.url;
              save();
            }
            if (upload.state === "done" && upload.file) {
              file.fileId = upload.file.id;
              save();
              if (files.every((f) => f.fileId !== undefined)) {
                this.uploading.delete(record.clientMsgId);
                const { uploads: _done, ...ready } = record;
                const fileIds = [...(record.fileIds ?? []), ...files.map((f) => f.fileId as string)];
                this.send({ ...ready, fileIds });
                return;
              }
            } else if (upload.state === "failed") {
              for (const other of this.uploading.get(record.clientMsgId) ?? []) other.pause();
              this.uploading.delete(record.clientMsgId);
              const failed = { ...record, failed: { code: upload.error ?? "upload_failed", message: file.name } };
              this.records.set(record.clientMsgId, failed);
              void saveOutboxRecord(this.userId, failed);
            }
            this.onChange();
          },
          file.url,
        ),
      );
    this.uploading.set(record.clientMsgId, running);
  }

  /** Send a message (or an old one again, with its own clientMsgId). */
  private send(record: OutboxRecord): void {
    const { clientMsgId, conversationId, text, replyToSeq, fileIds } = record;
    this.records.set(clientMsgId, record);
    void saveOutboxRecord(this.userId, record);
    if (record.uploads?.some((file) => file.fileId === undefined)) {
      this.uploadThenSend(record);
      return;
    }
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

  /** Drop a refused message, or cancel one still waiting for its files (the server drops their parts). */
  discard(clientMsgId: string): void {
    const running = this.uploading.get(clientMsgId);
    if (running) {
      for (const upload of running) upload.cancel();
      this.uploading.delete(clientMsgId);
    } else if (!this.records.get(clientMsgId)?.failed) return;
    this.forget(clientMsgId);
    this.onChange();
  }

  /** Everything unsent, in the order it was typed. */
  get unsent(): UnsentMessage[] {
    return [...this.records.values()]
      .sort((a, b) => a.order - b.order)
      .map((record) => {
        const running = this.uploading.get(record.clientMsgId);
        const unsent: UnsentMessage = { ...record, state: record.failed ? "failed" : "sending" };
        if (running && running.length > 0) {
          unsent.uploaded = running.reduce((sum, u) => sum + u.progress, 0) / running.length;
        }
        return unsent;
      });
  }

  /**
   * Stop: the client is closing and the SDK is about to reject every entry; the saved copies must
   * survive that (the next start of this user sends them) unless log out wipes them.
   */
  stop(): void {
    this.stopped = true;
    // Uploads stop where they are; the next start resumes them from the saved addresses.
    for (const running of this.uploading.values()) for (const upload of running) upload.pause();
    this.uploading.clear();
  }

  private forget(clientMsgId: string): void {
    this.records.delete(clientMsgId);
    if (!this.stopped) void deleteOutboxRecord(this.userId, clientMsgId);
  }
}
