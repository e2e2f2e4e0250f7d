/** @module The control tower: alerts in, incidents graded and tracked, components and maintenance, logs; the status feed out. */
import type { Registry } from "prom-client";
import type { Config } from "../../config/config.js";
import { HaetaeError } from "../../protocol/errors.js";
import type { SliRecorder } from "../sli-recorder.js";
import { byCodeUnits } from "../text-order.js";
import { acknowledgeIncident, ingestAlert, noteOnAlert } from "./alert-intake.js";
import { measuredComponents } from "./components.js";
import { ImpactMeter } from "./impact.js";
import * as logs from "./incident-logs.js";
import * as maintenance from "./maintenance.js";
import type {
  Alert,
  AlertInput,
  AlertSource,
  AlertState,
  Component,
  ComponentStatus,
  FollowUp,
  Incident,
  IncidentStatus,
  Maintenance,
  Severity,
  StatusSnapshot,
  TowerChange,
  TowerFeed,
  UserRole,
} from "./model.js";
import { type OpsRecord, OpsStore } from "./ops-store.js";
import type { PageIdentity } from "./page-identity.js";
import { registerTowerMetrics, type TowerStats, towerStats } from "./stats.js";
import { SYSTEM, TowerCore } from "./tower-core.js";

/** The settings the tower reads. */
export type TowerConfig = Pick<
  Config,
  | "severityRules"
  | "towerComponents"
  | "resolveQuietMs"
  | "towerTickMs"
  | "impactLookbackMs"
  | "alertGroupWindowMs"
  | "sloUploadTarget"
  | "sloDownloadTarget"
>;

export interface TowerOptions {
  /** The data folder; the tower keeps `ops.sqlite` there. */
  dataDir: string;
  sli: SliRecorder;
  config: TowerConfig;
  /** The node's metrics registry, for MTTA/MTTR gauges. */
  registry?: Registry;
  /** The page id and components' creation times (`claimPageIdentity`). */
  identity: PageIdentity;
  now?: () => Date;
  /** Hears every document the tower saves, after it is written (a cluster's leader replicates them). */
  onSave?: (record: OpsRecord) => void;
}

/** Who acts, as the ops API knows them. */
export interface Actor {
  username: string;
  role: UserRole;
}

/** Public history covers this many days of resolved incidents. */
const HISTORY_DAYS = 90;

/**
 * The control tower of one node. Its state lives in its own SQLite file, so it keeps working
 * (and keeps the status page truthful) while the chat store is down. Every method is
 * synchronous; listeners hear of public changes after they are stored.
 */
export class Tower implements TowerFeed {
  private readonly core: TowerCore;
  private readonly meter: ImpactMeter;
  private readonly store: OpsStore;
  private readonly timer: NodeJS.Timeout;
  private readonly quietMs: number;

  constructor(options: TowerOptions) {
    const now = options.now ?? (() => new Date());
    this.store = new OpsStore(options.dataDir, options.onSave);
    this.meter = new ImpactMeter(options.sli, options.config.impactLookbackMs, () => now().getTime());
    this.quietMs = options.config.resolveQuietMs;
    this.core = new TowerCore(
      this.store,
      this.meter,
      {
        severityRules: options.config.severityRules,
        components: measuredComponents(options.config.towerComponents, options.config),
        resolveQuietMs: options.config.resolveQuietMs,
        groupWindowMs: options.config.alertGroupWindowMs,
        historyDays: HISTORY_DAYS,
        identity: options.identity,
      },
      now,
    );
    if (options.registry) registerTowerMetrics(options.registry, () => [...this.core.incidents.values()]);
    this.timer = setInterval(() => this.tick(), options.config.towerTickMs);
    this.timer.unref();
  }

  /** Name and public base URL of the status page (the URL is known once the node listens). */
  setPage(page: { name?: string; url?: string }): void {
    if (page.name !== undefined) this.core.page.name = page.name;
    if (page.url !== undefined) this.core.page.url = page.url;
  }

  // --- alerts -------------------------------------------------------------------------------

  /** Take an alert event from any source (SLO burn rates, probes, Alertmanager, PagerDuty). */
  ingestAlert(input: AlertInput): Alert | null {
    return ingestAlert(this.core, input);
  }

