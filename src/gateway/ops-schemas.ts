/** @module Bodies and queries of the ops HTTP API (`/api/v1/ops/…`), validated with zod. */
import { z } from "zod";
import { ALERT_SOURCES, COMPONENT_STATUSES, INCIDENT_STATUSES, SEVERITIES } from "../ops/tower/model.js";
import { USER_ROLES } from "../protocol/index.js";

const text = (max: number) => z.string().trim().min(1).max(max);
const name = text(64);
const componentIds = z.array(z.string().max(64)).max(100);
const isoTime = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO 8601 time");
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");

export const declareBody = z.strictObject({
  title: text(200),
  components: componentIds.optional(),
  severity: z.enum(SEVERITIES).optional(),
  status: z.enum(["investigating", "identified", "monitoring"]).optional(),
  message: text(5000).optional(),
  commander: name.optional(),
});

export const updateBody = z
  .strictObject({ status: z.enum(INCIDENT_STATUSES).optional(), body: text(5000).optional() })
  .refine((b) => b.status !== undefined || b.body !== undefined, "give a status, a body, or both");

export const severityBody = z.strictObject({ severity: z.enum(SEVERITIES).nullable(), reason: text(1000) });

export const rolesBody = z.strictObject({
  commander: name.nullable().optional(),
  communications: name.nullable().optional(),
});

export const incidentComponentsBody = z.strictObject({
  components: z
    .array(z.strictObject({ id: z.string().max(64), status: z.enum(COMPONENT_STATUSES).optional() }))
    .max(100),
});

const logText = z.string().max(20_000);
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

export const followUpBody = z.strictObject({ title: text(500), owner: name, dueDate: day });
export const followUpPatch = z.strictObject({
  title: text(500).optional(),
  owner: name.optional(),
  dueDate: day.optional(),
  status: z.enum(["open", "done"]).optional(),
});

export const componentBody = z.strictObject({ status: z.enum(COMPONENT_STATUSES) });

export const maintenanceBody = z.strictObject({
  title: text(200),
  body: z.string().max(5000).optional(),
  components: componentIds.min(1),
  startsAt: isoTime,
  endsAt: isoTime,
});

export const roleBody = z.strictObject({ role: z.enum(USER_ROLES) });

const limit = (max: number) => z.coerce.number().pipe(z.int().min(1).max(max)).optional();
export const alertsQuery = z.object({
  state: z.enum(["firing", "acknowledged", "resolved"]).optional(),
  source: z.enum(ALERT_SOURCES).optional(),
  limit: limit(1000),
});
export const incidentsQuery = z.object({ status: z.enum(["open", "resolved", "all"]).optional(), limit: limit(1000) });
export const searchQuery = z.object({ q: text(500), limit: limit(100) });
export const statsQuery = z.object({ months: limit(120) });
