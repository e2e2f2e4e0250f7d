/** @module Which photo an avatar shows: a user's profile photo, a group's photo, a direct chat's other person's. */
import type { Conversation } from "../../../src/protocol/index.js";
import type { AppStore } from "../state/app-store.js";
import { otherMember } from "./names.js";

/** The thumbnail of a user's profile photo (any signed-in user may read it), when they set one. */
export function userPhoto(store: AppStore, userId: string | undefined): string | undefined {
  if (!userId) return undefined;
  const user = store.directory.user(userId);
  if (!user?.avatarUrl || user.deleted) return undefined;
  return `${user.avatarUrl}/thumbnail`;
}

/** A group's photo thumbnail, or a direct chat's other person's photo. */
export function conversationPhoto(store: AppStore, conversation: Conversation): string | undefined {
  if (conversation.kind === "group") return conversation.photo?.thumbnailUrl;
  return userPhoto(store, otherMember(store, conversation));
}
