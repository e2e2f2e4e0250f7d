/** @module Alert intake: dedupe by key, group onto open incidents by component and by arriving together, open incidents for paging alerts, follow them to monitoring. */
import { similarIncidents } from "./incident-logs.js";
import type { Alert, AlertInput, Incident } from "./model.js";
import { newOpsId, SYSTEM, type TowerCore } from "./tower-core.js";

/**
 * The unresolved incident an alert on these components belongs to, newest first: one that
 * shares a component; for an alert naming no component, an alert-opened incident naming none.
 */
function openIncidentFor(core: TowerCore, components: readonly string[]): Incident | undefined {
  const open = [...core.incidents.values()].reverse().filter((i) => i.status !== "resolved");
  if (components.length === 0) return open.find((i) => i.components.length === 0 && i.origin === "alert");
  return open.find((i) => i.components.some((c) => components.includes(c.id)));
}

/**
 * The incident a paging alert arriving now joins because it arrived together with it: the newest
 * unresolved incident the tower opened from an alert within `groupWindowMs` (Alertmanager's
 * `group_interval`). One cause fires several alerts within minutes (the store down fails sends
 * and logins: two SLOs, two components); they are one incident. Staff's declared incidents are
 * theirs to scope and are never joined by time. The window runs from the opening, not from the
 * last alert to join, so a string of unrelated faults cannot chain into one incident forever.
 */
function arrivingTogether(core: TowerCore): Incident | undefined {
  const windowMs = core.settings.groupWindowMs;
  if (windowMs <= 0) return undefined;
  const now = core.clock().getTime();
  return [...core.incidents.values()]
    .reverse()
    .find((i) => i.status !== "resolved" && i.origin === "alert" && now - Date.parse(i.createdAt) <= windowMs);
}

/**
 * Add an alert's components that an alert-opened incident does not list yet: the status page then
 * shows every affected component, and the impact counts their functions, seeded from the lookback
 * as at opening (the alert fired after its own failures). A declared incident keeps the components
 * staff gave it.
 */
function joinComponents(core: TowerCore, incident: Incident, alert: Alert): void {
  if (incident.origin !== "alert") return;
  const known = new Set(incident.components.map((c) => c.id));
  const added = alert.components.filter((id) => !known.has(id));
  if (added.length === 0) return;
  for (const id of added) incident.components.push({ id, status: "degraded_performance" });
  core.meter.retarget(incident.id, core.functionsOf(incident), true);
  core.regrade(incident); // also gives the new components the status of the grade in effect
  const text = incident.components.map((c) => c.id).join(", ");
  core.note(incident, "component", alert.source, `Components: ${text} (with alert ${alert.name})`, {
    components: incident.components,
    alertId: alert.id,
  });
}

/** A new (or newly firing again) alert: attach it to its incident, or open one when it pages. */
function route(core: TowerCore, alert: Alert): void {
  if (alert.urgency === "ticket") {
    const target = openIncidentFor(core, alert.components);
    // A ticket-urgency alert (a slow burn) waits for working hours: it never opens an incident,
    // but an open incident on the same components records it, since it is evidence.
    core.saveAlert(alert);
    if (target) {
      core.note(target, "alert", alert.source, `Ticket alert ${alert.name}: ${alert.summary}`, { alertId: alert.id });
      core.commit(target, null, "");
    }
    return;
  }
  const target = openIncidentFor(core, alert.components) ?? arrivingTogether(core);
  if (target) {
    alert.incidentId = target.id;
    target.alertIds.push(alert.id);
    core.saveAlert(alert);
    core.note(target, "alert", alert.source, `Alert ${alert.name} fired: ${alert.summary}`, { alertId: alert.id });
    joinComponents(core, target, alert);
    if (target.status === "monitoring") {
      core.setStatus(target, "investigating", alert.source);
      core.towerUpdate(target, "returned");
    }
    core.commit(target, "incident.updated", `Alert ${alert.name} fired`);
    return;
  }
  const incident = core.open({
    title: alert.summary || alert.name,
    components: alert.components,
    origin: "alert",
    by: alert.source,
    text: `Opened by alert ${alert.name}`,
  });
  alert.incidentId = incident.id;
  incident.alertIds.push(alert.id);
  core.saveAlert(alert);
  core.note(incident, "alert", alert.source, `Alert ${alert.name} fired: ${alert.summary}`, { alertId: alert.id });
  core.towerUpdate(incident, "detected");
  const similar = similarIncidents(core, incident, 3);
  if (similar.length > 0) {
    core.note(
      incident,
      "opened",
      SYSTEM,
      `Similar past incidents: ${similar.map((s) => `${s.incident.id} (${s.incident.title})`).join(", ")}`,
      { similar: similar.map((s) => s.incident.id) },
    );
  }
  core.commit(incident, "incident.opened", incident.title);
}

