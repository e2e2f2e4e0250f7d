/** @module What the ops HTTP API answers, route by route, as zod schemas and types: envelopes around the ops objects, search hits, figures, probes, SLOs and status subscriptions. */
import { z } from "zod";
import { USER_ROLES } from "./entities.js";
import {
  alertSchema,
  componentSchema,
  followUpSchema,
  incidentComponentSchema,
  incidentSchema,
  incidentStatusSchema,
  maintenanceSchema,
  severitySchema,
} from "./ops-entities.js";
import { ALERT_URGENCIES, PROBE_NAMES, SEVERITIES, SLO_WINDOWS } from "./ops-vocabulary.js";

const stamp = z.iso.datetime();
const id = z.string().min(1);
const role = z.enum(USER_ROLES);

/** Who the server says is signed in (`GET /me`), and who acts in the ops API. */
export const opsActorSchema = z.strictObject({ username: z.string().min(1), role });
export type OpsActor = z.infer<typeof opsActorSchema>;

/** An incident named in a list of other things: what it is, how bad, and when. */
const incidentHeadlineSchema = z.strictObject({
  id,
  title: z.string(),
  severity: severitySchema,
  status: incidentStatusSchema,
  createdAt: stamp,
  resolvedAt: stamp.optional(),
});

/** A past incident like the open one, with what fixed it (`GET /incidents/:id/similar`, `POST /incidents`). */
export const similarIncidentSchema = z.strictObject({
  incident: incidentHeadlineSchema.extend({ components: z.array(incidentComponentSchema) }),
  /** Shared components 1 point each, shared alert names 3, likeness of words up to 4. */
  score: z.number().min(1),
  reasons: z.array(z.string()),
  cause: z.string(),
  fix: z.string(),
  followUps: z.array(followUpSchema),
});
export type SimilarIncident = z.infer<typeof similarIncidentSchema>;

/** One hit of the log search (`GET /logs/search`). */
export const logSearchHitSchema = z.strictObject({
  incident: incidentHeadlineSchema,
  snippet: z.string(),
});
export type LogSearchHit = z.infer<typeof logSearchHitSchema>;

/** An open follow-up past its due date (`GET /follow-ups/overdue`). */
export const overdueFollowUpSchema = z.strictObject({
  incidentId: id,
  incidentTitle: z.string(),
  severity: severitySchema,
  followUp: followUpSchema,
});
export type OverdueFollowUp = z.infer<typeof overdueFollowUpSchema>;

const seconds = z.number().min(0).nullable();
/** Mean times over a set of incidents, in seconds (null when none qualifies). */
export const meanTimesSchema = z.strictObject({
  incidents: z.int().min(0),
  /** Incidents acknowledged (MTTA is over these). */
  acknowledged: z.int().min(0),
  /** Mean time to acknowledge: opened → acknowledged. */
  mttaSeconds: seconds,
  /** Incidents resolved (MTTR is over these). */
  resolved: z.int().min(0),
  /** Mean time to resolve: opened → resolved. */
  mttrSeconds: seconds,
});
export type MeanTimes = z.infer<typeof meanTimesSchema>;

const bySeverity = z.strictObject(
  Object.fromEntries(SEVERITIES.map((s) => [s, meanTimesSchema])) as Record<
    (typeof SEVERITIES)[number],
    typeof meanTimesSchema
  >,
);

/** `GET /stats`: MTTA and MTTR overall, per severity, per month. */
export const towerStatsSchema = z.strictObject({
  overall: meanTimesSchema,
  bySeverity,
  /** Newest month first; `month` is `YYYY-MM` (UTC) of when incidents opened. */
  byMonth: z.array(meanTimesSchema.extend({ month: z.string().regex(/^\d{4}-\d{2}$/), bySeverity }).strict()),
});
export type TowerStats = z.infer<typeof towerStatsSchema>;

/** One probe's outcome in one run. */
export const probeResultSchema = z.strictObject({
  probe: z.enum(PROBE_NAMES),
  ok: z.boolean(),
  latencyMs: z.number().min(0).optional(),
  /** Why it failed: the server's error code, `timeout`, or what could not be set up. */
  error: z.string().optional(),
  at: stamp,
});
export type ProbeResult = z.infer<typeof probeResultSchema>;

/** One run of every probe. */
export const probeRunSchema = z.strictObject({
  run: z.int().min(1),
  startedAt: stamp,
  durationMs: z.number().min(0),
  results: z.array(probeResultSchema),
});
export type ProbeRun = z.infer<typeof probeRunSchema>;

const perWindow = <T extends z.ZodType>(value: T) =>
  z.strictObject(Object.fromEntries(SLO_WINDOWS.map((w) => [w, value])) as Record<(typeof SLO_WINDOWS)[number], T>);
const perUrgency = <T extends z.ZodType>(value: T) =>
  z.strictObject(
    Object.fromEntries(ALERT_URGENCIES.map((u) => [u, value])) as Record<(typeof ALERT_URGENCIES)[number], T>,
  );

