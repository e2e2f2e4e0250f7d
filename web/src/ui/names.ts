/** @module How people and conversations are named in the UI. */
import type { Conversation } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import type { AppStore } from "../state/app-store.js";

/**
 * A user's display name ("…" while it is still being fetched), with their @username beside it
 * when the server marked it as looking like someone else's in a list they appear in together.
 */
export function userName(store: AppStore, userId: string): string {
  const user = store.directory.user(userId);
  if (!user) return "…";
  if (user.deleted) return t("name.deleted");
  return store.directory.collides.has(userId)
    ? t("name.withUsername", { name: user.displayName, username: user.username })
    : user.displayName;
}

/** The other member of a direct chat (undefined for a memo to myself). */
export function otherMember(store: AppStore, conversation: Conversation): string | undefined {
  return conversation.memberIds.find((id) => id !== store.me);
}

/** A group's title, or its members' names; a direct chat is named after the other person. */
export function conversationTitle(store: AppStore, conversation: Conversation): string {
  if (conversation.kind === "group") {
    if (conversation.title) return conversation.title;
    const others = conversation.memberIds.filter((id) => id !== store.me);
    return others.map((id) => userName(store, id)).join(", ") || t("chat.memo");
  }
  const other = otherMember(store, conversation);
  return other ? userName(store, other) : t("chat.memo");
}
