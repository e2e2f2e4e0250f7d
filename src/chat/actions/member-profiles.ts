/** @module A conversation's members as profiles, for a member: who is in it, with look-alike names marked. */
import type { User } from "../../protocol/index.js";
import { accessConversation } from "../access.js";
import type { ChatContext } from "../context.js";
import { profilesShownTogether } from "../profiles.js";

/**
 * The profiles of the conversation's current members, for a member of it (G7), with
 * `nameCollides` on those whose names look like another member's: in a group, "the boss" with a
 * Cyrillic о beside the real one is marked, and the client shows both usernames.
 */
export async function listMemberProfiles(ctx: ChatContext, userId: string, conversationId: string): Promise<User[]> {
  const { conversation } = await accessConversation(ctx, userId, conversationId);
  return profilesShownTogether(await ctx.store.getUsers(conversation.memberIds));
}
