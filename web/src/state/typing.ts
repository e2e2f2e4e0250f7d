/** @module Typing indicators: who is typing where (shown a few seconds), and sending mine at most every few seconds. */

/** Show "is typing" this long after the last typing event; send ours at most this often. */
const SHOW_MS = 5000;
const SEND_MS = 3000;

/** Typing is ephemeral (never stored): a missed event only means a missed "is typing…". */
export class Typing {
  private readonly until = new Map<string, Map<string, number>>();
  private readonly sentAt = new Map<string, number>();

  constructor(
    private readonly sendTyping: (conversationId: string) => void,
    private readonly onChange: () => void,
  ) {}

  /** Who is typing in a conversation now. */
  who(conversationId: string): string[] {
    const now = Date.now();
    return [...(this.until.get(conversationId) ?? [])].filter(([, until]) => until > now).map(([id]) => id);
  }

  /** A typing event: show it, and re-render when it runs out. */
  received(conversationId: string, userId: string): void {
    const typing = this.until.get(conversationId) ?? new Map<string, number>();
    this.until.set(conversationId, typing);
    typing.set(userId, Date.now() + SHOW_MS);
    this.onChange();
    setTimeout(this.onChange, SHOW_MS + 50);
  }

  /** Their message arrived: they stopped typing. */
  stopped(conversationId: string, userId: string): void {
    this.until.get(conversationId)?.delete(userId);
  }

  /** I typed: tell the others, unless I did a moment ago. */
  typed(conversationId: string): void {
    const now = Date.now();
    if (now - (this.sentAt.get(conversationId) ?? 0) < SEND_MS) return;
    this.sentAt.set(conversationId, now);
    this.sendTyping(conversationId);
  }

  /** I sent: the next keystroke may say "typing" again at once. */
  sent(conversationId: string): void {
    this.sentAt.delete(conversationId);
  }
}
