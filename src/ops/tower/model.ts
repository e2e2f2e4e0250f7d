/** @module The control tower's shared vocabulary: components, alerts, incidents, incident logs and the public status snapshot. */

/** Statuspage's component statuses, worst last but one (maintenance is planned, not a failure). */
export const COMPONENT_STATUSES = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** How bad a component status is, for "the worst of several incidents wins". */
export const COMPONENT_STATUS_RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/**
 * What a component does for users, in the order the severity rules weigh it:
 * sending and receiving messages first, then signing in, then files, then everything cosmetic.
 */
export const COMPONENT_FUNCTIONS = ["messaging", "login", "files", "cosmetic"] as const;
export type ComponentFunction = (typeof COMPONENT_FUNCTIONS)[number];

export interface Component {
  /** Stable id used in URLs, alerts (`component` label) and subscriptions: `messaging`, `login`, … */
  id: string;
  name: string;
  description: string;
  function: ComponentFunction;
  status: ComponentStatus;
  updatedAt: string;
}

export const INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Statuspage's incident impact, shown publicly; derived from the severity. */
export const IMPACTS = ["none", "minor", "major", "critical"] as const;
export type Impact = (typeof IMPACTS)[number];

export const ALERT_SOURCES = ["slo", "probe", "alertmanager", "pagerduty", "manual"] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export type AlertState = "firing" | "acknowledged" | "resolved";

/**
 * One alert as the tower keeps it. Alerts are deduplicated by `dedupKey` (Alertmanager's
 * `groupKey`, PagerDuty's `dedup_key`, or `slo:<slo>:<page|ticket>` for our own burn-rate
 * alerts): a repeat of a firing alert bumps `count` instead of opening anything new.
 */
export interface Alert {
  id: string;
  source: AlertSource;
  dedupKey: string;
  name: string;
  summary: string;
  state: AlertState;
  /** `page` wakes someone; `ticket` waits for working hours. */
  urgency: "page" | "ticket";
  labels: Record<string, string>;
  /** Components the alert points at (from a `component` label, or the SLO's component). */
  components: string[];
  firstFiredAt: string;
  lastFiredAt: string;
  resolvedAt?: string;
  count: number;
  incidentId?: string;
}

/** What an alert source hands the tower; the tower dedupes, groups and opens incidents. */
export interface AlertInput {
  source: AlertSource;
  dedupKey: string;
  name: string;
  summary: string;
  action: "trigger" | "acknowledge" | "resolve";
  urgency: "page" | "ticket";
  labels?: Record<string, string>;
  components?: string[];
  at?: string;
}

/** Impact measured while an incident is open (from probes and real traffic counters). */
export interface MeasuredImpact {
  /** From the incident's start to its resolution (or to now while it is open). */
  durationMs: number;
  sendsAttempted: number;
  sendsFailed: number;
  /** Distinct users whose sends failed or who were refused while the incident was open. */
  usersAffected: number;
  /** Share (0..1) of active users affected. */
  userShare: number;
  /** Share (0..1) of sends that failed. */
  sendFailureShare: number;
  probesRun: number;
  probesFailed: number;
  /** Sign-ins attempted and failed (traffic and probes) while the incident was open. */
  loginsAttempted?: number;
  loginsFailed?: number;
}

export type TimelineKind =
  | "opened"
  | "alert"
  | "status"
  | "update"
  | "severity"
  | "severity_override"
  | "role"
  | "component"
  | "log"
  | "follow_up";

/** Everything that happened to an incident, and who did it (`system` for the tower itself). */
export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  by: string;
  text: string;
  data?: Record<string, unknown>;
}

/** A public update, as the status page shows it (Statuspage's `incident_updates[]`). */
export interface IncidentUpdate {
  id: string;
  status: IncidentStatus;
  body: string;
  createdAt: string;
  by: string;
}

export interface FollowUp {
  id: string;
  title: string;
  owner: string;
  /** YYYY-MM-DD */
  dueDate: string;
  status: "open" | "done";
  doneAt?: string;
}

/** The incident log written after recovery and shared with every staff member. */
export interface IncidentLog {
  summary: string;
  cause: string;
  trigger: string;
  fix: string;
  detection: string;
  wentWell: string;
  wentBadly: string;
  gotLucky: string;
  /** The published postmortem summary shown on the public status page (empty: not published). */
  publicSummary: string;
  followUps: FollowUp[];
  /** The incident's measured impact, copied in when it resolved. */
  measured?: MeasuredImpact;
}

export interface Incident {
  id: string;
  title: string;
  status: IncidentStatus;
  /** The grade in effect: the override when a commander set one, else the rules' grade. */
  severity: Severity;
  /** What the rules give from the measured impact; rises by itself as impact grows. */
  gradedSeverity: Severity;
  override?: { severity: Severity; by: string; reason: string; at: string };
  impact: Impact;
  /**
   * Each affected component and the status this incident gives it: derived from the severity,
   * unless staff set it (`pinned`).
   */
  components: { id: string; status: ComponentStatus; pinned?: boolean }[];
  commander?: string;
  communications?: string;
  /** `alert`: opened by an alert; `declared`: opened by hand. */
  origin: "alert" | "declared";
  createdAt: string;
  acknowledgedAt?: string;
  identifiedAt?: string;
  monitoringAt?: string;
  resolvedAt?: string;
  /** When the review was closed (log complete); SEV1–SEV2 need cause, fix and a follow-up first. */
  closedAt?: string;
  closedBy?: string;
  measured: MeasuredImpact;
  updates: IncidentUpdate[];
  timeline: TimelineEntry[];
  log: IncidentLog;
  alertIds: string[];
}

/** A planned maintenance window: components show `under_maintenance` while it runs. */
export interface Maintenance {
  id: string;
  title: string;
  body: string;
  components: string[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  cancelledAt?: string;
}

/** The public overall indicator of Statuspage's `status.indicator`. */
export type Indicator = "none" | "minor" | "major" | "critical" | "maintenance";

/**
 * Everything the public status page shows, as one immutable value. The tower rebuilds it on
 * every change and hands it to the page, which serves only this value and never reads the chat
 * store: the page must not share the failure it reports.
 */
export interface StatusSnapshot {
  page: { name: string; url: string; updatedAt: string };
  indicator: Indicator;
  description: string;
  components: Component[];
  /** Unresolved incidents, newest first. */
  incidents: Incident[];
  /** Resolved incidents of the history window, newest first. */
  history: Incident[];
  maintenances: Maintenance[];
}

/** Roles that may use the ops endpoints and the console; everyone else gets `forbidden`. */
export const STAFF_ROLES = ["staff", "admin"] as const;
export type UserRole = "user" | (typeof STAFF_ROLES)[number];

/** What the tower tells its listeners (propagation: webhooks, banner, staff chat, status page). */
export type TowerChange =
  | { kind: "incident.opened" | "incident.updated" | "incident.resolved"; incident: Incident; text: string }
  | { kind: "component.changed"; component: Component; previous: ComponentStatus }
  | { kind: "maintenance.scheduled"; maintenance: Maintenance };

/**
 * The tower as propagation sees it. `subscribe` listeners run after the change is stored, once
 * per change, with the snapshot that includes it; a listener that throws is logged and does not
 * stop the others (a broken webhook must not stop the banner).
 */
export interface TowerFeed {
  snapshot(): StatusSnapshot;
  subscribe(listener: (change: TowerChange, snapshot: StatusSnapshot) => void): () => void;
}
