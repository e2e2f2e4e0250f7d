/** @module The public JSON of the status page, shaped like Atlassian Statuspage's public API v2: summary, status, components, incidents, unresolved incidents and scheduled maintenances (all, upcoming, active). */

import { byCodeUnits } from "../text-order.js";
import type { Component, Incident, Maintenance, MaintenanceStatus, StatusSnapshot } from "../tower/model.js";
import { componentName } from "../tower/public-words.js";

/** Statuspage's `page` object. */
export interface PageJson {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  updated_at: string;
}

export interface ComponentJson {
  id: string;
  name: string;
  status: Component["status"];
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
}

export interface IncidentUpdateJson {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: null;
}

export interface IncidentJson {
  id: string;
  name: string;
  status: string;
  impact: string;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  started_at: string;
  shortlink: string;
  page_id: string;
  incident_updates: IncidentUpdateJson[];
  components: ComponentJson[];
}

export interface MaintenanceJson extends Omit<IncidentJson, "status"> {
  status: MaintenanceStatus;
  scheduled_for: string;
  scheduled_until: string;
}

/** The page id: claimed once in the shared store, so it is the same on every node and after restarts. */
export function pageId(snapshot: StatusSnapshot): string {
  return snapshot.page.id;
}

/** The link of one incident's page. */
export function incidentUrl(snapshot: StatusSnapshot, incidentId: string): string {
  return `${snapshot.page.url.replace(/\/+$/, "")}/status/incidents/${encodeURIComponent(incidentId)}`;
}

function pageJson(snapshot: StatusSnapshot): PageJson {
  return {
    id: pageId(snapshot),
    name: snapshot.page.name,
    url: snapshot.page.url,
    time_zone: "Etc/UTC",
    updated_at: snapshot.page.updatedAt,
  };
}

/**
 * Statuspage's component object, named in English as the JSON is; `created_at` was stored when
 * the component was first seen, and never moves.
 */
export function componentJson(snapshot: StatusSnapshot, component: Component, position: number): ComponentJson {
  return {
    id: component.id,
    name: componentName(component, "en"),
    status: component.status,
    created_at: component.createdAt,
    updated_at: component.updatedAt,
    position,
    description: component.description || null,
    showcase: true,
    start_date: null,
    group_id: null,
    page_id: pageId(snapshot),
    group: false,
    only_show_if_degraded: false,
  };
}

/** The last time anything about the incident changed. */
function lastChange(incident: Incident): string {
  const times = [
    incident.createdAt,
    incident.monitoringAt,
    incident.resolvedAt,
    ...incident.updates.map((u) => u.createdAt),
  ];
  return times
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1) as string;
}

/** Statuspage's incident object, with its updates newest first as Statuspage lists them. */
export function incidentJson(snapshot: StatusSnapshot, incident: Incident): IncidentJson {
  const components = snapshot.components
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => incident.components.some((ic) => ic.id === c.id))
    .map(({ c, i }) => componentJson(snapshot, c, i + 1));
  return {
    id: incident.id,
    name: incident.title,
    status: incident.status,
    impact: incident.impact,
    created_at: incident.createdAt,
    updated_at: lastChange(incident),
    monitoring_at: incident.monitoringAt ?? null,
    resolved_at: incident.resolvedAt ?? null,
    started_at: incident.createdAt,
    shortlink: incidentUrl(snapshot, incident.id),
    page_id: pageId(snapshot),
    incident_updates: [...incident.updates].reverse().map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: incident.id,
      created_at: u.createdAt,
      updated_at: u.createdAt,
      display_at: u.createdAt,
      affected_components: null,
    })),
    components,
  };
}

/**
 * Statuspage's maintenance status: the latest update the tower posted (`scheduled`, then
 * `in_progress` when the window began, `completed` when it ended), so the status and the updates
 * never disagree; a window stored before updates were posted falls back to the clock.
 */
export function maintenanceStatus(maintenance: Maintenance, now: Date): MaintenanceStatus {
  const latest = maintenance.updates?.at(-1);
  if (latest) return latest.status;
  const at = now.toISOString();
  if (at < maintenance.startsAt) return "scheduled";
  const end = maintenance.cancelledAt ?? maintenance.endsAt;
  return at < end && at < maintenance.endsAt ? "in_progress" : "completed";
}

