/** @module The staff conversation: made by the server, bound by id in the store, its members the users with a staff role, changed by nobody else. */
import type { Conversation, UserRole } from "../../protocol/index.js";
import { HaetaeError } from "../../protocol/index.js";
import type { Store } from "../../store/store.js";
import { type ChatContext, newId, publishWritten } from "../context.js";

/** The server setting that holds the staff conversation's id. */
export const STAFF_CONVERSATION_SETTING = "staff_conversation_id";
/** The roles whose holders are members of the staff conversation. */
export const STAFF_ROLES: readonly UserRole[] = ["staff", "admin"];

// Once claimed, the id never changes (claims are insert-if-absent), so a found id is kept per store.
const known = new WeakMap<Store, string>();

/** The staff conversation's id, or null while the server has made none. */
export async function staffConversationId(ctx: ChatContext): Promise<string | null> {
  const cached = known.get(ctx.store);
  if (cached !== undefined) return cached;
  const id = await ctx.store.getSetting(STAFF_CONVERSATION_SETTING);
  if (id !== null) known.set(ctx.store, id);
  return id;
}

/**
 * Refuse a member or title change of the staff conversation through the chat API: its members
 * follow the staff role and only the server changes them, so a member cannot bring an outsider
 * in, remove a colleague, leave it, or retitle it.
 */
export async function refuseStaffConversationChange(ctx: ChatContext, conversationId: string): Promise<void> {
  if ((await staffConversationId(ctx)) === conversationId) {
    throw new HaetaeError(
      "forbidden",
      "The staff conversation's members follow the staff role; only the server changes it.",
    );
  }
}

/**
 * The staff conversation, made when missing. Its id is claimed in the store before the group is
 * made, so two nodes starting at once agree on one id; whichever makes the group first wins and
 * the other finds it. `statusUserId` (the status account) owns it and is its first member; the
 * title only labels it and is set again when the configuration changed it.
 */
export async function ensureStaffConversation(ctx: ChatContext, statusUserId: string, title: string): Promise<string> {
  const id = await ctx.store.claimSetting(STAFF_CONVERSATION_SETTING, newId(), ctx.now().toISOString());
  known.set(ctx.store, id);
  let conversation = await ctx.store.getConversation(id);
  if (!conversation) {
    const fresh: Conversation = {
      id,
      kind: "group",
      memberIds: [statusUserId],
      title,
      createdAt: ctx.now().toISOString(),
      createdBy: statusUserId,
    };
    try {
      const written = await ctx.store.createGroup(fresh);
      await publishWritten(ctx, written);
    } catch (error) {
      // Another node made it a moment before: the same id, so the row it wrote is the one wanted.
      if (!(await ctx.store.getConversation(id))) throw error;
    }
    conversation = (await ctx.store.getConversation(id)) as Conversation;
  }
  if (conversation.title !== title) {
    const written = await ctx.store.updateTitle(id, title, conversation.createdBy, ctx.now().toISOString());
    await publishWritten(ctx, written);
  }
  await reconcileStaffMembers(ctx);
  return id;
}

/**
 * Make the staff conversation's members exactly the people with a staff role (and its owner, the
 * status account): add the missing, remove the rest. Run when it is made and before each post,
 * which also catches roles set where no node heard it (`haetae role` on a stopped node).
 */
export async function reconcileStaffMembers(ctx: ChatContext): Promise<void> {
  const id = await staffConversationId(ctx);
  const conversation = id === null ? null : await ctx.store.getConversation(id);
  if (!conversation) return;
  const staff = new Set(await ctx.store.userIdsWithRoles(STAFF_ROLES));
  const owner = conversation.createdBy;
  const missing = [...staff].filter((userId) => !conversation.memberIds.includes(userId));
  const extra = conversation.memberIds.filter((userId) => userId !== owner && !staff.has(userId));
  await changeMembers(ctx, conversation, missing, extra);
}

/** One user's role changed: they join the staff conversation with a staff role and leave it without. */
export async function followRole(ctx: ChatContext, userId: string, role: UserRole): Promise<void> {
  const id = await staffConversationId(ctx);
  const conversation = id === null ? null : await ctx.store.getConversation(id);
  if (!conversation || userId === conversation.createdBy) return;
  if ((await ctx.store.systemAccounts([userId])).size > 0) return; // a system account is never a staff member
  const member = conversation.memberIds.includes(userId);
  const wanted = STAFF_ROLES.includes(role);
  if (wanted && !member) await changeMembers(ctx, conversation, [userId], []);
  if (!wanted && member) await changeMembers(ctx, conversation, [], [userId]);
}

async function changeMembers(
  ctx: ChatContext,
  conversation: Conversation,
  add: readonly string[],
  remove: readonly string[],
): Promise<void> {
  const by = conversation.createdBy;
  if (add.length > 0) {
    // The staff are all in it, however many: the group limit is for groups people make.
    const written = await ctx.store.addMembers(
      conversation.id,
      add,
      by,
      ctx.now().toISOString(),
      Number.MAX_SAFE_INTEGER,
    );
    await publishWritten(ctx, written);
  }
  for (const userId of remove) {
    // The removed user hears it too, so every device of theirs drops the conversation.
    const written = await ctx.store.removeMember(conversation.id, userId, by, ctx.now().toISOString());
    await publishWritten(ctx, written);
  }
}