/**
 * Take one alert event from any source. A trigger for a key that is still firing (or whose
 * incident is still open) is the same alert again: its `count` and `lastFiredAt` move, nothing
 * new opens; if it had resolved, it fires again, and an incident in `monitoring` goes back to
 * `investigating`. When every alert of an alert-opened incident has resolved, the incident
 * moves to `monitoring`; it resolves after the quiet time (see the tower's tick). An
 * acknowledge or resolve for a key the tower does not know is ignored, as PagerDuty does.
 */
export function ingestAlert(core: TowerCore, input: AlertInput): Alert | null {
  const at = input.at ?? core.nowIso();
  const components = (input.components ?? []).filter((id) => core.components.has(id));
  const existing = core.alertByDedupKey(input.dedupKey);
  const incident = existing?.incidentId ? core.incidents.get(existing.incidentId) : undefined;
  const incidentOpen = incident !== undefined && incident.status !== "resolved";

  if (input.action === "trigger") {
    if (existing && (existing.state !== "resolved" || incidentOpen)) {
      const refire = existing.state === "resolved";
      existing.count += 1;
      existing.lastFiredAt = at;
      if (input.summary) existing.summary = input.summary;
      if (!refire) {
        core.saveAlert(existing);
        return existing;
      }
      existing.state = "firing";
      delete existing.resolvedAt;
      core.saveAlert(existing);
      if (incident && incidentOpen) {
        core.note(incident, "alert", existing.source, `Alert ${existing.name} fired again`, { alertId: existing.id });
        if (incident.status === "monitoring") {
          core.setStatus(incident, "investigating", existing.source);
          core.towerUpdate(incident, "returned");
        }
        core.commit(incident, "incident.updated", `Alert ${existing.name} fired again`);
      }
      return existing;
    }
    const alert: Alert = {
      id: newOpsId(),
      source: input.source,
      dedupKey: input.dedupKey,
      name: input.name,
      summary: input.summary,
      state: "firing",
      urgency: input.urgency,
      labels: { ...(input.labels ?? {}) },
      components,
      firstFiredAt: at,
      lastFiredAt: at,
      count: 1,
    };
    route(core, alert);
    return alert;
  }

  if (!existing || existing.state === "resolved") return existing ?? null;
  if (input.action === "acknowledge") {
    if (existing.state === "acknowledged") return existing;
    existing.state = "acknowledged";
    core.saveAlert(existing);
    if (incident && incidentOpen) {
      incident.acknowledgedAt ??= core.nowIso();
      core.note(incident, "alert", existing.source, `Alert ${existing.name} acknowledged`, { alertId: existing.id });
      core.commit(incident, null, "");
    }
    return existing;
  }
  existing.state = "resolved";
  existing.resolvedAt = at;
  core.saveAlert(existing);
  if (incident && incidentOpen) {
    core.note(incident, "alert", existing.source, `Alert ${existing.name} resolved`, { alertId: existing.id });
    const allResolved = incident.alertIds.every((id) => core.alerts.get(id)?.state === "resolved");
    if (incident.origin === "alert" && allResolved && incident.status !== "monitoring") {
      core.setStatus(incident, "monitoring", SYSTEM);
      core.towerUpdate(incident, "recovering");
      core.commit(incident, "incident.updated", "Every alert resolved; monitoring the recovery");
    } else {
      core.commit(incident, null, "");
    }
  }
  return existing;
}

/**
 * Record `text` on the timeline of the open incident an alert (by dedup key) belongs to: what a
 * source saw happen between firing and resolving (a process exited, was restarted, answered its
 * first probe). Staff see it; it is no public change. False when no open incident has the alert.
 */
export function noteOnAlert(
  core: TowerCore,
  dedupKey: string,
  text: string,
  data: Record<string, unknown> = {},
): boolean {
  const alert = core.alertByDedupKey(dedupKey);
  const incident = alert?.incidentId ? core.incidents.get(alert.incidentId) : undefined;
  if (!alert || !incident || incident.status === "resolved") return false;
  core.note(incident, "alert", alert.source, text, { ...data, alertId: alert.id });
  core.commit(incident, null, "");
  return true;
}

/** Acknowledge an incident by hand: MTTA stops, and its firing alerts are acknowledged with it. */
export function acknowledgeIncident(core: TowerCore, incident: Incident, by: string): void {
  if (!incident.acknowledgedAt) incident.acknowledgedAt = core.nowIso();
  for (const id of incident.alertIds) {
    const alert = core.alerts.get(id);
    if (alert?.state === "firing") {
      alert.state = "acknowledged";
      core.saveAlert(alert);
    }
  }
  core.note(incident, "alert", by, "Acknowledged");
  core.commit(incident, null, "");
}
