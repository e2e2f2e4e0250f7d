/** @module The ops API's objects as zod schemas, and their types: components, alerts, incidents with their updates, timeline and log, follow-ups, maintenance windows. */
import { z } from "zod";
import { componentStatusSchema, daySchema, incidentStatusSchema, severitySchema } from "./ops-fields.js";
import {
  ALERT_SOURCES,
  ALERT_STATES,
  ALERT_URGENCIES,
  COMPONENT_FUNCTIONS,
  FOLLOW_UP_STATUSES,
  IMPACTS,
  MAINTENANCE_PHRASES,
  MAINTENANCE_STATUSES,
  TIMELINE_KINDS,
  UPDATE_PHRASES,
} from "./ops-vocabulary.js";

/** A time the tower stamped itself (`toISOString()`). */
const stamp = z.iso.datetime();
const id = z.string().min(1);

export const componentSchema = z.strictObject({
  /** Stable id used in URLs, alerts (`component` label) and subscriptions: `messaging`, `login`, … */
  id,
  name: z.string(),
  /** The name in a language where it is not `name` (the operator's `towerComponents`). */
  names: z.strictObject({ en: z.string().optional(), ko: z.string().optional() }).optional(),
  description: z.string(),
  function: z.enum(COMPONENT_FUNCTIONS),
  status: componentStatusSchema,
  updatedAt: stamp,
  /** When the component was first seen; stored once and shared by every node, so it never moves. */
  createdAt: stamp,
});
export type Component = z.infer<typeof componentSchema>;

/**
 * One alert as the tower keeps it. Alerts are deduplicated by `dedupKey` (Alertmanager's
 * `groupKey`, PagerDuty's `dedup_key`, or `slo:<slo>:<page|ticket>` for our own burn-rate
 * alerts): a repeat of a firing alert bumps `count` instead of opening anything new.
 */
export const alertSchema = z.strictObject({
  id,
  source: z.enum(ALERT_SOURCES),
  dedupKey: z.string().min(1),
  name: z.string(),
  summary: z.string(),
  state: z.enum(ALERT_STATES),
  urgency: z.enum(ALERT_URGENCIES),
  labels: z.record(z.string(), z.string()),
  /** Components the alert points at (from a `component` label, or the SLO's component). */
  components: z.array(z.string()),
  firstFiredAt: stamp,
  lastFiredAt: stamp,
  resolvedAt: stamp.optional(),
  count: z.int().min(1),
  incidentId: id.optional(),
});
export type Alert = z.infer<typeof alertSchema>;

const count = z.int().min(0);
const share = z.number().min(0).max(1);

/** Impact measured while an incident is open (from probes and real traffic counters). */
export const measuredImpactSchema = z.strictObject({
  /**
   * The measured impact: `impactStartedAt` to `impactEndedAt` when its functions' probes or
   * traffic failed; otherwise from the incident's start to its resolution (or to now while open).
   */
  durationMs: z.number().min(0),
  /** The first failure of the incident's functions (in the lookback before it opened, or since). */
  impactStartedAt: stamp.optional(),
  /** The last failure so far; the fault's end is at most one probe interval after it. */
  impactEndedAt: stamp.optional(),
  sendsAttempted: count,
  sendsFailed: count,
  /** Distinct users whose sends failed or who were refused while the incident was open. */
  usersAffected: count,
  /** Share of active users affected. */
  userShare: share,
  /** Share of sends that failed. */
  sendFailureShare: share,
  probesRun: count,
  probesFailed: count,
  /** Sign-ins attempted and failed (traffic and probes) while the incident was open. */
  loginsAttempted: count.optional(),
  loginsFailed: count.optional(),
});
export type MeasuredImpact = z.infer<typeof measuredImpactSchema>;

