/** @module Scheduled maintenance: planning and cancelling windows, and posting their "in progress" and "completed" updates as the clock reaches them. */
import { randomUUID } from "node:crypto";
import { HaetaeError } from "../../protocol/errors.js";
import { byCodeUnits } from "../text-order.js";
import type { Maintenance, MaintenancePhrase, MaintenanceStatus, MaintenanceUpdate } from "./model.js";
import { maintenancePhraseWords } from "./public-words.js";
// Only the type: tower-core imports this file for `publicMaintenances`.
import type { TowerCore } from "./tower-core.js";

/** When a window really ends: its planned end, or the moment it was cancelled if that came first. */
export function effectiveEnd(m: Maintenance): string {
  return m.cancelledAt !== undefined && m.cancelledAt < m.endsAt ? m.cancelledAt : m.endsAt;
}

/** A window cancelled before it began: withdrawn, as if it never was planned (Statuspage deletes those). */
export function withdrawn(m: Maintenance): boolean {
  return m.cancelledAt !== undefined && m.cancelledAt <= m.startsAt;
}

/** Post staff's words as written. */
function post(core: TowerCore, m: Maintenance, status: MaintenanceStatus, body: string): void {
  const update: MaintenanceUpdate = { id: randomUUID(), status, body, createdAt: core.nowIso() };
  m.updates = [...(m.updates ?? []), update];
}

/**
 * Post one of the tower's own updates: its English words are the body (what the JSON and staff
 * read), and the phrase lets the page and the feed word it in each reader's language.
 */
function postPhrase(core: TowerCore, m: Maintenance, status: MaintenanceStatus, phrase: MaintenancePhrase): void {
  const body = maintenancePhraseWords(phrase, "en");
  const update: MaintenanceUpdate = { id: randomUUID(), status, body, createdAt: core.nowIso(), phrase };
  m.updates = [...(m.updates ?? []), update];
}

function posted(m: Maintenance, status: MaintenanceStatus): boolean {
  return (m.updates ?? []).some((u) => u.status === status);
}

function announce(core: TowerCore, m: Maintenance, kind: "maintenance.scheduled" | "maintenance.updated"): void {
  core.store.saveMaintenance(m);
  core.touch();
  core.emit({ kind, maintenance: structuredClone(m) });
  for (const change of core.recomputeComponents()) core.emit(change);
}

/** Plan a window; its first public update (`scheduled`) carries the staff's words. Times are stored in UTC, so they compare as text. */
export function scheduleMaintenance(
  core: TowerCore,
  input: { title: string; body?: string; components: string[]; startsAt: string; endsAt: string },
  by: string,
): Maintenance {
  const components = core.checkComponents(input.components);
  const startsAt = new Date(input.startsAt).toISOString();
  const endsAt = new Date(input.endsAt).toISOString();
  if (endsAt <= startsAt) throw new HaetaeError("invalid_request", "endsAt must be after startsAt.");
  const maintenance: Maintenance = {
    id: randomUUID(),
    title: input.title,
    body: input.body ?? "",
    components,
    startsAt,
    endsAt,
    createdBy: by,
  };
  if (maintenance.body) post(core, maintenance, "scheduled", maintenance.body);
  else postPhrase(core, maintenance, "scheduled", "scheduled");
  core.maintenances.set(maintenance.id, maintenance);
  announce(core, maintenance, "maintenance.scheduled");
  return structuredClone(maintenance);
}

/** Cancel a window before it starts (it is withdrawn), or end a running one now (it completes). */
export function cancelMaintenance(core: TowerCore, id: string): Maintenance {
  const maintenance = core.maintenances.get(id);
  if (!maintenance) throw new HaetaeError("maintenance_not_found");
  if (maintenance.cancelledAt === undefined) {
    maintenance.cancelledAt = core.nowIso();
    if (!withdrawn(maintenance) && maintenance.cancelledAt < maintenance.endsAt) {
      if (!posted(maintenance, "in_progress")) postPhrase(core, maintenance, "in_progress", "in_progress");
      if (!posted(maintenance, "completed")) postPhrase(core, maintenance, "completed", "ended_early");
    }
  }
  announce(core, maintenance, "maintenance.updated");
  return structuredClone(maintenance);
}

/**
 * On each tower tick: post `in_progress` for every window that has begun and `completed` for
 * every one that has ended, once each. A window the tower slept through (the node was down) gets
 * both, stamped when they are posted: the updates say when the public was told.
 */
export function advanceMaintenances(core: TowerCore): void {
  const now = core.nowIso();
  for (const m of core.maintenances.values()) {
    if (withdrawn(m) || m.startsAt > now) continue;
    let changed = false;
    if (!posted(m, "in_progress")) {
      postPhrase(core, m, "in_progress", "in_progress");
      changed = true;
    }
    if (effectiveEnd(m) <= now && !posted(m, "completed")) {
      postPhrase(core, m, "completed", "completed");
      changed = true;
    }
    if (changed) announce(core, m, "maintenance.updated");
  }
}

/** The windows the public sees: not withdrawn, not over, or over within `sinceIso`; the 50 latest, soonest first. */
export function publicMaintenances(maintenances: Iterable<Maintenance>, sinceIso: string): Maintenance[] {
  return [...maintenances]
    .filter((m) => !withdrawn(m) && effectiveEnd(m) >= sinceIso)
    .sort((a, b) => byCodeUnits(b.startsAt, a.startsAt))
    .slice(0, 50)
    .reverse()
    .map((m) => structuredClone(m));
}
