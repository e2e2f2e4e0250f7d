/** @module Incident logs: edits, follow-ups, the closing rule, overdue follow-ups, full-text search and similar past incidents. */
import { HaetaeError } from "../../protocol/errors.js";
import type { LogSearchHit, OverdueFollowUp, SimilarIncident } from "../../protocol/index.js";
import { byCodeUnits } from "../text-order.js";
import { likeness, snippet, tokens } from "./incident-text.js";
import type { FollowUp, Incident, IncidentLog } from "./model.js";
import { newOpsId, type TowerCore } from "./tower-core.js";

/** What the overdue list, the similar-incident list and the search answer: the protocol's shapes. */
export type { LogSearchHit, OverdueFollowUp, SimilarIncident };

/** The free-text fields of a log that staff write. */
export const LOG_FIELDS = [
  "summary",
  "cause",
  "trigger",
  "fix",
  "detection",
  "wentWell",
  "wentBadly",
  "gotLucky",
  "publicSummary",
] as const;
export type LogField = (typeof LOG_FIELDS)[number];
export type LogPatch = Partial<Record<LogField, string>>;

/** What a SEV1–SEV2 log still lacks before its review can close (empty: nothing). */
export function missingForClose(incident: Incident, log: IncidentLog = incident.log): string[] {
  if (incident.severity !== "SEV1" && incident.severity !== "SEV2") return [];
  const missing: string[] = [];
  if (log.cause.trim() === "") missing.push("cause");
  if (log.fix.trim() === "") missing.push("fix");
  if (log.followUps.length === 0) missing.push("a follow-up");
  return missing;
}

function incomplete(incident: Incident, missing: string[]): HaetaeError {
  return new HaetaeError(
    "incident_log_incomplete",
    `A ${incident.severity} incident's log needs ${missing.join(", ")} before it can be closed.`,
  );
}

/** Edit log fields; a closed SEV1–SEV2 log cannot lose what closing required. */
export function editLog(core: TowerCore, incident: Incident, patch: LogPatch, by: string): void {
  const changed = LOG_FIELDS.filter((f) => patch[f] !== undefined && patch[f] !== incident.log[f]);
  if (changed.length === 0) return;
  const next: IncidentLog = { ...incident.log };
  for (const f of changed) next[f] = patch[f] as string;
  if (incident.closedAt) {
    const missing = missingForClose(incident, next);
    if (missing.length > 0) throw incomplete(incident, missing);
  }
  incident.log = next;
  core.note(incident, "log", by, `Edited the log: ${changed.join(", ")}`, { fields: changed });
  // Only the published summary is public; other log text is for staff and changes nothing outside.
  const isPublic = changed.includes("publicSummary");
  core.commit(incident, isPublic ? "incident.updated" : null, "Postmortem summary published");
}

/** Add a follow-up action to an incident's log. */
export function addFollowUp(
  core: TowerCore,
  incident: Incident,
  input: { title: string; owner: string; dueDate: string },
  by: string,
): FollowUp {
  const followUp: FollowUp = { id: newOpsId(), ...input, status: "open" };
  incident.log.followUps.push(followUp);
  core.note(incident, "follow_up", by, `Follow-up added: ${input.title} (${input.owner}, due ${input.dueDate})`, {
    followUpId: followUp.id,
  });
  core.commit(incident, null, "");
  return followUp;
}

/** Change a follow-up: title, owner, due date, or open/done. */
export function updateFollowUp(
  core: TowerCore,
  incident: Incident,
  followUpId: string,
  patch: Partial<Pick<FollowUp, "title" | "owner" | "dueDate" | "status">>,
  by: string,
): FollowUp {
  const followUp = incident.log.followUps.find((f) => f.id === followUpId);
  if (!followUp) throw new HaetaeError("follow_up_not_found");
  const changes: string[] = [];
  for (const key of ["title", "owner", "dueDate", "status"] as const) {
    const value = patch[key];
    if (value === undefined || value === followUp[key]) continue;
    changes.push(`${key} → ${value}`);
    (followUp as unknown as Record<string, string>)[key] = value;
  }
  if (changes.length === 0) return followUp;
  if (patch.status === "done") followUp.doneAt = core.nowIso();
  if (patch.status === "open") delete followUp.doneAt;
  core.note(incident, "follow_up", by, `Follow-up "${followUp.title}": ${changes.join(", ")}`, {
    followUpId: followUp.id,
  });
  core.commit(incident, null, "");
  return followUp;
}