/** Everything that happened to an incident, and who did it (`system` for the tower itself). */
export const timelineEntrySchema = z.strictObject({
  at: stamp,
  kind: z.enum(TIMELINE_KINDS),
  by: z.string().min(1),
  text: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/** A public update, as the status page shows it (Statuspage's `incident_updates[]`). */
export const incidentUpdateSchema = z.strictObject({
  id,
  status: incidentStatusSchema,
  /** The English words; for a `phrase` update, what the pages show to a reader of English. */
  body: z.string(),
  createdAt: stamp,
  by: z.string().min(1),
  /** Set on the tower's own updates: what they say, worded per language when shown (see `UPDATE_PHRASES`). */
  phrase: z.enum(UPDATE_PHRASES).optional(),
});
export type IncidentUpdate = z.infer<typeof incidentUpdateSchema>;

export const followUpSchema = z.strictObject({
  id,
  title: z.string().min(1),
  owner: z.string().min(1),
  dueDate: daySchema,
  status: z.enum(FOLLOW_UP_STATUSES),
  doneAt: stamp.optional(),
});
export type FollowUp = z.infer<typeof followUpSchema>;

/** The incident log written after recovery and shared with every staff member. */
export const incidentLogSchema = z.strictObject({
  summary: z.string(),
  cause: z.string(),
  trigger: z.string(),
  fix: z.string(),
  detection: z.string(),
  wentWell: z.string(),
  wentBadly: z.string(),
  gotLucky: z.string(),
  /** The published postmortem summary shown on the public status page (empty: not published). */
  publicSummary: z.string(),
  followUps: z.array(followUpSchema),
  /** The incident's measured impact, copied in when it resolved. */
  measured: measuredImpactSchema.optional(),
});
export type IncidentLog = z.infer<typeof incidentLogSchema>;

/** An affected component and the status this incident gives it: derived from the severity, unless staff set it (`pinned`). */
export const incidentComponentSchema = z.strictObject({
  id,
  status: componentStatusSchema,
  pinned: z.boolean().optional(),
});

export const incidentSchema = z.strictObject({
  /** `INC-<n>` */
  id,
  /**
   * What staff call it. A declared incident's title is public as written; an alert-opened one's
   * is the alert's own text (burn rates, budgets) and stays with staff: the public reads words
   * made from its components and their statuses, in its own language.
   */
  title: z.string().min(1),
  status: incidentStatusSchema,
  /** The grade in effect: the override when a commander set one, else the rules' grade. */
  severity: severitySchema,
  /** What the rules give from the measured impact; rises by itself as impact grows. */
  gradedSeverity: severitySchema,
  override: z.strictObject({ severity: severitySchema, by: z.string(), reason: z.string(), at: stamp }).optional(),
  impact: z.enum(IMPACTS),
  components: z.array(incidentComponentSchema),
  commander: z.string().optional(),
  communications: z.string().optional(),
  /** `alert`: opened by an alert; `declared`: opened by hand. */
  origin: z.enum(["alert", "declared"]),
  createdAt: stamp,
  acknowledgedAt: stamp.optional(),
  identifiedAt: stamp.optional(),
  monitoringAt: stamp.optional(),
  resolvedAt: stamp.optional(),
  /** When the review was closed (log complete); SEV1–SEV2 need cause, fix and a follow-up first. */
  closedAt: stamp.optional(),
  closedBy: z.string().optional(),
  measured: measuredImpactSchema,
  updates: z.array(incidentUpdateSchema),
  timeline: z.array(timelineEntrySchema),
  log: incidentLogSchema,
  alertIds: z.array(id),
});
export type Incident = z.infer<typeof incidentSchema>;

/** A public update of a maintenance: `scheduled` when it is planned, `in_progress` when it starts, `completed` when it ends. */
export const maintenanceUpdateSchema = z.strictObject({
  id,
  status: z.enum(MAINTENANCE_STATUSES),
  /** The English words; for a `phrase` update, what the pages show to a reader of English. */
  body: z.string(),
  createdAt: stamp,
  /** Set on the tower's own updates (not on staff words): worded per language when shown (see `MAINTENANCE_PHRASES`). */
  phrase: z.enum(MAINTENANCE_PHRASES).optional(),
});
export type MaintenanceUpdate = z.infer<typeof maintenanceUpdateSchema>;

/** A planned maintenance window: components show `under_maintenance` while it runs. */
export const maintenanceSchema = z.strictObject({
  id,
  title: z.string().min(1),
  body: z.string(),
  components: z.array(z.string()),
  /** As staff gave them (any ISO 8601 time), compared as text. */
  startsAt: z.string().min(1),
  endsAt: z.string().min(1),
  createdBy: z.string().min(1),
  cancelledAt: stamp.optional(),
  /** Oldest first; absent on windows scheduled before the tower posted them. */
  updates: z.array(maintenanceUpdateSchema).optional(),
});
export type Maintenance = z.infer<typeof maintenanceSchema>;

export { componentStatusSchema, daySchema, incidentStatusSchema, severitySchema };
