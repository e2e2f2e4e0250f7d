/** @module PagerDuty Events API v2 events, read into the tower's alert input. */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { AlertInput } from "./model.js";

/** An Events API v2 alert event (`POST /v2/enqueue`); unknown fields are allowed, as PagerDuty allows them. */
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

/**
 * The tower input of an event, and the `dedup_key` to answer with: a trigger without one gets
 * a new key, as PagerDuty does, so the sender can acknowledge and resolve it later. `critical`
 * and `error` page; `warning` and `info` are tickets. `payload.component` names components.
 */
export function fromPagerduty(event: PagerdutyEvent): { input: AlertInput; dedupKey: string } {
  const dedupKey = event.dedup_key ?? randomBytes(16).toString("hex");
  const p = event.payload;
  const labels: Record<string, string> = {};
  for (const key of ["source", "severity", "component", "group", "class"] as const) {
    const value = p?.[key];
    if (value) labels[key] = value;
  }
  const input: AlertInput = {
    source: "pagerduty",
    dedupKey: `pagerduty:${dedupKey}`,
    name: p?.class ?? p?.summary ?? "pagerduty",
    summary: p?.summary ?? "",
    action: event.event_action,
    urgency: p?.severity === "warning" || p?.severity === "info" ? "ticket" : "page",
    labels,
    components: (p?.component ?? "")
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c !== ""),
  };
  const at = p?.timestamp ? Date.parse(p.timestamp) : Number.NaN;
  if (!Number.isNaN(at)) input.at = new Date(at).toISOString();
  return { input, dedupKey };
}