  /**
   * Note `text` on the timeline of the open incident of the alert with this dedup key (the
   * watcher records a process's exit, restart and first good probe); false when there is none.
   */
  noteOnAlert(dedupKey: string, text: string, data?: Record<string, unknown>): boolean {
    return noteOnAlert(this.core, dedupKey, text, data);
  }

  /** The incident (a copy) an alert with this dedup key opened or joined, if any. */
  incidentOfAlert(dedupKey: string): Incident | undefined {
    const id = this.core.alertByDedupKey(dedupKey)?.incidentId;
    const incident = id ? this.core.incidents.get(id) : undefined;
    return incident ? structuredClone(incident) : undefined;
  }

  /** Alerts, newest first; `state` filters. */
  listAlerts(filter: { state?: AlertState; source?: AlertSource; limit?: number } = {}): Alert[] {
    return [...this.core.alerts.values()]
      .filter((a) => (!filter.state || a.state === filter.state) && (!filter.source || a.source === filter.source))
      .sort((a, b) => byCodeUnits(b.lastFiredAt, a.lastFiredAt))
      .slice(0, filter.limit ?? 200);
  }

  /** Acknowledge one alert by hand (its incident's MTTA stops). */
  acknowledgeAlert(id: string, actor: Actor): Alert {
    const alert = this.core.alerts.get(id);
    if (!alert) throw new HaetaeError("alert_not_found");
    const result = ingestAlert(this.core, {
      source: alert.source,
      dedupKey: alert.dedupKey,
      name: alert.name,
      summary: alert.summary,
      action: "acknowledge",
      urgency: alert.urgency,
    });
    const incident = alert.incidentId ? this.core.incidents.get(alert.incidentId) : undefined;
    if (incident) this.core.note(incident, "alert", actor.username, `Acknowledged alert ${alert.name}`);
    if (incident) this.core.commit(incident, null, "");
    return result ?? alert;
  }

  // --- incidents ------------------------------------------------------------------------------

  /** Incidents, newest first: `open` (unresolved), `resolved`, or `all`. */
  listIncidents(filter: { status?: "open" | "resolved" | "all"; limit?: number } = {}): Incident[] {
    const status = filter.status ?? "all";
    return [...this.core.incidents.values()]
      .reverse()
      .filter((i) => status === "all" || (status === "open") === (i.status !== "resolved"))
      .slice(0, filter.limit ?? 100)
      .map((i) => structuredClone(i));
  }

  getIncident(id: string): Incident {
    return structuredClone(this.core.incident(id));
  }

  /** Declare an incident by hand; a given severity is the floor the rules can only raise. */
  declare(
    input: {
      title: string;
      components?: string[];
      severity?: Severity;
      status?: Exclude<IncidentStatus, "resolved">;
      message?: string;
      commander?: string;
    },
    actor: Actor,
  ): { incident: Incident; similar: logs.SimilarIncident[] } {
    const components = this.core.checkComponents(input.components ?? []);
    const incident = this.core.open({
      title: input.title,
      components,
      origin: "declared",
      by: actor.username,
      severity: input.severity,
      status: input.status,
      commander: input.commander,
      text: `Declared by ${actor.username}`,
    });
    if (input.message) this.core.publicUpdate(incident, input.message, actor.username);
    const similar = logs.similarIncidents(this.core, incident);
    if (similar.length > 0) {
      this.core.note(
        incident,
        "opened",
        SYSTEM,
        `Similar past incidents: ${similar.map((s) => s.incident.id).join(", ")}`,
        {
          similar: similar.map((s) => s.incident.id),
        },
      );
    }
    this.core.commit(incident, "incident.opened", incident.title);
    return { incident: structuredClone(incident), similar };
  }

  private openIncident(id: string): Incident {
    const incident = this.core.incident(id);
    if (incident.status === "resolved") throw new HaetaeError("incident_resolved");
    return incident;
  }

