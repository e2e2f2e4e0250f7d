/** @module Bodies and queries of the ops HTTP API (`/api/v1/ops/…`), alert intake payloads included, as zod schemas; named per route, so the barrel exports them as `opsRequests`. */
import { z } from "zod";
import { USER_ROLES } from "./entities.js";
import { componentStatusSchema, daySchema, incidentStatusSchema, severitySchema } from "./ops-fields.js";
import { ALERT_SOURCES, ALERT_STATES } from "./ops-vocabulary.js";

const text = (max: number) => z.string().trim().min(1).max(max);
const name = text(64);
const componentIds = z.array(z.string().max(64)).max(100);
const isoTime = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO 8601 time");

/** `POST /incidents` */
export const declareBody = z.strictObject({
  title: text(200),
  components: componentIds.optional(),
  severity: severitySchema.optional(),
  status: z.enum(["investigating", "identified", "monitoring"]).optional(),
  message: text(5000).optional(),
  commander: name.optional(),
});
export type DeclareBody = z.input<typeof declareBody>;

/** `POST /incidents/:id/updates` */
export const updateBody = z
  .strictObject({ status: incidentStatusSchema.optional(), body: text(5000).optional() })
  .refine((b) => b.status !== undefined || b.body !== undefined, "give a status, a body, or both");
export type UpdateBody = z.input<typeof updateBody>;

/** `POST /incidents/:id/severity`: `null` drops the override. */
export const severityBody = z.strictObject({ severity: severitySchema.nullable(), reason: text(1000) });
export type SeverityBody = z.input<typeof severityBody>;

/** `POST /incidents/:id/roles`: `null` clears a role. */
export const rolesBody = z.strictObject({
  commander: name.nullable().optional(),
  communications: name.nullable().optional(),
});
export type RolesBody = z.input<typeof rolesBody>;

/** `PUT /incidents/:id/components`: a given status pins it. */
export const incidentComponentsBody = z.strictObject({
  components: z.array(z.strictObject({ id: z.string().max(64), status: componentStatusSchema.optional() })).max(100),
});
export type IncidentComponentsBody = z.input<typeof incidentComponentsBody>;

const logText = z.string().max(20_000);
/** `PATCH /incidents/:id/log` */
export const logBody = z.strictObject({
  summary: logText.optional(),
  cause: logText.optional(),
  trigger: logText.optional(),
  fix: logText.optional(),
  detection: logText.optional(),
  wentWell: logText.optional(),
  wentBadly: logText.optional(),
  gotLucky: logText.optional(),
  publicSummary: logText.optional(),
});
export type LogBody = z.input<typeof logBody>;

/** `POST /incidents/:id/follow-ups` */
export const followUpBody = z.strictObject({ title: text(500), owner: name, dueDate: daySchema });
export type FollowUpBody = z.input<typeof followUpBody>;
/** `PATCH /incidents/:id/follow-ups/:followUpId` */
export const followUpPatch = z.strictObject({
  title: text(500).optional(),
  owner: name.optional(),
  dueDate: daySchema.optional(),
  status: z.enum(["open", "done"]).optional(),
});
export type FollowUpPatch = z.input<typeof followUpPatch>;

/** `PUT /components/:id` */
export const componentBody = z.strictObject({ status: componentStatusSchema });
export type ComponentBody = z.input<typeof componentBody>;

/** `POST /maintenances` */
export const maintenanceBody = z.strictObject({
  title: text(200),
  body: z.string().max(5000).optional(),
  components: componentIds.min(1),
  startsAt: isoTime,
  endsAt: isoTime,
});
export type MaintenanceBody = z.input<typeof maintenanceBody>;

/** `PUT /users/:username/role` (admins only) */
export const roleBody = z.strictObject({ role: z.enum(USER_ROLES) });
export type RoleBody = z.input<typeof roleBody>;

const limit = (max: number) => z.coerce.number().pipe(z.int().min(1).max(max)).optional();
/** `GET /alerts?…` */
export const alertsQuery = z.object({
  state: z.enum(ALERT_STATES).optional(),
  source: z.enum(ALERT_SOURCES).optional(),
  limit: limit(1000),
});
/** `GET /incidents?…` */
export const incidentsQuery = z.object({ status: z.enum(["open", "resolved", "all"]).optional(), limit: limit(1000) });
/** `GET /logs/search?…` */
export const searchQuery = z.object({ q: text(500), limit: limit(100) });
/** `GET /stats?…` */
export const statsQuery = z.object({ months: limit(120) });

const labels = z.record(z.string().max(1000), z.string().max(10_000));

/** `POST /alerts/alertmanager`: Alertmanager's `webhook_config` body, version 4; unknown fields are allowed (newer Alertmanagers add some). */
export const alertmanagerPayload = z.looseObject({
  version: z.literal("4"),
  groupKey: z.string().min(1).max(4000),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().max(1000),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string().max(4000),
  alerts: z
    .array(
      z.looseObject({
        status: z.enum(["firing", "resolved"]).optional(),
        labels,
        annotations: labels.optional(),
        startsAt: z.string().max(100).optional(),
        endsAt: z.string().max(100).optional(),
        generatorURL: z.string().max(4000).optional(),
        fingerprint: z.string().max(200).optional(),
      }),
    )
    .max(10_000),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayload>;

/** `POST /alerts/pagerduty`: an Events API v2 alert event (`POST /v2/enqueue`); unknown fields are allowed, as PagerDuty allows them. */
export const pagerdutyEvent = z
  .looseObject({
    routing_key: z.string().max(1000).optional(),
    event_action: z.enum(["trigger", "acknowledge", "resolve"]),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: z
      .looseObject({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1).max(1024),
        severity: z.enum(["critical", "error", "warning", "info"]),
        timestamp: z.string().max(100).optional(),
        component: z.string().max(1024).optional(),
        group: z.string().max(1024).optional(),
        class: z.string().max(1024).optional(),
        custom_details: z.unknown().optional(),
      })
      .optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === "trigger" && !event.payload) {
      ctx.addIssue({ code: "custom", path: ["payload"], message: "a trigger needs a payload" });
    }
    if (event.event_action !== "trigger" && !event.dedup_key) {
      ctx.addIssue({ code: "custom", path: ["dedup_key"], message: `${event.event_action} needs the dedup_key` });
    }
  });
export type PagerdutyEvent = z.infer<typeof pagerdutyEvent>;

/** `POST /status/subscribers` (the public status routes): a webhook URL and, optionally, the components it follows. */
export const subscribeBody = z.strictObject({
  url: z.string().min(1).max(2000),
  components: z.array(z.string().min(1).max(64)).max(100).optional(),
});
export type SubscribeBody = z.input<typeof subscribeBody>;