/** Statuspage's scheduled maintenance: an incident with `scheduled_for` and `scheduled_until`, its updates newest first. */
export function maintenanceJson(snapshot: StatusSnapshot, maintenance: Maintenance, now: Date): MaintenanceJson {
  const status = maintenanceStatus(maintenance, now);
  const updates = maintenance.updates?.length
    ? maintenance.updates
    : [
        {
          id: `${maintenance.id}-scheduled`,
          status: "scheduled",
          body: maintenance.body,
          createdAt: maintenance.startsAt,
        },
      ];
  const completed = updates.find((u) => u.status === "completed")?.createdAt;
  return {
    id: maintenance.id,
    name: maintenance.title,
    status,
    impact: "maintenance",
    created_at: updates[0]?.createdAt ?? maintenance.startsAt,
    updated_at: updates.at(-1)?.createdAt ?? maintenance.startsAt,
    monitoring_at: null,
    resolved_at: status === "completed" ? (completed ?? maintenance.cancelledAt ?? maintenance.endsAt) : null,
    started_at: maintenance.startsAt,
    shortlink: `${snapshot.page.url.replace(/\/+$/, "")}/status#maintenance-${encodeURIComponent(maintenance.id)}`,
    page_id: pageId(snapshot),
    scheduled_for: maintenance.startsAt,
    scheduled_until: maintenance.endsAt,
    incident_updates: [...updates].reverse().map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: maintenance.id,
      created_at: u.createdAt,
      updated_at: u.createdAt,
      display_at: u.createdAt,
      affected_components: null,
    })),
    components: snapshot.components
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => maintenance.components.includes(c.id))
      .map(({ c, i }) => componentJson(snapshot, c, i + 1)),
  };
}

/** `GET /api/v2/status.json`: the page and its overall indicator. */
export function statusJson(snapshot: StatusSnapshot) {
  return {
    page: pageJson(snapshot),
    status: { indicator: snapshot.indicator, description: snapshot.description },
  };
}

function componentsOf(snapshot: StatusSnapshot): ComponentJson[] {
  return snapshot.components.map((c, i) => componentJson(snapshot, c, i + 1));
}

function maintenancesWhere(
  snapshot: StatusSnapshot,
  now: Date,
  keep: (status: MaintenanceStatus) => boolean,
): MaintenanceJson[] {
  return snapshot.maintenances.map((m) => maintenanceJson(snapshot, m, now)).filter((m) => keep(m.status));
}

/**
 * `GET /api/v2/summary.json`: the page, the indicator, every component, the unresolved incidents
 * only, and the maintenances that are upcoming or in progress.
 */
export function summaryJson(snapshot: StatusSnapshot, now: Date) {
  return {
    ...statusJson(snapshot),
    components: componentsOf(snapshot),
    incidents: snapshot.incidents.map((i) => incidentJson(snapshot, i)),
    scheduled_maintenances: maintenancesWhere(snapshot, now, (s) => s !== "completed"),
  };
}

/** How many incidents and maintenances the lists hold, as Statuspage's do. */
const LIST_LIMIT = 50;

/**
 * Every Statuspage v2 document but the summary and status, by the name the status page keeps it
 * under. Lists are newest first (by `created_at`, maintenances by `scheduled_for`), except the
 * upcoming and active windows, soonest first.
 */
export const STATUSPAGE_LISTS = {
  components: (snapshot: StatusSnapshot) => ({ page: pageJson(snapshot), components: componentsOf(snapshot) }),
  /** The 50 latest incidents, resolved ones included (those of the page's history window). */
  incidents: (snapshot: StatusSnapshot) => ({
    page: pageJson(snapshot),
    incidents: [...snapshot.incidents, ...snapshot.history]
      .sort((a, b) => byCodeUnits(b.createdAt, a.createdAt))
      .slice(0, LIST_LIMIT)
      .map((i) => incidentJson(snapshot, i)),
  }),
  /** Investigating, identified or monitoring. */
  unresolved: (snapshot: StatusSnapshot) => ({
    page: pageJson(snapshot),
    incidents: snapshot.incidents.map((i) => incidentJson(snapshot, i)),
  }),
  maintenances: (snapshot: StatusSnapshot, now: Date) => ({
    page: pageJson(snapshot),
    scheduled_maintenances: maintenancesWhere(snapshot, now, () => true)
      .reverse()
      .slice(0, LIST_LIMIT),
  }),
  /** Still `scheduled`. */
  upcoming: (snapshot: StatusSnapshot, now: Date) => ({
    page: pageJson(snapshot),
    scheduled_maintenances: maintenancesWhere(snapshot, now, (s) => s === "scheduled"),
  }),
  /** `in_progress` or `verifying`. */
  active: (snapshot: StatusSnapshot, now: Date) => ({
    page: pageJson(snapshot),
    scheduled_maintenances: maintenancesWhere(snapshot, now, (s) => s === "in_progress" || s === "verifying"),
  }),
} satisfies Record<string, (snapshot: StatusSnapshot, now: Date) => object>;

export type StatuspageList = keyof typeof STATUSPAGE_LISTS;