  /**
   * Change the status and/or post a public update. Resolving stops the impact count and copies
   * the figures into the log; a resolved incident takes updates but does not reopen (declare a
   * new one, which will list it as similar).
   */
  update(id: string, input: { status?: IncidentStatus; body?: string }, actor: Actor): Incident {
    const incident = this.core.incident(id);
    const changes = input.status !== undefined && input.status !== incident.status;
    if (changes && incident.status === "resolved") throw new HaetaeError("incident_resolved");
    if (changes) this.core.setStatus(incident, input.status as IncidentStatus, actor.username);
    if (input.body) this.core.publicUpdate(incident, input.body, actor.username);
    if (!changes && !input.body) return structuredClone(incident);
    const kind = changes && incident.status === "resolved" ? "incident.resolved" : "incident.updated";
    this.core.commit(incident, kind, input.body ?? `${incident.title}: ${incident.status}`);
    return structuredClone(incident);
  }

  /**
   * A commander's override of the graded severity, with a reason, recorded; `null` returns to
   * the rules' grade. When the incident has a commander, only they (or an admin) may override.
   */
  overrideSeverity(id: string, input: { severity: Severity | null; reason: string }, actor: Actor): Incident {
    const incident = this.openIncident(id);
    if (incident.commander && incident.commander !== actor.username && actor.role !== "admin") {
      throw new HaetaeError("forbidden", `Only the commander (${incident.commander}) or an admin may override.`);
    }
    const before = incident.severity;
    if (input.severity === null) {
      delete incident.override;
    } else {
      incident.override = {
        severity: input.severity,
        by: actor.username,
        reason: input.reason,
        at: this.core.nowIso(),
      };
    }
    this.core.applySeverity(incident);
    this.core.note(
      incident,
      "severity_override",
      actor.username,
      input.severity === null
        ? `Override removed (${input.reason}); ${incident.gradedSeverity} as graded`
        : `Override ${before} → ${input.severity}: ${input.reason}`,
      { from: before, to: incident.severity, reason: input.reason },
    );
    this.core.commit(incident, "incident.updated", `Severity ${incident.severity}`);
    return structuredClone(incident);
  }

  /** Name the commander and/or communications lead (null clears). */
  setRoles(id: string, input: { commander?: string | null; communications?: string | null }, actor: Actor): Incident {
    const incident = this.core.incident(id);
    for (const role of ["commander", "communications"] as const) {
      const value = input[role];
      if (value === undefined || value === (incident[role] ?? null)) continue;
      if (value === null) delete incident[role];
      else incident[role] = value;
      this.core.note(incident, "role", actor.username, `${role}: ${value ?? "none"}`, { role, username: value });
    }
    this.core.commit(incident, null, "");
    return structuredClone(incident);
  }

  /** Acknowledge an incident (MTTA stops; its firing alerts are acknowledged). */
  acknowledge(id: string, actor: Actor): Incident {
    const incident = this.core.incident(id);
    acknowledgeIncident(this.core, incident, actor.username);
    return structuredClone(incident);
  }

  /**
   * Set the components an incident touches; a given status pins it (otherwise it follows the
   * severity). The impact count follows the new components' functions from now on.
   */
  setIncidentComponents(id: string, components: { id: string; status?: ComponentStatus }[], actor: Actor): Incident {
    const incident = this.openIncident(id);
    this.core.checkComponents(components.map((c) => c.id));
    incident.components = components.map((c) =>
      c.status ? { id: c.id, status: c.status, pinned: true } : { id: c.id, status: "degraded_performance" },
    );
    this.core.applySeverity(incident);
    this.meter.retarget(incident.id, this.core.functionsOf(incident));
    const text = incident.components.map((c) => `${c.id} ${c.status}`).join(", ") || "none";
    this.core.note(incident, "component", actor.username, `Components: ${text}`, { components: incident.components });
    this.core.commit(incident, "incident.updated", `Components: ${text}`);
    return structuredClone(incident);
  }

  // --- components and maintenance -------------------------------------------------------------

  listComponents(): Component[] {
    return [...this.core.components.values()].map((c) => ({ ...c }));
  }

  /** Set a component's status by hand (`operational` clears it); incidents and maintenance may still make it worse. */
  setComponentStatus(id: string, status: ComponentStatus, _actor: Actor): Component {
    this.core.checkComponents([id]);
    const at = this.core.nowIso();
    this.core.manual.set(id, { status, updatedAt: at });
    this.store.saveComponentStatus(id, status, at);
    for (const change of this.core.recomputeComponents()) this.core.emit(change);
    return { ...(this.core.components.get(id) as Component) };
  }

