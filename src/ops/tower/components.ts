/** @module The components users see on the status page: the configured set, and each one's status from incidents, maintenance and staff. */
import { z } from "zod";
import {
  COMPONENT_FUNCTIONS,
  COMPONENT_STATUS_RANK,
  type Component,
  type ComponentStatus,
  type Impact,
  type Incident,
  type Indicator,
  type Maintenance,
} from "./model.js";

const componentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "ids are lowercase letters, digits, _ and -"),
  name: z.string().min(1).max(100),
  description: z.string().max(500).default(""),
  function: z.enum(COMPONENT_FUNCTIONS),
});
/** A component as configured: what it is, not how it is doing. */
export type ComponentDefinition = z.infer<typeof componentSchema>;

/** The default set (`towerComponents` = `default`). */
export const DEFAULT_COMPONENTS: readonly ComponentDefinition[] = [
  { id: "messaging", name: "Messaging", description: "Sending and receiving messages", function: "messaging" },
  { id: "login", name: "Sign-in", description: "Signing in and registering", function: "login" },
  {
    id: "history",
    name: "History and sync",
    description: "Reading past messages and catching up after being offline",
    function: "messaging",
  },
  { id: "files", name: "Files", description: "Sending and opening files", function: "files" },
  {
    id: "web",
    name: "Web client",
    description: "The PC and web app (when it is down, users cannot sign in through it)",
    function: "login",
  },
];

/** Parse the `towerComponents` setting: `default`, or a JSON array of `{id, name, description?, function}`. */
export function parseComponents(value: string): ComponentDefinition[] {
  if (value === "default") return [...DEFAULT_COMPONENTS];
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new Error('towerComponents must be "default" or a JSON array of components');
  }
  const parsed = z.array(componentSchema).min(1).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`towerComponents[${issue?.path.join(".")}]: ${issue?.message}`);
  }
  const ids = parsed.data.map((c) => c.id);
  if (new Set(ids).size !== ids.length) throw new Error("towerComponents: ids must be unique");
  return parsed.data;
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
