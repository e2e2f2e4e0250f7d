/** @module SQL of group invitations (the consent of a non-contact to join) and of reports of groups. */

import { HaetaeError } from "../../protocol/errors.js";
import type { ConversationReport, Invitation } from "../../protocol/index.js";
import type { InviteInput, Written } from "../store.js";
import { appendEvent, userChannel } from "./feed-queries.js";
import type { SqlExecutor } from "./sql-driver.js";

interface InvitationRow {
  id: string;
  conversation_id: string;
  title: string | null;
  inviter_id: string;
  invitee_id: string;
  status: Invitation["status"];
  created_at: string;
  expires_at: string;
}

const SELECT = `SELECT i.*, c.title FROM invitations i JOIN conversations c ON c.id = i.conversation_id`;

function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    ...(row.title !== null ? { title: row.title } : {}),
    inviterId: row.inviter_id,
    inviteeId: row.invitee_id,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

async function invitationById(db: SqlExecutor, id: string): Promise<Invitation | null> {
  const row = await db.get<InvitationRow>(`${SELECT} WHERE i.id = ?`, [id]);
  return row ? toInvitation(row) : null;
}

/**
 * Write invitations inside a group change. The inviter's hourly cap is counted here, in the
 * write, so a burst of parallel requests cannot slip past it together.
 */
export async function insertInvitations(
  db: SqlExecutor,
  invite: InviteInput,
  at: string,
): Promise<Written<Invitation>[]> {
  const written: Written<Invitation>[] = [];
  const fresh: Invitation[] = [];
  for (const invitation of invite.invitations) {
    const row = await db.get<InvitationRow>(
      `${SELECT} WHERE i.conversation_id = ? AND i.invitee_id = ? AND i.status = 'pending' AND i.expires_at > ?`,
      [invitation.conversationId, invitation.inviteeId, at],
    );
    if (row) written.push({ value: toInvitation(row), event: null, audience: [] });
    else fresh.push(invitation);
  }
  if (fresh.length === 0) return written;
  const inviterId = fresh[0]?.inviterId ?? "";
  const since = new Date(Date.parse(at) - invite.windowMs).toISOString();
  const window = await db.get<{ n: number; oldest: string | null }>(
    "SELECT CAST(count(*) AS INTEGER) AS n, min(created_at) AS oldest FROM invitations WHERE inviter_id = ? AND created_at > ?",
    [inviterId, since],
  );
  const used = Number(window?.n ?? 0);
  if (used + fresh.length > invite.perWindow) {
    const oldest = window?.oldest ? Date.parse(window.oldest) : Date.parse(at);
    const retryAfterMs = Math.max(1000, oldest + invite.windowMs - Date.parse(at));
    throw new HaetaeError(
      "rate_limited",
      `At most ${invite.perWindow} invitations an hour; ${used} sent, ${fresh.length} more asked.`,
      retryAfterMs,
    );
  }
  for (const invitation of fresh) {
    await db.run(
      `INSERT INTO invitations (id, conversation_id, inviter_id, invitee_id, status, created_at, expires_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
      [
        invitation.id,
        invitation.conversationId,
        invitation.inviterId,
        invitation.inviteeId,
        invitation.createdAt,
        invitation.expiresAt,
      ],
    );
    const value = (await invitationById(db, invitation.id)) ?? invitation;
    written.push(await announce(db, "invitation.new", value, at));
  }
  return written;
}

/** Append the invitation's event to its invitee's channel: they alone hear it, live and in `sync`. */
async function announce(
  db: SqlExecutor,
  type: "invitation.new" | "invitation.updated",
  invitation: Invitation,
  at: string,
): Promise<Written<Invitation>> {
  const stored = await appendEvent(db, { type, conversationId: invitation.conversationId, invitation }, at, {
    channel: userChannel(invitation.inviteeId),
  });
  return { value: invitation, event: stored, audience: [invitation.inviteeId] };
}

/** The invitation as the invitee may answer it, or the reason they may not. */
export async function invitationToAnswer(
  db: SqlExecutor,
  invitationId: string,
  inviteeId: string,
  accept: boolean,
  at: string,
): Promise<{ invitation: Invitation; answered: boolean }> {
  const invitation = await invitationById(db, invitationId);
  // Someone else's invitation is answered as one that does not exist: ids do not leak.
  if (!invitation || invitation.inviteeId !== inviteeId) throw new HaetaeError("invitation_not_found");
  if (invitation.status !== "pending") {
    if (invitation.status === (accept ? "accepted" : "declined")) return { invitation, answered: true };
    throw new HaetaeError("invitation_not_found", `The invitation was already ${invitation.status}.`);
  }
  if (invitation.expiresAt <= at) throw new HaetaeError("invitation_expired");
  return { invitation, answered: false };
}

/** Record the answer and announce it to the invitee's other devices. */
export async function recordAnswer(
  db: SqlExecutor,
  invitation: Invitation,
  accept: boolean,
  at: string,
): Promise<Written<Invitation>> {
  const status = accept ? "accepted" : "declined";
  await db.run("UPDATE invitations SET status = ?, answered_at = ? WHERE id = ?", [status, at, invitation.id]);
  return announce(db, "invitation.updated", { ...invitation, status }, at);
}

export async function pendingInvitationsOf(
  db: SqlExecutor,
  inviteeId: string,
  now: string,
  limit: number,
): Promise<Invitation[]> {
  const rows = await db.all<InvitationRow>(
    `${SELECT} WHERE i.invitee_id = ? AND i.status = 'pending' AND i.expires_at > ?
       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.user_id = i.invitee_id AND b.blocked_id = i.inviter_id)
                                             OR (b.user_id = i.inviter_id AND b.blocked_id = i.invitee_id))
     ORDER BY i.created_at DESC, i.id LIMIT ?`,
    [inviteeId, now, limit],
  );
  return rows.map(toInvitation);
}

export async function knowsConversation(db: SqlExecutor, userId: string, conversationId: string): Promise<boolean> {
  const row = await db.get(
    `SELECT 1 AS x FROM membership_spans WHERE user_id = ? AND conversation_id = ?
     UNION ALL SELECT 1 AS x FROM invitations WHERE invitee_id = ? AND conversation_id = ?`,
    [userId, conversationId, userId, conversationId],
  );
  return row !== undefined;
}

interface ReportRow {
  id: string;
  conversation_id: string;
  reporter_id: string;
  reason: string | null;
  created_at: string;
}

function toReport(row: ReportRow): ConversationReport {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    reporterId: row.reporter_id,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    createdAt: row.created_at,
  };
}

export async function insertReport(db: SqlExecutor, report: ConversationReport): Promise<ConversationReport> {
  await db.run(
    `INSERT INTO conversation_reports (id, conversation_id, reporter_id, reason, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (conversation_id, reporter_id) DO NOTHING`,
    [report.id, report.conversationId, report.reporterId, report.reason ?? null, report.createdAt],
  );
  const row = await db.get<ReportRow>(
    "SELECT * FROM conversation_reports WHERE conversation_id = ? AND reporter_id = ?",
    [report.conversationId, report.reporterId],
  );
  return row ? toReport(row) : report;
}

export async function newestReports(db: SqlExecutor, limit: number): Promise<ConversationReport[]> {
  const rows = await db.all<ReportRow>("SELECT * FROM conversation_reports ORDER BY created_at DESC, id LIMIT ?", [
    limit,
  ]);
  return rows.map(toReport);
}
