/** @module The display-name check of registration and rename: nothing hidden in it, and no look-alike of a staff member's name. */
import { HaetaeError, hiddenCharacterProblem, isValidDisplayName } from "../protocol/index.js";
import type { ChatContext } from "./context.js";
import { nameSkeleton } from "./name-skeleton.js";

/**
 * Check a display name (already trimmed) that `selfId` (absent at registration) wants to take:
 * 1–64 characters with nothing invisible, controlling or direction-changing in it
 * (`invalid_request` naming the field and the code point), and not a look-alike of a staff
 * member's name (`display_name_reserved`, see `refuseStaffLookAlike`).
 */
export async function checkDisplayName(ctx: ChatContext, displayName: string, selfId?: string): Promise<void> {
  if (!isValidDisplayName(displayName)) {
    const problem = hiddenCharacterProblem(displayName) ?? "must be 1–64 characters.";
    throw new HaetaeError("invalid_request", `displayName: ${problem}`);
  }
  await refuseStaffLookAlike(ctx, displayName, selfId);
}

/**
 * Refuse a display name whose confusable skeleton equals a staff or admin user's display name
 * or username, other than `selfId`'s own: "Haetae Staff" spelled with Cyrillic letters, or in
 * other capitals, cannot pose as the real one. Staff are a handful of users, read at each check,
 * so a role given a minute ago counts at once.
 */
async function refuseStaffLookAlike(ctx: ChatContext, displayName: string, selfId?: string): Promise<void> {
  const skeleton = nameSkeleton(displayName);
  for (const staff of await ctx.store.listStaff()) {
    if (staff.id === selfId) continue;
    if (nameSkeleton(staff.displayName) === skeleton || nameSkeleton(staff.username) === skeleton) {
      throw new HaetaeError("display_name_reserved", "displayName: looks like a staff member's name; choose another.");
    }
  }
}
