/** @module PagerDuty Events API v2 events, read into the tower's alert input. */
import { randomBytes } from "node:crypto";
import type { PagerdutyEvent } from "../../protocol/ops-requests.js";
import type { AlertInput } from "./model.js";

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
