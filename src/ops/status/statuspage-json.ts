/** @module The public JSON of the status page, shaped like Atlassian Statuspage's public API v2 (status.json, summary.json). */
import { createHash } from "node:crypto";
import type { Component, Incident, Maintenance, StatusSnapshot } from "../tower/model.js";

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

export interface MaintenanceJson extends IncidentJson {
  scheduled_for: string;
  scheduled_until: string;
}

/** A stable short page id (Statuspage's are 12 characters), derived from the page's URL. */
export function pageId(snapshot: StatusSnapshot): string {
  return createHash("sha256").update(snapshot.page.url).digest("hex").slice(0, 12);
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

/** Statuspage's component object. Components carry no creation time in the model: `updated_at` stands in. */
export function componentJson(snapshot: StatusSnapshot, component: Component, position: number): ComponentJson {
  return {
    id: component.id,
    name: component.name,
    status: component.status,
    created_at: component.updatedAt,
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

/** Statuspage's maintenance status from the window and the clock. */
export function maintenanceStatus(maintenance: Maintenance, now: Date): "scheduled" | "in_progress" | "completed" {
  const at = now.toISOString();
  if (at < maintenance.startsAt) return "scheduled";
  return at < maintenance.endsAt ? "in_progress" : "completed";
}

function maintenanceJson(snapshot: StatusSnapshot, maintenance: Maintenance, now: Date): MaintenanceJson {
  const status = maintenanceStatus(maintenance, now);
  return {
    id: maintenance.id,
    name: maintenance.title,
    status,
    impact: "maintenance",
    created_at: maintenance.startsAt,
    updated_at: maintenance.startsAt,
    monitoring_at: null,
    resolved_at: status === "completed" ? maintenance.endsAt : null,
    started_at: maintenance.startsAt,
    shortlink: `${snapshot.page.url.replace(/\/+$/, "")}/status#maintenance-${encodeURIComponent(maintenance.id)}`,
    page_id: pageId(snapshot),
    scheduled_for: maintenance.startsAt,
    scheduled_until: maintenance.endsAt,
    incident_updates: [
      {
        id: `${maintenance.id}-scheduled`,
        status: "scheduled",
        body: maintenance.body,
        incident_id: maintenance.id,
        created_at: maintenance.startsAt,
        updated_at: maintenance.startsAt,
        display_at: maintenance.startsAt,
        affected_components: null,
      },
    ],
    components: snapshot.components
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => maintenance.components.includes(c.id))
      .map(({ c, i }) => componentJson(snapshot, c, i + 1)),
  };
}

/** `GET /status.json`: the page and its overall indicator. */
export function statusJson(snapshot: StatusSnapshot) {
  return {
    page: pageJson(snapshot),
    status: { indicator: snapshot.indicator, description: snapshot.description },
  };
}

/**
 * `GET /summary.json`: the page, the indicator, every component, the unresolved incidents
 * only, and the maintenances that are upcoming or in progress.
 */
export function summaryJson(snapshot: StatusSnapshot, now: Date) {
  return {
    ...statusJson(snapshot),
    components: snapshot.components.map((c, i) => componentJson(snapshot, c, i + 1)),
    incidents: snapshot.incidents.filter((i) => i.status !== "resolved").map((i) => incidentJson(snapshot, i)),
    scheduled_maintenances: snapshot.maintenances
      .filter((m) => maintenanceStatus(m, now) !== "completed")
      .map((m) => maintenanceJson(snapshot, m, now)),
  };
}
