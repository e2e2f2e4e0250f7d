/**
 * @module Atlassian Statuspage's public API v2 documents as zod schemas, written from its
 * documentation (the public "Status API" of every Statuspage page, /api/v2/…): a third party's
 * format, so it lives with the tests and not in src/protocol. Strict objects: a field Statuspage
 * clients do not know (a severity, an author) would be a leak.
 */
import { z } from "zod";

/** Statuspage writes ISO 8601 with an offset; UTC's `Z` is one. */
const time = z.iso.datetime({ offset: true });
const id = z.string().min(1);

export const pageSchema = z.strictObject({
  id,
  name: z.string(),
  url: z.url(),
  time_zone: z.string(),
  updated_at: time,
});

/** `none`…`critical` as documented; `maintenance` is what live pages answer during a window. */
export const statusSchema = z.strictObject({
  indicator: z.enum(["none", "minor", "major", "critical", "maintenance"]),
  description: z.string().min(1),
});

export const componentSchema = z.strictObject({
  id,
  name: z.string(),
  status: z.enum(["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"]),
  created_at: time,
  updated_at: time,
  position: z.int().min(1),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: z.iso.date().nullable(),
  group_id: z.string().nullable(),
  page_id: id,
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
});

const INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"] as const;
const MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"] as const;

export const incidentUpdateSchema = z.strictObject({
  id,
  status: z.enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
  body: z.string(),
  incident_id: id,
  created_at: time,
  updated_at: time,
  display_at: time,
  affected_components: z
    .array(z.object({ code: z.string(), name: z.string(), old_status: z.string(), new_status: z.string() }))
    .nullable(),
});

const eventFields = {
  id,
  name: z.string().min(1),
  created_at: time,
  updated_at: time,
  monitoring_at: time.nullable(),
  resolved_at: time.nullable(),
  started_at: time,
  shortlink: z.url(),
  page_id: id,
  incident_updates: z.array(incidentUpdateSchema),
  components: z.array(componentSchema),
};

export const incidentSchema = z.strictObject({
  ...eventFields,
  status: z.enum(INCIDENT_STATUSES),
  impact: z.enum(["none", "minor", "major", "critical"]),
});

export const maintenanceSchema = z.strictObject({
  ...eventFields,
  status: z.enum(MAINTENANCE_STATUSES),
  impact: z.enum(["none", "minor", "major", "critical", "maintenance"]),
  scheduled_for: time,
  scheduled_until: time,
});

/** Each route and the document it answers. */
export const STATUSPAGE_ROUTES = {
  "/api/v2/summary.json": z.strictObject({
    page: pageSchema,
    status: statusSchema,
    components: z.array(componentSchema),
    incidents: z.array(incidentSchema),
    scheduled_maintenances: z.array(maintenanceSchema),
  }),
  "/api/v2/status.json": z.strictObject({ page: pageSchema, status: statusSchema }),
  "/api/v2/components.json": z.strictObject({ page: pageSchema, components: z.array(componentSchema) }),
  "/api/v2/incidents.json": z.strictObject({ page: pageSchema, incidents: z.array(incidentSchema).max(50) }),
  "/api/v2/incidents/unresolved.json": z.strictObject({ page: pageSchema, incidents: z.array(incidentSchema) }),
  "/api/v2/scheduled-maintenances.json": z.strictObject({
    page: pageSchema,
    scheduled_maintenances: z.array(maintenanceSchema).max(50),
  }),
  "/api/v2/scheduled-maintenances/upcoming.json": z.strictObject({
    page: pageSchema,
    scheduled_maintenances: z.array(maintenanceSchema),
  }),
  "/api/v2/scheduled-maintenances/active.json": z.strictObject({
    page: pageSchema,
    scheduled_maintenances: z.array(maintenanceSchema),
  }),
} as const;

export type StatuspageRoute = keyof typeof STATUSPAGE_ROUTES;
export type StatuspageDocument<R extends StatuspageRoute> = z.infer<(typeof STATUSPAGE_ROUTES)[R]>;
export type MaintenanceDoc = z.infer<typeof maintenanceSchema>;
