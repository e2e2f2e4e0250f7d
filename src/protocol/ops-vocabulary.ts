/** @module The ops API's enumerations (severities, statuses, alert sources, …) as constants and their types; no zod, so the staff console can import them without the schemas. */

/** Statuspage's component statuses, worst last but one (maintenance is planned, not a failure). */
export const COMPONENT_STATUSES = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/**
 * What a component does for users, in the order the severity rules weigh it:
 * sending and receiving messages first, then signing in, then files, then everything cosmetic.
 */
export const COMPONENT_FUNCTIONS = ["messaging", "login", "files", "cosmetic"] as const;
export type ComponentFunction = (typeof COMPONENT_FUNCTIONS)[number];

export const INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * The public updates the tower posts by itself, by what they say: `detected` (an alert opened
 * the incident), `returned` (it fired again while monitoring), `recovering` (every alert
 * resolved; watching), `resolved` (quiet long enough). Pages word them in the reader's language
 * from the incident's components; an update a person wrote has none and is shown as written.
 */
export const UPDATE_PHRASES = ["detected", "returned", "recovering", "resolved"] as const;
export type UpdatePhrase = (typeof UPDATE_PHRASES)[number];

/** Statuspage's scheduled maintenance statuses, in order (Haetae posts all but `verifying`, which staff may set in Statuspage). */
export const MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/** What the tower's own maintenance updates say; the status page and the feed word each in the reader's language. */
export const MAINTENANCE_PHRASES = ["scheduled", "in_progress", "completed", "ended_early"] as const;
export type MaintenancePhrase = (typeof MAINTENANCE_PHRASES)[number];

export const SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Statuspage's incident impact, shown publicly; derived from the severity. */
export const IMPACTS = ["none", "minor", "major", "critical"] as const;
export type Impact = (typeof IMPACTS)[number];

export const ALERT_SOURCES = ["slo", "probe", "alertmanager", "pagerduty", "manual", "watcher"] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const ALERT_STATES = ["firing", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** `page` wakes someone; `ticket` waits for working hours. */
export const ALERT_URGENCIES = ["page", "ticket"] as const;
export type AlertUrgency = (typeof ALERT_URGENCIES)[number];

/** What a timeline entry records. */
export const TIMELINE_KINDS = [
  "opened",
  "alert",
  "status",
  "update",
  "severity",
  "severity_override",
  "role",
  "component",
  "log",
  "follow_up",
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const FOLLOW_UP_STATUSES = ["open", "done"] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];

/** Roles that may use the ops endpoints and the console; everyone else gets `forbidden`. */
export const STAFF_ROLES = ["staff", "admin"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What the probes measure, each also the SLI it records. */
export const PROBE_NAMES = ["login", "send", "delivery", "history", "upload", "download"] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/** The windows an SLO's burn rate is read over (the SRE workbook's multi-window policy). */
export const SLO_WINDOWS = ["5m", "30m", "1h", "6h", "3d"] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];
