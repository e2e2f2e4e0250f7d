/** @module Tower changes posted into a staff group conversation by a system account, while the chat path works. */
import { createHash } from "node:crypto";
import { addMembers, createConversation } from "../../chat/actions/conversations.js";
import { sendMessage } from "../../chat/actions/messages.js";
import type { ChatContext } from "../../chat/context.js";
import { newId } from "../../chat/context.js";
import { normalizeUsername } from "../../protocol/index.js";
import { StoreConflictError } from "../../store/store.js";

/** The system account that posts; its password hash matches no password, so nobody can log in as it. */
export const STATUS_USERNAME = "haetae_status";
const NO_PASSWORD = "!no-login";
/** Posts waiting while the chat path is slow or down; older ones are dropped first (webhooks carry them). */
const QUEUE_LIMIT = 100;
/** A post that takes longer is abandoned, so a hung store cannot hold the queue for ever. */
const POST_TIMEOUT_MS = 5000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StaffChatOptions {
  /** The staff conversation: its id, or the title of a group the system account is in (created when missing). */
  conversation: string;
  /** Usernames made members when the group is created. */
  members: string[];
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
 * and group are looked up (and created if missing) on first use and again after a failure.
 */
export class StaffChat {
  private readonly queue: { text: string; key: string }[] = [];
  private running = false;
  private target: Promise<{ userId: string; conversationId: string }> | undefined;
  private closed = false;
  /** Configured usernames found and made members; the others are looked up again at each post. */
  private readonly joined = new Set<string>();

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

  /** Find or create the system account and the staff group; the ids the posts go to. */
  ensureTarget(): Promise<{ userId: string; conversationId: string }> {
    // One lookup at a time: two concurrent ones would each create a group.
    this.target ??= (async () => {
      const userId = await this.ensureAccount();
      return { userId, conversationId: await this.ensureConversation(userId) };
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
          this.target = undefined; // look it up again next time: the group may have been left or removed
          console.warn(`staff chat: post not delivered (${(error as Error).message})`);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async send(text: string, key: string): Promise<void> {
    const { userId, conversationId } = await this.ensureTarget();
    await this.addMissingMembers(userId, conversationId);
    const clientMsgId = `tower-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
    await sendMessage(this.ctx, userId, {
      conversationId,
      clientMsgId,
      text: text.slice(0, this.ctx.limits.maxTextLength),
    });
  }

  /**
   * Staff who registered after the group was made (or after the first start) join at the next
   * post: each configured username not yet a member is looked up again until it exists.
   */
  private async addMissingMembers(userId: string, conversationId: string): Promise<void> {
    const wanted = this.options.members.map(normalizeUsername).filter((name) => !this.joined.has(name));
    if (wanted.length === 0) return;
    const members = new Set((await this.ctx.store.getMembers(conversationId)).map((m) => m.userId));
    const add: string[] = [];
    for (const name of wanted) {
      const user = await this.ctx.store.getUserByUsername(name);
      if (!user) continue;
      this.joined.add(name);
      if (!members.has(user.id)) add.push(user.id);
    }
    // The server adds staff by its own config: nobody is asked to consent (chat/actions/invitations.ts).
    if (add.length > 0) await addMembers(this.ctx, userId, conversationId, add, { byServer: true });
  }

  private async ensureAccount(): Promise<string> {
    const existing = await this.ctx.store.getUserByUsername(STATUS_USERNAME);
    if (existing) return existing.id;
    try {
      const created = await this.ctx.store.createUser({
        id: newId(),
        username: STATUS_USERNAME,
        displayName: "Haetae status",
        createdAt: this.ctx.now().toISOString(),
        passwordHash: NO_PASSWORD,
      });
      return created.id;
    } catch (error) {
      // Another node created it at the same moment.
      if (!(error instanceof StoreConflictError)) throw error;
      const again = await this.ctx.store.getUserByUsername(STATUS_USERNAME);
      if (!again) throw error;
      return again.id;
    }
  }

  private async ensureConversation(userId: string): Promise<string> {
    const wanted = this.options.conversation;
    // Conversation ids are UUIDs; anything else is a title (and must not reach a uuid column).
    if (UUID.test(wanted) && (await this.ctx.store.getMember(wanted, userId))) return wanted;
    const mine = await this.ctx.store.listConversations(userId);
    const found = mine.find((c) => c.conversation.kind === "group" && c.conversation.title === wanted);
    if (found) return found.conversation.id;
    const memberIds: string[] = [];
    for (const name of this.options.members) {
      const user = await this.ctx.store.getUserByUsername(normalizeUsername(name));
      if (user) memberIds.push(user.id);
      else console.warn(`staff chat: no user "${name}" to add to "${wanted}"`);
    }
    const { conversation } = await createConversation(
      this.ctx,
      userId,
      { kind: "group", memberIds, title: wanted },
      { byServer: true },
    );
    return conversation.id;
  }
}
