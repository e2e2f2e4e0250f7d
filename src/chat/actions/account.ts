/** @module One's own account: the profile (`account.update`) and deleting the account (`account.delete`). */
import type { FileInfo, Message, User } from "../../protocol/index.js";
import { HaetaeError, hiddenCharacterProblem } from "../../protocol/index.js";
import { fileInfo, type ProfileChange } from "../../store/store.js";
import { announceRevoked, hashToCheck, verifyPassword } from "../accounts.js";
import { type ChatContext, publishWritten } from "../context.js";
import { checkDisplayName } from "../display-names.js";
import { removeMember } from "./conversations.js";
import { filesToAttach } from "./files.js";

/**
 * Change my display name (checked as at registration), status line (trimmed; empty or `null`
 * clears it), photo (an image I uploaded; `null` removes it) or whether I hide my presence. My other devices hear
 * `account.updated`; others read the new profile with `user.get`.
 */
export async function updateAccount(
  ctx: ChatContext,
  userId: string,
  input: {
    displayName?: string | undefined;
    statusText?: string | null | undefined;
    avatarFileId?: string | null | undefined;
    hidePresence?: boolean | undefined;
  },
): Promise<User> {
  const change: ProfileChange = {};
  if (input.displayName !== undefined) {
    const name = input.displayName.trim();
    await checkDisplayName(ctx, name, userId);
    change.displayName = name;
  }
  if (input.statusText !== undefined) {
    const status = input.statusText?.trim() ?? "";
    const problem = status ? hiddenCharacterProblem(status) : null;
    if (problem) throw new HaetaeError("invalid_request", `statusText: ${problem}`);
    change.statusText = status || null;
  }
  if (input.avatarFileId !== undefined) {
    if (input.avatarFileId !== null) {
      const [file] = await ctx.store.getFiles([input.avatarFileId]);
      const [info] = await filesToAttach(ctx, userId, [input.avatarFileId]);
      // Only my own upload: a photo someone sent me is not mine to wear.
      if (!file || file.ownerId !== userId)
        throw new HaetaeError("not_found", "avatarFileId: not a file you uploaded.");
      if (!info?.thumbnailUrl) throw new HaetaeError("invalid_request", "avatarFileId: not an image.");
    }
    change.avatarFileId = input.avatarFileId;
  }
  if (input.hidePresence !== undefined) change.hidePresence = input.hidePresence;
  const written = await ctx.store.updateProfile(userId, change, ctx.now().toISOString());
  await publishWritten(ctx, written);
  if (input.hidePresence !== undefined) {
    // Every node masks (or unmasks) what the sessions following this user are shown.
    await ctx.bus
      .publishControl({ kind: "presence.hidden", userId, hidden: input.hidePresence })
      .catch((error: Error) => console.error("presence publish failed:", error.message));
  }
  return written.value;
}

/**
 * Delete my account, confirmed by my password: the account becomes a tombstone (store `deleteAccount`): my messages stay for the others under
 * "deleted account", everything personal goes; then it leaves every group (a line says so) and
 * every session of mine closes.
 */
export async function deleteAccount(ctx: ChatContext, user: User, password: string): Promise<void> {
  const record = await ctx.store.getUserByUsername(user.username);
  const hash = await hashToCheck(ctx, record?.passwordHash);
  const right = await verifyPassword(password, hash);
  if (!record || !right || hash !== record.passwordHash) {
    throw new HaetaeError("invalid_credentials", "The password is wrong.");
  }
  // The tombstone first: whoever hears of the leaving reads the profile as it now is.
  const devices = await ctx.store.deleteAccount(user.id, ctx.now().toISOString());
  for (const summary of await ctx.store.listConversations(user.id)) {
    if (summary.conversation.kind !== "group") continue;
    // The staff conversation follows the role, not its members: the server removes them there.
    await removeMember(ctx, user.id, summary.conversation.id, user.id).catch((error: unknown) => {
      if (!(error instanceof HaetaeError && error.code === "forbidden")) throw error;
    });
  }
  await announceRevoked(ctx, devices);
}

/** The JSON of `GET /api/v1/account/export`. */
export interface AccountExport {
  exportedAt: string;
  user: User;
  messages: Message[];
  /** Every file I uploaded, with its `url` (read with my token). */
  files: (FileInfo & { createdAt: string })[];
}

/** My own data: my profile, every message I wrote, every file I uploaded (their metadata and URLs). */
export async function exportAccount(ctx: ChatContext, user: User): Promise<AccountExport> {
  const { messages, files } = await ctx.store.ownData(user.id);
  return {
    exportedAt: ctx.now().toISOString(),
    user,
    messages,
    files: files.map((file) => ({ ...fileInfo(file), createdAt: file.createdAt })),
  };
}
