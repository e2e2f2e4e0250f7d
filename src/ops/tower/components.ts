/** @module The components users see on the status page: the configured set, and each one's status from incidents, maintenance and staff. */
import type { ComponentDefinition } from "../../config/tower-settings.js";
import {
  COMPONENT_STATUS_RANK,
  type Component,
  type ComponentStatus,
  type Impact,
  type Incident,
  type Indicator,
  type Maintenance,
} from "./model.js";

/**
 * The configured components the status page may show: a `files` component only while an upload
 * or download objective measures it. With both targets 0 nothing would ever grade it, and
 * a page listing it would claim "operational" for something nobody watches.
 */
export function measuredComponents(
  definitions: readonly ComponentDefinition[],
  config: { sloUploadTarget: number; sloDownloadTarget: number },
): ComponentDefinition[] {
  const filesMeasured = config.sloUploadTarget > 0 || config.sloDownloadTarget > 0;
  return definitions.filter((d) => d.function !== "files" || filesMeasured);
}

/** The worse of two component statuses. */
export function worseStatus(a: ComponentStatus, b: ComponentStatus): ComponentStatus {
  return COMPONENT_STATUS_RANK[a] >= COMPONENT_STATUS_RANK[b] ? a : b;
}

/** Whether a maintenance window is running at `now`. */
export function maintenanceRunning(m: Maintenance, now: Date): boolean {
  const t = now.toISOString();
  return m.cancelledAt === undefined && m.startsAt <= t && t < m.endsAt;
}

/**
 * Each component's status: the worst of what staff set by hand, what every unresolved
 * incident on it gives it, and `under_maintenance` while a window runs. An outage during
 * maintenance shows as the outage (it is worse); with nothing open it is `operational`.
 */
export function componentStatuses(
  definitions: readonly ComponentDefinition[],
  manual: ReadonlyMap<string, { status: ComponentStatus }>,
  incidents: Iterable<Incident>,
  maintenances: Iterable<Maintenance>,
  now: Date,
): Map<string, ComponentStatus> {
  const statuses = new Map<string, ComponentStatus>();
  for (const d of definitions) statuses.set(d.id, manual.get(d.id)?.status ?? "operational");
  const raise = (id: string, status: ComponentStatus) => {
    const current = statuses.get(id);
    if (current !== undefined) statuses.set(id, worseStatus(current, status));
  };
  for (const incident of incidents) {
    if (incident.status === "resolved") continue;
    for (const c of incident.components) raise(c.id, c.status);
  }
  for (const m of maintenances) {
    if (maintenanceRunning(m, now)) for (const id of m.components) raise(id, "under_maintenance");
  }
  return statuses;
}

const INDICATOR_RANK: Record<Indicator, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };
const STATUS_INDICATOR: Record<ComponentStatus, Indicator> = {
  operational: "none",
  under_maintenance: "maintenance",
  degraded_performance: "minor",
  partial_outage: "major",
  major_outage: "critical",
};
const DESCRIPTIONS: Record<Indicator, string> = {
  none: "All Systems Operational",
  minor: "Minor Service Outage",
  major: "Partial System Outage",
  critical: "Major Service Outage",
  maintenance: "Service Under Maintenance",
};

/** Statuspage's overall indicator: the worst of the components' statuses and the open incidents' impact. */
export function overallIndicator(
  components: readonly Component[],
  openImpacts: readonly Impact[],
): { indicator: Indicator; description: string } {
  let indicator: Indicator = "none";
  const consider = (next: Indicator) => {
    if (INDICATOR_RANK[next] > INDICATOR_RANK[indicator]) indicator = next;
  };
  for (const c of components) consider(STATUS_INDICATOR[c.status]);
  for (const impact of openImpacts) consider(impact);
  return { indicator, description: DESCRIPTIONS[indicator] };
}