/**
 * Close the review of a resolved incident. Resolving says the service is back (the status page
 * must say so at once, even at night); closing says the log is done, and for SEV1–SEV2 that
 * needs a cause, a fix and at least one follow-up.
 */
export function closeIncident(core: TowerCore, incident: Incident, by: string): void {
  if (incident.status !== "resolved") throw new HaetaeError("incident_not_resolved");
  if (incident.closedAt) return;
  const missing = missingForClose(incident);
  if (missing.length > 0) throw incomplete(incident, missing);
  incident.closedAt = core.nowIso();
  incident.closedBy = by;
  core.note(incident, "log", by, "Closed the review");
  core.commit(incident, null, "");
}

/** Every open follow-up whose due date (YYYY-MM-DD) is before `today`, oldest due first. */
export function overdueFollowUps(core: TowerCore, today: string): OverdueFollowUp[] {
  const out: OverdueFollowUp[] = [];
  for (const incident of core.incidents.values()) {
    for (const followUp of incident.log.followUps) {
      if (followUp.status === "open" && followUp.dueDate < today) {
        out.push({ incidentId: incident.id, incidentTitle: incident.title, severity: incident.severity, followUp });
      }
    }
  }
  return out.sort((a, b) => byCodeUnits(a.followUp.dueDate, b.followUp.dueDate));
}

function alertNames(core: TowerCore, incident: Incident): Set<string> {
  return new Set(incident.alertIds.map((id) => core.alerts.get(id)?.name).filter((n): n is string => Boolean(n)));
}

function describeText(incident: Incident): string {
  const l = incident.log;
  return [incident.title, l.summary, l.cause, l.trigger, l.fix].join(" ");
}

/**
 * Past incidents that look like this one: a shared component (1 point each), a shared alert
 * name (3 points each: the same alarm is the strongest hint), and likeness of their words
 * (up to 4 points). Only incidents opened before this one; the best `limit`, at least 1 point.
 */
export function similarIncidents(core: TowerCore, incident: Incident, limit = 5): SimilarIncident[] {
  const components = new Set(incident.components.map((c) => c.id));
  const names = alertNames(core, incident);
  const words = tokens(describeText(incident));
  const out: SimilarIncident[] = [];
  for (const past of core.incidents.values()) {
    if (past.id === incident.id || past.createdAt > incident.createdAt) continue;
    const reasons: string[] = [];
    const sharedComponents = past.components.filter((c) => components.has(c.id)).map((c) => c.id);
    const sharedAlerts = [...alertNames(core, past)].filter((n) => names.has(n));
    const text = likeness(words, tokens(describeText(past)));
    if (sharedComponents.length > 0) reasons.push(`component ${sharedComponents.join(", ")}`);
    if (sharedAlerts.length > 0) reasons.push(`alert ${sharedAlerts.join(", ")}`);
    if (text >= 0.1) reasons.push(`text ${(text * 100).toFixed(0)}% alike`);
    const score = sharedComponents.length + 3 * sharedAlerts.length + 4 * text;
    if (score < 1) continue;
    out.push({
      incident: {
        id: past.id,
        title: past.title,
        severity: past.severity,
        status: past.status,
        createdAt: past.createdAt,
        resolvedAt: past.resolvedAt,
        components: past.components,
      },
      score: Math.round(score * 100) / 100,
      reasons,
      cause: past.log.cause,
      fix: past.log.fix,
      followUps: past.log.followUps,
    });
  }
  return out.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** Full-text search over every incident's log, title, updates and follow-ups (Korean and English). */
export function searchLogs(core: TowerCore, query: string, limit: number): LogSearchHit[] {
  const hits: LogSearchHit[] = [];
  for (const hit of core.store.search(query, limit)) {
    const incident = core.incidents.get(hit.incidentId);
    if (!incident) continue;
    const { id, title, severity, status, createdAt, resolvedAt } = incident;
    hits.push({ incident: { id, title, severity, status, createdAt, resolvedAt }, snippet: snippet(hit.body, query) });
  }
  return hits;
}
