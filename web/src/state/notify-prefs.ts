/** @module My notification choices — chat mutes, quiet hours, hidden text — kept in step on every device through my feed. */
import type { FeedEvent, Message, RequestParams } from "../../../src/protocol/index.js";
import {
  type ChatMute,
  DEFAULT_NOTIFY_SETTINGS,
  isMuted,
  type NotifySettings,
  shouldNotify,
} from "../../../src/protocol/notify-rules.js";
import type { Call } from "./directory.js";

export type MuteDuration = RequestParams<"notify.mute">["duration"];

/**
 * Loaded with `notify.get` on each connect, then changed by my `notify.mute` and
 * `notify.settings` events (from this device or another, live or by sync): every device shows
 * and obeys the same choices.
 */
export class NotifyPrefs {
  settings: NotifySettings = { ...DEFAULT_NOTIFY_SETTINGS };
  private readonly mutes = new Map<string, ChatMute>();

  constructor(
    private readonly call: Call,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    const reply = await this.call("notify.get", {}, true);
    if (!reply) return;
    this.settings = reply.settings;
    this.mutes.clear();
    for (const mute of reply.mutes) this.mutes.set(mute.conversationId, mute);
    this.changed();
  }

  /** Take a feed event that is mine to keep; false for any other event. */
  apply(event: FeedEvent): boolean {
    if (event.type === "notify.mute") this.mutes.set(event.mute.conversationId, event.mute);
    else if (event.type === "notify.settings") this.settings = event.settings;
    else return false;
    return true;
  }

  mute(conversationId: string): ChatMute | undefined {
    return this.mutes.get(conversationId);
  }

  /** Muted at this moment (an hour's mute ends by itself). */
  muted(conversationId: string, now = new Date()): boolean {
    return isMuted(this.mutes.get(conversationId), now);
  }

  /**
   * What a chat adds to the unread total of the title and the app badge: its unread count, but
   * for a muted chat only its unread mentions, and those only while mentions pass the mute (as
   * Telegram leaves muted chats out of the badge): a muted group's chatter must not keep the
   * badge lit.
   */
  unreadShown(
    summary: { conversation: { id: string }; unreadCount: number; unreadMentionCount: number },
    now = new Date(),
  ): number {
    const mute = this.mutes.get(summary.conversation.id);
    if (!isMuted(mute, now)) return summary.unreadCount;
    return mute?.mentionsOverrideMute ? summary.unreadMentionCount : 0;
  }

  /** Would this message notify me now: the server's rule for pushes, applied in the tab. */
  notifies(message: Message, me: string, now = new Date()): boolean {
    const mentioned = message.mentionsAll || message.mentions.includes(me);
    return shouldNotify({ mute: this.mutes.get(message.conversationId), settings: this.settings, mentioned }, now);
  }

  async setMute(conversationId: string, duration: MuteDuration, mentionsOverrideMute?: boolean): Promise<void> {
    const reply = await this.call("notify.mute", {
      conversationId,
      duration,
      ...(mentionsOverrideMute === undefined ? {} : { mentionsOverrideMute }),
    });
    if (!reply) return;
    this.mutes.set(conversationId, reply.mute);
    this.changed();
  }

  /** Change settings; the device's own time zone goes with them, so quiet hours follow where I am. */
  async update(change: Partial<Omit<NotifySettings, "utcOffsetMinutes">>): Promise<void> {
    const reply = await this.call("notify.settings", {
      ...change,
      utcOffsetMinutes: -new Date().getTimezoneOffset(),
    });
    if (!reply) return;
    this.settings = reply.settings;
    this.changed();
  }
}
