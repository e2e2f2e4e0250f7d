/** @module Pinned notices (pin, unpin, the pinned message's text) and forwarding messages to other chats. */
import type { Conversation, Message } from "../../../src/protocol/index.js";
import { newClientMsgId } from "../../../src/sdk/index.js";
import { findMessage } from "./chat-model.js";
import type { ChatViews } from "./chat-views.js";
import type { Call } from "./directory.js";

/**
 * What a group's notice bar and the forward dialog ask of the server. Replies update the
 * conversation in the list at once (the `conversation.updated` event does on other devices).
 */
export class MessageTools {
  /** Pinned messages fetched because they were not loaded, by `conversationId:seq`. */
  private readonly fetched = new Map<string, Message | null>();
  private readonly asking = new Set<string>();

  constructor(
    private readonly call: Call,
    private readonly views: ChatViews,
    private readonly setConversation: (conversation: Conversation) => void,
    private readonly onChange: () => void,
  ) {}

  async pin(conversationId: string, seq: number): Promise<void> {
    const reply = await this.call("pin", { conversationId, seq });
    if (reply) this.setConversation(reply.conversation);
  }

  async unpin(conversationId: string): Promise<void> {
    const reply = await this.call("unpin", { conversationId });
    if (reply) this.setConversation(reply.conversation);
  }

  /** The pinned message: from the loaded window, else fetched once (undefined while on its way, null when gone). */
  pinnedMessage(conversationId: string, seq: number): Message | null | undefined {
    const view = this.views.get(conversationId);
    const loaded = view && findMessage(view, seq);
    if (loaded) return loaded;
    const key = `${conversationId}:${seq}`;
    if (!this.fetched.has(key)) void this.fetch(conversationId, seq, key);
    return this.fetched.get(key);
  }

  /**
   * Forward messages (oldest first) to chats, files kept; one request per message, each once only
   * (its clientMsgId). Resolves with how many copies were made.
   */
  async forward(
    fromConversationId: string,
    seqs: readonly number[],
    toConversationIds: readonly string[],
  ): Promise<number> {
    let made = 0;
    for (const seq of [...seqs].sort((a, b) => a - b)) {
      const reply = await this.call("message.forward", {
        fromConversationId,
        seq,
        toConversationIds: [...toConversationIds],
        clientMsgId: newClientMsgId(),
      });
      if (!reply) break;
      made += reply.messages.length;
      for (const message of reply.messages) this.views.put(message);
    }
    this.onChange();
    return made;
  }

  private async fetch(conversationId: string, seq: number, key: string): Promise<void> {
    if (this.asking.has(key)) return;
    this.asking.add(key);
    const reply = await this.call("history", { conversationId, aroundSeq: seq, limit: 1 }, true);
    this.asking.delete(key);
    if (!reply) return;
    this.fetched.set(key, reply.messages.find((m) => m.seq === seq) ?? null);
    this.onChange();
  }
}
