/** @module What each kind of receiver gets for a tower change: staff JSON, a Slack-compatible message, a Statuspage-style subscriber payload, a chat line. */
import { componentJson, incidentJson, incidentUrl, maintenanceJson, pageId } from "../status/statuspage-json.js";
import type { Incident, MaintenanceStatus, StatusSnapshot, TowerChange } from "../tower/model.js";
import { inLanguage } from "../tower/public-words.js";

/** The components a change is about (subscribers are filtered by these). */
export function changeComponents(change: TowerChange): string[] {
  if (change.kind === "component.changed") return [change.component.id];
  if ("maintenance" in change) return change.maintenance.components;
  return change.incident.components.map((c) => c.id);
}

function staffIncident(snapshot: StatusSnapshot, incident: Incident) {
  const latest = incident.updates.at(-1);
  return {
    id: incident.id,
    title: incident.title,
    status: incident.status,
    severity: incident.severity,
    impact: incident.impact,
    components: incident.components,
    commander: incident.commander ?? null,
    communications: incident.communications ?? null,
    origin: incident.origin,
    createdAt: incident.createdAt,
    resolvedAt: incident.resolvedAt ?? null,
    url: incidentUrl(snapshot, incident.id),
    latestUpdate: latest ? { status: latest.status, body: latest.body, at: latest.createdAt, by: latest.by } : null,
    urgency: staffUrgency(incident),
  };
}

/**
 * Whether staff must be woken for this incident now: `page` while a SEV1 or SEV2 is open (a
 * crash loop, a wide outage), `ticket` otherwise. A receiver that pages (PagerDuty, Opsgenie)
 * pages on `page` and files the rest.
 */
export function staffUrgency(incident: Pick<Incident, "status" | "severity">): "page" | "ticket" {
  return incident.status !== "resolved" && (incident.severity === "SEV1" || incident.severity === "SEV2")
    ? "page"
    : "ticket";
}

/**
 * The generic staff JSON: `{kind, text, at, page, incident? | component? | maintenance?}`.
 * Staff see the severity, roles and who wrote the update; the public payloads do not.
 */
export function staffPayload(change: TowerChange, snapshot: StatusSnapshot, at: Date): object {
  const base = {
    kind: change.kind,
    text: plainText(change, snapshot),
    at: at.toISOString(),
    page: {
      name: snapshot.page.name,
      url: snapshot.page.url,
      indicator: snapshot.indicator,
      description: snapshot.description,
    },
  };
  if (change.kind === "component.changed")
    return { ...base, component: { ...change.component, previous: change.previous } };
  if ("maintenance" in change) return { ...base, maintenance: change.maintenance };
  return { ...base, incident: staffIncident(snapshot, change.incident) };
}

const MAINTENANCE_WORDS: Record<MaintenanceStatus, string> = {
  scheduled: "scheduled",
  in_progress: "in progress",
  verifying: "verifying",
  completed: "completed",
};

const EMOJI: Record<string, string> = {
  critical: ":red_circle:",
  major: ":large_orange_circle:",
  minor: ":large_yellow_circle:",
  none: ":white_circle:",
  resolved: ":large_green_circle:",
};

/** One line for people: what changed, how bad, and where to read more. */
export function plainText(change: TowerChange, snapshot: StatusSnapshot): string {
  if (change.kind === "component.changed") {
    return `${change.component.name}: ${change.previous} → ${change.component.status}`;
  }
  if ("maintenance" in change) {
    const m = change.maintenance;
    const status = m.updates?.at(-1)?.status ?? "scheduled";
    return `Maintenance ${MAINTENANCE_WORDS[status]}: ${m.title} (${m.startsAt} – ${m.endsAt})`;
  }
  const i = change.incident;
  const verb =
    change.kind === "incident.opened" ? "opened" : change.kind === "incident.resolved" ? "resolved" : "updated";
  const said = change.text ? ` — ${change.text}` : "";
  return `[${i.severity}] Incident ${verb}: ${i.title} (${i.status}, impact ${i.impact})${said} ${incidentUrl(snapshot, i.id)}`;
}

/** A Slack incoming-webhook message: `text` for notifications, `blocks` for the layout. */
export function slackPayload(change: TowerChange, snapshot: StatusSnapshot): object {
  const text = plainText(change, snapshot);
  if (change.kind !== "incident.opened" && change.kind !== "incident.updated" && change.kind !== "incident.resolved") {
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: escapeSlack(text) } }] };
  }
  const i = change.incident;
  const emoji = EMOJI[i.status === "resolved" ? "resolved" : i.impact] ?? "";
  const url = incidentUrl(snapshot, i.id);
  const components = i.components.map((c) => `${c.id} (${c.status})`).join(", ") || "none";
  return {
    text,
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `${emoji} *<${url}|${escapeSlack(i.title)}>*\n${escapeSlack(change.text || i.status)}`,
        },
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: escapeSlack(`${i.severity} · ${i.status} · impact ${i.impact} · ${components}`),
          },
        ],
      },
    ],
  };
}

/** Slack's mrkdwn reserves these three characters. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * What a public subscriber gets, in the shape of Statuspage's subscriber webhooks: `meta`, the
 * page's indicator, and `incident` (the public incident object, updates newest first) or
 * `component_update` with `component`. No severity, roles or authors: this leaves the company.
 */
export function subscriberPayload(
  change: TowerChange,
  snapshot: StatusSnapshot,
  at: Date,
  unsubscribe: string,
): object {
  const base = {
    meta: { unsubscribe, generated_at: at.toISOString() },
    page: { id: pageId(snapshot), status_indicator: snapshot.indicator, status_description: snapshot.description },
  };
  if (change.kind === "component.changed") {
    const position = snapshot.components.findIndex((c) => c.id === change.component.id) + 1;
    return {
      ...base,
      component_update: {
        created_at: change.component.updatedAt,
        new_status: change.component.status,
        old_status: change.previous,
        id: `${change.component.id}-${change.component.updatedAt}`,
        component_id: change.component.id,
      },
      component: componentJson(snapshot, change.component, position),
    };
  }
  if ("maintenance" in change) {
    return { ...base, scheduled_maintenance: maintenanceJson(snapshot, change.maintenance, at) };
  }
  // The change carries the staff incident: subscribers read its public words (in English, as the JSON is).
  return { ...base, incident: incidentJson(snapshot, inLanguage(change.incident, snapshot.components, "en")) };
}
