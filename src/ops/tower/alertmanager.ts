/** @module Prometheus Alertmanager's webhook payload (version 4), read into the tower's alert input. */
import type { AlertmanagerPayload } from "../../protocol/ops-requests.js";
import type { AlertInput } from "./model.js";

const PAGE = new Set(["critical", "page", "error", "high", "sev1", "sev2"]);

/** `page` unless the alert says it is only a warning, ticket or info (labels `urgency` or `severity`). */
function urgencyOf(values: (string | undefined)[]): AlertInput["urgency"] {
  const given = values.filter((v): v is string => Boolean(v)).map((v) => v.toLowerCase());
  if (given.length === 0) return "page";
  return given.some((v) => PAGE.has(v)) ? "page" : "ticket";
}

function validTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith("0001-")) return undefined; // Alertmanager's "not set"
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * One tower alert per Alertmanager group (`groupKey`): a repeated notification of the group is
 * the same alert again (count + 1), `resolved` resolves it. Components come from `component`
 * labels (comma-separated allowed); urgency from `urgency` or `severity` labels.
 */
export function fromAlertmanager(payload: AlertmanagerPayload): AlertInput {
  const common = payload.commonLabels;
  const name =
    common.alertname ?? payload.groupLabels.alertname ?? payload.alerts[0]?.labels.alertname ?? "alertmanager";
  const annotations = payload.commonAnnotations;
  const summary =
    annotations.summary ??
    annotations.description ??
    payload.alerts[0]?.annotations?.summary ??
    `${name} (${payload.receiver})`;
  const components = new Set<string>();
  for (const value of [common.component, ...payload.alerts.map((a) => a.labels.component)]) {
    for (const id of (value ?? "").split(",")) if (id.trim()) components.add(id.trim());
  }
  const firing = payload.status === "firing";
  const times = payload.alerts
    .map((a) => validTime(firing ? a.startsAt : a.endsAt))
    .filter((t): t is string => t !== undefined)
    .sort();
  const at = firing ? times[0] : times.at(-1);
  const input: AlertInput = {
    source: "alertmanager",
    dedupKey: `alertmanager:${payload.groupKey}`,
    name,
    summary,
    action: firing ? "trigger" : "resolve",
    urgency: urgencyOf([common.urgency, common.severity, ...payload.alerts.map((a) => a.labels.severity)]),
    labels: { ...common, receiver: payload.receiver, alerts: String(payload.alerts.length) },
    components: [...components],
  };
  if (at) input.at = at;
  return input;
}
