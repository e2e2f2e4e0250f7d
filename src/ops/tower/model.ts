/** @module The control tower's shared vocabulary: components, alerts, incidents, incident logs and the public status snapshot. The objects the ops API answers are the protocol's (src/protocol/ops-*.ts), re-exported here, so the tower keeps and the API sends one shape. */
import type {
  AlertSource,
  AlertUrgency,
  Component,
  ComponentStatus,
  Incident,
  Maintenance,
} from "../../protocol/index.js";

export type {
  Alert,
  AlertSource,
  AlertState,
  Component,
  ComponentFunction,
  ComponentStatus,
  FollowUp,
  Impact,
  Incident,
  IncidentLog,
  IncidentStatus,
  IncidentUpdate,
  Maintenance,
  MaintenancePhrase,
  MaintenanceStatus,
  MaintenanceUpdate,
  MeasuredImpact,
  Severity,
  TimelineEntry,
  TimelineKind,
  UpdatePhrase,
  UserRole,
} from "../../protocol/index.js";
export {
  ALERT_SOURCES,
  COMPONENT_FUNCTIONS,
  COMPONENT_STATUSES,
  IMPACTS,
  INCIDENT_STATUSES,
  MAINTENANCE_PHRASES,
  MAINTENANCE_STATUSES,
  SEVERITIES,
  STAFF_ROLES,
  UPDATE_PHRASES,
} from "../../protocol/ops-vocabulary.js";

/** How bad a component status is, for "the worst of several incidents wins". */
export const COMPONENT_STATUS_RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** What an alert source hands the tower; the tower dedupes, groups and opens incidents. */
export interface AlertInput {
  source: AlertSource;
  dedupKey: string;
  name: string;
  summary: string;
  action: "trigger" | "acknowledge" | "resolve";
  urgency: AlertUrgency;
  labels?: Record<string, string>;
  components?: string[];
  at?: string;
}

/** The public overall indicator of Statuspage's `status.indicator`. */
export type Indicator = "none" | "minor" | "major" | "critical" | "maintenance";

/**
 * Everything the public status page shows, as one immutable value. The tower rebuilds it on
 * every change and hands it to the page, which serves only this value and never reads the chat
 * store: the page must not share the failure it reports.
 */
export interface StatusSnapshot {
  /** `id` is claimed once in the shared store: the same on every node and after every restart. */
  page: { id: string; name: string; url: string; updatedAt: string };
  indicator: Indicator;
  description: string;
  components: Component[];
  /** Unresolved incidents, newest first. */
  incidents: Incident[];
  /** Resolved incidents of the history window, newest first. */
  history: Incident[];
  /** Maintenances not yet over and those that ended within the history window (not those cancelled before they began), soonest first. */
  maintenances: Maintenance[];
}

/** What the tower tells its listeners (propagation: webhooks, banner, staff chat, status page). */
export type TowerChange =
  | { kind: "incident.opened" | "incident.updated" | "incident.resolved"; incident: Incident; text: string }
  | { kind: "component.changed"; component: Component; previous: ComponentStatus }
  /** `maintenance.updated`: a window started, ended, or was cancelled (its latest update says which). */
  | { kind: "maintenance.scheduled" | "maintenance.updated"; maintenance: Maintenance };

/**
 * The tower as propagation sees it. `subscribe` listeners run after the change is stored, once
 * per change, with the snapshot that includes it; a listener that throws is logged and does not
 * stop the others (a broken webhook must not stop the banner).
 */
export interface TowerFeed {
  snapshot(): StatusSnapshot;
  subscribe(listener: (change: TowerChange, snapshot: StatusSnapshot) => void): () => void;
}
