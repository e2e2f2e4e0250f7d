/** @module What every chat action receives: the store, the bus, the config slice and a clock. */
import { randomUUID } from "node:crypto";
import type { Bus } from "../bus/bus.js";
import type { Config } from "../config/config.js";
import type { ReceiptCoalescer } from "../guard/receipt-coalescer.js";
import type { Message, ServerEvent } from "../protocol/index.js";
import type { BlobStore } from "../store/blob-store.js";
import type { Store, Written } from "../store/store.js";
import type { DeviceSeen } from "./device-seen.js";

/** The limits the chat domain enforces. */
export type ChatLimits = Pick<
  Config,
  | "maxTextLength"
  | "maxGroupMembers"
  | "deleteWindowMs"
  | "tokenTtlMs"
  | "wsTicketTtlMs"
  | "scryptLogN"
  | "minPasswordLength"
  | "passwordMinScore"
  | "passwordResetTtlMs"
  | "deviceKeyTtlMs"
  | "syncPageSize"
  | "historyPageSize"
  | "conversationPageSize"
  | "conversationPageMax"
  | "invitationsPerHour"
  | "invitationTtlMs"
  | "groupLinksPerGroup"
  | "adminUsernames"
  | "maxFileBytes"
  | "fileQuotaBytes"
  | "maxImagePixels"
  | "unattachedFileTtlMs"
>;

/**
 * Hears each newly stored message after its publish, to notify devices that are not connected
 * (Web Push). `offer` must return at once: a send never waits for a notification.
 */
export interface MessageNotifier {
  offer(message: Message, audience: readonly string[]): void;
}

export interface ChatContext {
  store: Store;
  bus: Bus;
  limits: ChatLimits;
  now(): Date;
  /** The current degradation level (0 normal … 4), read where work is shed (G5). */
  load: { readonly level: number };
  /** Where receipts go for live fan-out at level 2 and above. */
  receipts: ReceiptCoalescer;
  /** Where a token or ticket check notes its device as seen, written to the store once a second. */
  seen: DeviceSeen;
  /** Where the bytes of uploaded files live (their rows are in `store`). */
  blobs: BlobStore;
  /**
   * Where a stored message's first link is offered for a preview (actions/link-previews.ts);
   * never waits. Absent: no previews.
   */
  previews?: { offer(message: Message): void };
  /** Where new messages go for push notifications; none: no pushes. */
  notifier?: MessageNotifier;
}

/** A new random id for a user, device or conversation. */
export function newId(): string {
  return randomUUID();
}

/**
 * A new message id: a UUIDv7 (RFC 9562), which starts with its time in milliseconds, so new ids
 * land at the end of the store's unique index on message ids instead of on a random page of it
 * (with random ids, every commit rewrote one index page per message). Its 74 random bits are
 * those of a v4 from `randomUUID`, which draws from a pooled buffer — the `uuid` package's v7
 * called `getRandomValues` once per id, 2.9 % of the node's time in a surge's profile.
 */
export function newMessageId(): string {
  const now = Date.now();
  if (now !== idPrefix.ms) {
    const time = now.toString(16).padStart(12, "0");
    idPrefix.ms = now;
    idPrefix.text = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
  }
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: keep from the version's next digit on, variant included.
  return idPrefix.text + randomUUID().slice(15);
}
/** The time part of the ids of the current millisecond, made once per millisecond. */
const idPrefix = { ms: -1, text: "" };

/**
 * Hand an event to the bus for live delivery. Called only after the store committed it; a lost
 * publish is recovered by the client's sync, so a bus failure is logged, never thrown.
 */
export async function publishEvent(
  ctx: ChatContext,
  audience: readonly string[],
  event: ServerEvent,
  ephemeral = false,
): Promise<void> {
  if (audience.length === 0) return;
  try {
    await ctx.bus.publish({ audience, frame: JSON.stringify(event), ephemeral });
  } catch (error) {
    console.error("publish failed (clients will catch up by sync):", (error as Error).message);
  }
}

/** Publish what a write committed: its event, then the system line it appended (a group change), in that order. */
export async function publishWritten(ctx: ChatContext, written: Written<unknown>): Promise<void> {
  if (written.event) await publishEvent(ctx, written.audience, written.event);
  if (written.line?.event) await publishEvent(ctx, written.line.audience, written.line.event);
}