/** One SLO as it stands now (`GET /slos`). */
export const sloStatusSchema = z.strictObject({
  name: z.string().min(1),
  sli: z.string().min(1),
  target: z.number().gt(0).lt(1),
  thresholdMs: z.number().min(0).optional(),
  component: z.string(),
  description: z.string(),
  /** Burn rate per window (1 = spending exactly the budget). */
  burnRates: perWindow(z.number().min(0)),
  /** Good and bad events per window. */
  events: perWindow(z.strictObject({ good: z.int().min(0), bad: z.int().min(0) })),
  /** Share of the error budget left over the longest window: 1 untouched, 0 spent, below 0 overspent. */
  budgetRemaining: z.number(),
  /** Whether the page and the ticket alert are firing (as of the last evaluation). */
  firing: perUrgency(z.boolean()),
  /** The real (scaled) length of each window, in ms. */
  windowMs: perWindow(z.number().gt(0)),
});
export type SloStatus = z.infer<typeof sloStatusSchema>;

/** A status subscription as its subscriber sees it (`/status/subscribers`): never the confirmation token. */
export const subscriptionSchema = z.strictObject({
  id,
  /** Signs every delivery, and proves ownership to read or remove the subscription. */
  secret: z.string().min(1),
  url: z.string().min(1),
  components: z.array(z.string()),
  status: z.enum(["pending", "confirmed"]),
  createdAt: stamp,
  confirmedAt: stamp.nullable(),
  /** When an unconfirmed subscription is forgotten; null once confirmed. */
  expiresAt: stamp.nullable(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

/** A staff user as the role endpoint answers it: the profile with its role. */
const staffViewOfUser = z.strictObject({ id, username: z.string(), displayName: z.string(), createdAt: stamp, role });

/** The body of every ops route's success answer, by route (`METHOD /path` as docs/ops.md lists them). */
export const OPS_REPLIES = {
  "GET /me": z.strictObject({ user: opsActorSchema }),
  "GET /reports": z.strictObject({
    reports: z.array(
      z.strictObject({ id, conversationId: id, reporterId: id, reason: z.string().optional(), createdAt: stamp }),
    ),
  }),
  "POST /alerts/alertmanager": z.strictObject({ status: z.literal("success"), alert: alertSchema.nullable() }),
  "POST /alerts/pagerduty": z.strictObject({
    status: z.literal("success"),
    message: z.literal("Event processed"),
    dedup_key: z.string().min(1),
  }),
  "GET /alerts": z.strictObject({ alerts: z.array(alertSchema) }),
  "POST /alerts/:id/acknowledge": z.strictObject({ alert: alertSchema }),
  "GET /incidents": z.strictObject({ incidents: z.array(incidentSchema) }),
  "POST /incidents": z.strictObject({ incident: incidentSchema, similar: z.array(similarIncidentSchema) }),
  "GET /incidents/:id": z.strictObject({ incident: incidentSchema }),
  "POST /incidents/:id/updates": z.strictObject({ incident: incidentSchema }),
  "POST /incidents/:id/severity": z.strictObject({ incident: incidentSchema }),
  "POST /incidents/:id/roles": z.strictObject({ incident: incidentSchema }),
  "POST /incidents/:id/acknowledge": z.strictObject({ incident: incidentSchema }),
  "PUT /incidents/:id/components": z.strictObject({ incident: incidentSchema }),
  "PATCH /incidents/:id/log": z.strictObject({ incident: incidentSchema }),
  "POST /incidents/:id/follow-ups": z.strictObject({ followUp: followUpSchema }),
  "PATCH /incidents/:id/follow-ups/:followUpId": z.strictObject({ followUp: followUpSchema }),
  "POST /incidents/:id/close": z.strictObject({ incident: incidentSchema }),
  "GET /incidents/:id/similar": z.strictObject({ similar: z.array(similarIncidentSchema) }),
  "GET /follow-ups/overdue": z.strictObject({ followUps: z.array(overdueFollowUpSchema) }),
  "GET /logs/search": z.strictObject({ results: z.array(logSearchHitSchema) }),
  "GET /stats": towerStatsSchema,
  "GET /probes": z.strictObject({
    enabled: z.boolean(),
    latest: z.partialRecord(z.enum(PROBE_NAMES), probeResultSchema),
    runs: z.array(probeRunSchema),
  }),
  "GET /slos": z.strictObject({ slos: z.array(sloStatusSchema) }),
  "GET /components": z.strictObject({ components: z.array(componentSchema) }),
  "PUT /components/:id": z.strictObject({ component: componentSchema }),
  "GET /maintenances": z.strictObject({ maintenances: z.array(maintenanceSchema) }),
  "POST /maintenances": z.strictObject({ maintenance: maintenanceSchema }),
  "POST /maintenances/:id/cancel": z.strictObject({ maintenance: maintenanceSchema }),
  "PUT /users/:username/role": z.strictObject({ user: staffViewOfUser }),
  "POST /users/:username/password-reset": z.strictObject({
    username: z.string(),
    code: z.string().min(1),
    expiresAt: stamp,
  }),
} as const;
export type OpsRoute = keyof typeof OPS_REPLIES;
/** What a route answers on success, e.g. `OpsReply<"GET /incidents">` is `{incidents: Incident[]}`. */
export type OpsReply<R extends OpsRoute> = z.infer<(typeof OPS_REPLIES)[R]>;