  /** Maintenances not yet over, and those that ended in the last 90 days, soonest first. */
  listMaintenances(): Maintenance[] {
    return [...this.core.maintenances.values()].sort((a, b) => byCodeUnits(a.startsAt, b.startsAt));
  }

  /** Plan a window; it posts "in progress" and "completed" by itself as the clock reaches them. */
  scheduleMaintenance(
    input: { title: string; body?: string; components: string[]; startsAt: string; endsAt: string },
    actor: Actor,
  ): Maintenance {
    return maintenance.scheduleMaintenance(this.core, input, actor.username);
  }

  /** Cancel a maintenance (or end a running one now). */
  cancelMaintenance(id: string, _actor: Actor): Maintenance {
    return maintenance.cancelMaintenance(this.core, id);
  }

  // --- logs ---------------------------------------------------------------------------------

  editLog(id: string, patch: logs.LogPatch, actor: Actor): Incident {
    const incident = this.core.incident(id);
    logs.editLog(this.core, incident, patch, actor.username);
    return structuredClone(incident);
  }

  addFollowUp(id: string, input: { title: string; owner: string; dueDate: string }, actor: Actor): FollowUp {
    return { ...logs.addFollowUp(this.core, this.core.incident(id), input, actor.username) };
  }

  updateFollowUp(
    id: string,
    followUpId: string,
    patch: Partial<Pick<FollowUp, "title" | "owner" | "dueDate" | "status">>,
    actor: Actor,
  ): FollowUp {
    return { ...logs.updateFollowUp(this.core, this.core.incident(id), followUpId, patch, actor.username) };
  }

  /** Close the review of a resolved incident (SEV1–SEV2: cause, fix and a follow-up first). */
  closeReview(id: string, actor: Actor): Incident {
    const incident = this.core.incident(id);
    logs.closeIncident(this.core, incident, actor.username);
    return structuredClone(incident);
  }

  /** Open follow-ups past their due date (as of today, UTC). */
  overdueFollowUps(): logs.OverdueFollowUp[] {
    return logs.overdueFollowUps(this.core, this.core.nowIso().slice(0, 10));
  }

  searchLogs(query: string, limit = 20): logs.LogSearchHit[] {
    return logs.searchLogs(this.core, query, limit);
  }

  similar(id: string, limit = 5): logs.SimilarIncident[] {
    return logs.similarIncidents(this.core, this.core.incident(id), limit);
  }

  stats(months = 12): TowerStats {
    return towerStats([...this.core.incidents.values()], months);
  }

  // --- the feed -----------------------------------------------------------------------------

  snapshot(): StatusSnapshot {
    return this.core.snapshot();
  }

  subscribe(listener: (change: TowerChange, snapshot: StatusSnapshot) => void): () => void {
    return this.core.subscribe(listener);
  }

  /**
   * The SLI window tick: measure and re-grade every open incident (the grade rises by itself),
   * resolve alert-opened incidents quiet in `monitoring` long enough, and start or end
   * maintenance windows. Public for tests that drive time.
   */
  tick(): void {
    try {
      this.meter.prune();
      const now = this.core.clock().getTime();
      for (const incident of this.core.incidents.values()) {
        if (incident.status === "resolved") continue;
        const before = JSON.stringify(incident.measured);
        if (this.core.regrade(incident)) {
          this.core.commit(incident, "incident.updated", `Severity raised to ${incident.severity}`);
        } else if (JSON.stringify(incident.measured) !== before) {
          this.core.commit(incident, null, "");
        }
        const quiet =
          incident.status === "monitoring" &&
          incident.origin === "alert" &&
          incident.alertIds.every((a) => this.core.alerts.get(a)?.state === "resolved") &&
          now - Date.parse(incident.monitoringAt ?? incident.createdAt) >= this.quietMs;
        if (quiet) {
          this.core.setStatus(incident, "resolved", SYSTEM);
          this.core.towerUpdate(incident, "resolved");
          this.core.commit(incident, "incident.resolved", `${incident.title}: resolved`);
        }
      }
      maintenance.advanceMaintenances(this.core);
      for (const change of this.core.recomputeComponents()) this.core.emit(change);
    } catch (error) {
      console.error("haetae: tower tick failed:", error);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.meter.close();
    this.store.close();
  }
}
