/** @module Presence subscriptions: whose presence a user may follow, decided by the access check. */
import { HaetaeError } from "../../protocol/index.js";
import { presenceVisibleAmong } from "../access.js";
import type { ChatContext } from "../context.js";

/** The users a subscription may follow, and those it asked for but may not. */
export interface PresenceChoice {
  allowed: string[];
  refused: string[];
}

/**
 * A subscription refused for every user it asked for is `forbidden`, so that a client cannot
 * take an empty answer for "all offline".
 */
export function refuseIfNoneAllowed({ allowed, refused }: PresenceChoice): void {
  if (allowed.length === 0 && refused.length > 0) {
    throw new HaetaeError("forbidden", "You may not see the presence of these users.");
  }
}

/**
 * Split the users `viewerId` asks about (`presence.get`, a member list) into those whose presence
 * they may see and the rest, by the same access check as a subscription; more than `limit`
 * distinct users is `invalid_request`. Refusing every one is no error here: a list of members one
 * may not see is an answer, not a mistake.
 */
export async function choosePresences(
  ctx: ChatContext,
  viewerId: string,
  userIds: readonly string[],
  limit: number,
): Promise<PresenceChoice> {
  const wanted = [...new Set(userIds)];
  if (wanted.length > limit) throw new HaetaeError("invalid_request", `userIds: at most ${limit} at once.`);
  const visible = await presenceVisibleAmong(ctx, viewerId, wanted);
  return { allowed: wanted.filter((id) => visible.has(id)), refused: wanted.filter((id) => !visible.has(id)) };
}
