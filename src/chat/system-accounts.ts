/** @module System accounts (the status account, the probes' canaries): made marked by the server, never added to anything by anyone. */
import { HaetaeError } from "../protocol/index.js";
import { StoreConflictError, type SystemKind, type UserRecord } from "../store/store.js";
import { type ChatContext, newId } from "./context.js";

/**
 * Refuse `userIds` as members of a conversation `actorId` is making or adding to, when one of
 * them is a system account. The answer is the one a user who does not exist gets (same code,
 * same message), so probing ids cannot tell a system account from nobody. One exception keeps
 * the probes on the public path: a canary opens the direct conversation with another canary.
 */
export async function refuseSystemAccounts(
  ctx: ChatContext,
  actorId: string,
  userIds: readonly string[],
  kind: "direct" | "group",
): Promise<void> {
  if (userIds.length === 0) return;
  const system = await ctx.store.systemAccounts([actorId, ...userIds]);
  if (system.size === 0) return;
  const canaryPair = kind === "direct" && system.get(actorId) === "canary";
  const refused = userIds.find((id) => system.has(id) && !(canaryPair && system.get(id) === "canary"));
  if (refused !== undefined) throw new HaetaeError("user_not_found", `There is no user ${refused}.`);
}

/** What the server needs to make (or recognize) one of its accounts. */
export interface SystemAccountSpec {
  username: string;
  displayName: string;
  kind: SystemKind;
  /** The hash stored for a new account (asked only when one is made: hashing may be slow on purpose). */
  passwordHash(): string | Promise<string>;
  /**
   * For an account of this name that exists but is not marked (made before accounts were
   * marked): true when it is provably the server's own (its known password), so it is marked
   * and used; false when a person holds the name, which is then refused.
   */
  isOwn(record: UserRecord): boolean | Promise<boolean>;
}

/** The id of the server's account `spec`, made marked when missing; throws when a person holds the name. */
export async function ensureSystemAccount(ctx: ChatContext, spec: SystemAccountSpec): Promise<string> {
  let record = await ctx.store.getUserByUsername(spec.username);
  if (!record) {
    const user: UserRecord = {
      id: newId(),
      username: spec.username,
      displayName: spec.displayName,
      createdAt: ctx.now().toISOString(),
      passwordHash: await spec.passwordHash(),
    };
    try {
      return (await ctx.store.createUser(user, spec.kind)).id;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      record = await ctx.store.getUserByUsername(spec.username); // another node made it at the same moment
      if (!record) throw error;
    }
  }
  const marked = (await ctx.store.systemAccounts([record.id])).get(record.id);
  if (marked === spec.kind) return record.id;
  if (marked === undefined && (await spec.isOwn(record))) {
    await ctx.store.markSystemAccount(record.id, spec.kind);
    return record.id;
  }
  throw new Error(`the username ${spec.username} belongs to an account the server did not make; it is not used`);
}
