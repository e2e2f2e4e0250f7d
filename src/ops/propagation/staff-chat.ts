/** @module Tower changes posted into the staff conversation by the status account, while the chat path works. */
import { createHash } from "node:crypto";
import { sendMessage } from "../../chat/actions/messages.js";
import { ensureStaffConversation, reconcileStaffMembers } from "../../chat/actions/staff-conversation.js";
import type { ChatContext } from "../../chat/context.js";
import { ensureSystemAccount } from "../../chat/system-accounts.js";

/** The system account that posts; its password hash matches no password, so nobody can log in as it. */
export const STATUS_USERNAME = "haetae_status";
const NO_PASSWORD = "!no-login";
/** Posts waiting while the chat path is slow or down; older ones are dropped first (webhooks carry them). */
const QUEUE_LIMIT = 100;
/** A post that takes longer is abandoned, so a hung store cannot hold the queue for ever. */
const POST_TIMEOUT_MS = 5000;

export interface StaffChatOptions {
  /**
   * The staff conversation's title. Only a label: the conversation is the one whose id the
   * server claimed in the store, never one found by its title.
   */
  title: string;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Posts each change as a chat message. This is the one propagation path that depends on the
 * chat store, so it runs on its own: a bounded queue, one post at a time, each with a timeout;
 * failures are logged and never reach webhooks, the banner or the status page. The account
 * and conversation are looked up (and created if missing) on first use and again after a
 * failure; before each post its members are made to match the staff roles again.
 */
export class StaffChat {
  private readonly queue: { text: string; key: string }[] = [];
  private running = false;
  private target: Promise<{ userId: string; conversationId: string }> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ChatContext,
    private readonly options: StaffChatOptions,
  ) {}

  /** Queue one line; `key` makes the post idempotent (the same change is stored once even if retried). */
  post(text: string, key: string): void {
    if (this.closed) return;
    this.queue.push({ text, key });
    if (this.queue.length > QUEUE_LIMIT) {
      this.queue.shift();
      console.warn("staff chat: queue full, oldest post dropped (the webhooks carried it)");
    }
    if (!this.running) void this.drain();
  }

  /** Resolves when nothing is queued (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  /** Find or create the status account and the staff conversation; the ids the posts go to. */
  ensureTarget(): Promise<{ userId: string; conversationId: string }> {
    // One lookup at a time, so a node makes its account and conversation once.
    this.target ??= (async () => {
      const userId = await ensureSystemAccount(this.ctx, {
        username: STATUS_USERNAME,
        displayName: "Haetae status",
        kind: "status",
        passwordHash: () => NO_PASSWORD,
        // Made by an earlier version, before accounts were marked: no password opens it.
        isOwn: (record) => record.passwordHash === NO_PASSWORD,
      });
      return { userId, conversationId: await ensureStaffConversation(this.ctx, userId, this.options.title) };
    })();
    this.target.catch(() => {
      this.target = undefined; // try again next time
    });
    return this.target;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const item = this.queue.shift() as { text: string; key: string };
        try {
          await within(this.send(item.text, item.key), POST_TIMEOUT_MS);
        } catch (error) {
          this.target = undefined; // look it up again next time
          console.warn(`staff chat: post not delivered (${(error as Error).message})`);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async send(text: string, key: string): Promise<void> {
    const { userId, conversationId } = await this.ensureTarget();
    await reconcileStaffMembers(this.ctx);
    const clientMsgId = `tower-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
    await sendMessage(this.ctx, userId, {
      conversationId,
      clientMsgId,
      text: text.slice(0, this.ctx.limits.maxTextLength),
    });
  }
}
