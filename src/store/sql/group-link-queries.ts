/** @module SQL of group invite links: an admin makes, lists and revokes them; anyone signed in joins with one. */

import { HaetaeError } from "../../protocol/errors.js";
import type { Conversation, GroupLink } from "../../protocol/index.js";
import type { Written } from "../store.js";
import { blockedEitherWay } from "./account-queries.js";
import { activeMember, conversationById, joinMembers } from "./conversation-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

interface GroupLinkRow {
  id: string;
  token: string;
  conversation_id: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  revoked_at: string | null;
}

function toGroupLink(row: GroupLinkRow): GroupLink {
  return {
    id: row.id,
    token: row.token,
    conversationId: row.conversation_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses === null ? null : Number(row.max_uses),
    uses: Number(row.uses),
    revokedAt: row.revoked_at,
  };
}

/** The group's owner and admins may manage its links; anyone else (a member, a stranger) may not. */
async function refuseNonAdmin(db: SqlExecutor, conversationId: string, userId: string): Promise<void> {
  const member = await activeMember(db, conversationId, userId);
  if (!member) throw new HaetaeError("forbidden", "You are not a member of this conversation.");
  if (member.role !== "owner" && member.role !== "admin") {
    throw new HaetaeError("forbidden", "Only the group's owner and admins manage its invite links.");
  }
}

/**
 * Keep a new link, as an owner or admin of its group (checked here, inside the write: a role
 * may have changed since the access check), unless the group has `perGroup` live ones already.
 */
export async function insertGroupLink(
  db: SqlExecutor,
  link: GroupLink,
  perGroup: number,
  at: string,
): Promise<GroupLink> {
  await refuseNonAdmin(db, link.conversationId, link.createdBy);
  const live = await db.get<{ n: number }>(
    `SELECT CAST(count(*) AS INTEGER) AS n FROM group_links
     WHERE conversation_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
    [link.conversationId, at],
  );
  if (Number(live?.n ?? 0) >= perGroup) {
    throw new HaetaeError("group_link_limit_exceeded", `A group has at most ${perGroup} live invite links.`);
  }
  await db.run(
    `INSERT INTO group_links (id, token, conversation_id, created_by, created_at, expires_at, max_uses, uses)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
    [link.id, link.token, link.conversationId, link.createdBy, link.createdAt, link.expiresAt, link.maxUses],
  );
  return link;
}

/** The group's links, newest first, at most `limit`, for its owner and admins. */
export async function groupLinksOf(
  db: SqlExecutor,
  conversationId: string,
  byUserId: string,
  limit: number,
): Promise<GroupLink[]> {
  await refuseNonAdmin(db, conversationId, byUserId);
  const rows = await db.all<GroupLinkRow>(
    "SELECT * FROM group_links WHERE conversation_id = ? ORDER BY created_at DESC, id LIMIT ?",
    [conversationId, limit],
  );
  return rows.map(toGroupLink);
}

/** Revoke a link of the group, as its owner or an admin; revoking again returns it unchanged. */
export async function revokeGroupLink(
  db: SqlExecutor,
  conversationId: string,
  linkId: string,
  byUserId: string,
  at: string,
): Promise<GroupLink> {
  await refuseNonAdmin(db, conversationId, byUserId);
  await db.run(
    "UPDATE group_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND conversation_id = ? AND revoked_at IS NULL",
    [at, byUserId, linkId, conversationId],
  );
  const row = await db.get<GroupLinkRow>("SELECT * FROM group_links WHERE id = ? AND conversation_id = ?", [
    linkId,
    conversationId,
  ]);
  if (!row) throw new HaetaeError("group_link_not_found");
  return toGroupLink(row);
}

/** The link a token names, whatever its state. */
export async function groupLinkByToken(db: SqlExecutor, token: string): Promise<GroupLink | null> {
  const row = await db.get<GroupLinkRow>("SELECT * FROM group_links WHERE token = ?", [token]);
  return row ? toGroupLink(row) : null;
}

/**
 * The link a token names if it may be used now: unknown is `group_link_not_found` (a guess
 * learns nothing else), then `group_link_revoked`, `group_link_expired`, `group_link_used_up`.
 * A link whose maker is no longer an owner or admin of the group counts as revoked: it spoke for
 * the group only while they did.
 */
export async function usableGroupLink(db: SqlExecutor, token: string, at: string): Promise<GroupLink> {
  const link = await groupLinkByToken(db, token);
  if (!link) throw new HaetaeError("group_link_not_found");
  if (link.revokedAt !== null) throw new HaetaeError("group_link_revoked");
  const maker = await activeMember(db, link.conversationId, link.createdBy);
  if (!maker || (maker.role !== "owner" && maker.role !== "admin")) {
    throw new HaetaeError("group_link_revoked", "The admin who made this link no longer manages the group.");
  }
  if (link.expiresAt !== null && link.expiresAt <= at) throw new HaetaeError("group_link_expired");
  if (link.maxUses !== null && link.uses >= link.maxUses) throw new HaetaeError("group_link_used_up");
  return link;
}

/**
 * Join the group a usable link names: a block either way between the joiner and the link's maker
 * is `blocked` (as accepting an invitation); the member limit is checked by `joinMembers`, inside
 * this write. One already a member gets the group back and the link is not used up by it.
 */
export async function joinByGroupLink(
  db: SqlExecutor,
  token: string,
  userId: string,
  at: string,
  maxMembers: number,
): Promise<{ link: GroupLink; conversation: Written<Conversation> }> {
  const link = await usableGroupLink(db, token, at);
  if (await blockedEitherWay(db, link.createdBy, userId)) {
    throw new HaetaeError("blocked", "A block stands between you and the admin who made this link.");
  }
  const group = await conversationById(db, link.conversationId);
  if (!group) throw new HaetaeError("group_link_not_found");
  if (group.memberIds.includes(userId)) return { link, conversation: { value: group, event: null, audience: [] } };
  // The joiner comes in by their own act: the change, and its `joined` line, are theirs.
  const conversation = await joinMembers(db, group.id, [userId], userId, at, maxMembers);
  await db.run("UPDATE group_links SET uses = uses + 1 WHERE id = ?", [link.id]);
  return { link: { ...link, uses: link.uses + 1 }, conversation };
}
