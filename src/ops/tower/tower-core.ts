/** @module The tower's state and the primitives every tower action goes through: persist, record on the timeline, grade, recompute components, notify. */
import { randomUUID } from "node:crypto";
import type { ComponentDefinition, SeverityRule } from "../../config/tower-settings.js";
import { HaetaeError } from "../../protocol/errors.js";
import { componentStatuses, overallIndicator } from "./components.js";
import { type ImpactMeter, noImpact } from "./impact.js";
import { searchText } from "./incident-text.js";
import { publicMaintenances } from "./maintenance.js";
import type {
  Alert,
  Component,
  ComponentFunction,
  ComponentStatus,
  Incident,
  IncidentLog,
  IncidentStatus,
  Maintenance,
  Severity,
  StatusSnapshot,
  TimelineEntry,
  TimelineKind,
  TowerChange,
  UpdatePhrase,
} from "./model.js";
import type { OpsStore } from "./ops-store.js";
import type { PageIdentity } from "./page-identity.js";
import { inLanguage, phraseWords } from "./public-words.js";
import { componentStatusOf, describeGrade, gradeSeverity, impactOf, severityRank } from "./severity.js";

/** What the tower is configured with. */
export interface TowerSettings {
  severityRules: readonly SeverityRule[];
  components: readonly ComponentDefinition[];
  /** Quiet time in `monitoring`, every alert resolved and none firing again, before an alert-opened incident resolves by itself. */
  resolveQuietMs: number;
  /** A paging alert arriving this long after an alert-opened incident opened joins it (0: never by time alone). */
  groupWindowMs: number;
  /** Resolved incidents shown in the public history. */
  historyDays: number;
  /** The page id and components' creation times, claimed once in the shared store. */
  identity: PageIdentity;
}

/** Who does something that is not a person: the tower itself. */
export const SYSTEM = "system";

type Listener = (change: TowerChange, snapshot: StatusSnapshot) => void;

/**
 * The public view of an incident: no staff timeline, names, override reasons or unpublished log
 * text, and its title and the tower's own updates in English public words (an alert-opened
 * incident's title is the alert's text, for staff only).
 */
function publicIncident(incident: Incident, components: readonly Component[]): Incident {
  const { commander: _c, communications: _m, override: _o, ...rest } = inLanguage(incident, components, "en");
  return {
    ...rest,
    components: incident.components.map((c) => ({ id: c.id, status: c.status })),
    updates: rest.updates,
    timeline: [],
    alertIds: [],
    log: {
      summary: "",
      cause: "",
      trigger: "",
      fix: "",
      detection: "",
      wentWell: "",
      wentBadly: "",
      gotLucky: "",
      publicSummary: incident.log.publicSummary,
      followUps: [],
    },
  };
}

/**
 * The tower's in-memory state, written through to the ops store on every change. Everything is
 * synchronous: a change is stored, then listeners hear of it, in the order changes happen.
 */
export class TowerCore {
  readonly alerts = new Map<string, Alert>();
  readonly incidents = new Map<string, Incident>();
  readonly maintenances = new Map<string, Maintenance>();
  readonly manual: Map<string, { status: ComponentStatus; updatedAt: string }>;
  readonly components = new Map<string, Component>();
  readonly page = { name: "Haetae", url: "" };
  private readonly listeners = new Set<Listener>();
  private cached: StatusSnapshot | undefined;
  private updatedAt: string;

  constructor(
    readonly store: OpsStore,
    readonly meter: ImpactMeter,
    readonly settings: TowerSettings,
    readonly clock: () => Date,
  ) {
    const state = store.load(Math.max(30, settings.historyDays), clock());
    for (const a of state.alerts) this.alerts.set(a.id, a);
    for (const i of state.incidents) this.incidents.set(i.id, i);
    for (const m of state.maintenances) this.maintenances.set(m.id, m);
    this.manual = state.manualStatuses;
    this.updatedAt = clock().toISOString();
    for (const d of settings.components) {
      const createdAt = settings.identity.componentsCreatedAt.get(d.id) ?? this.updatedAt;
      this.components.set(d.id, { ...d, status: "operational", updatedAt: this.updatedAt, createdAt });
    }
    for (const incident of this.incidents.values()) {
      if (incident.status !== "resolved") meter.track(incident.id, this.functionsOf(incident), incident.measured);
    }
    this.recomputeComponents();
  }

  nowIso(): string {
    return this.clock().toISOString();
  }

  /** The incident, or `incident_not_found`. */
  incident(id: string): Incident {
    const incident = this.incidents.get(id);
    if (!incident) throw new HaetaeError("incident_not_found");
    return incident;
  }

  /** Known component ids, or `component_not_found` naming the first unknown one. */
  checkComponents(ids: readonly string[]): string[] {
    for (const id of ids) {
      if (!this.components.has(id)) throw new HaetaeError("component_not_found", `There is no component "${id}".`);
    }
    return [...new Set(ids)];
  }

  /** The functions an incident's components serve; null (every function) when it names none. */
  functionsOf(incident: Incident): Set<ComponentFunction> | null {
    if (incident.components.length === 0) return null;
    const fns = new Set<ComponentFunction>();
    for (const c of incident.components) {
      const fn = this.components.get(c.id)?.function;
      if (fn) fns.add(fn);
    }
    return fns;
  }

  /** Record something on an incident's staff timeline. */
  note(incident: Incident, kind: TimelineKind, by: string, text: string, data?: Record<string, unknown>): void {
    const entry: TimelineEntry = { at: this.nowIso(), kind, by, text };
    if (data) entry.data = data;
    incident.timeline.push(entry);
  }

  saveAlert(alert: Alert): void {
    this.alerts.set(alert.id, alert);
    this.store.saveAlert(alert);
  }

  /** The newest alert with this dedup key. */
  alertByDedupKey(dedupKey: string): Alert | undefined {
    let found: Alert | undefined;
    for (const alert of this.alerts.values()) {
      if (alert.dedupKey === dedupKey && (!found || alert.firstFiredAt >= found.firstFiredAt)) found = alert;
    }
    return found;
  }

  /**
   * Store an incident, recompute component statuses, then tell listeners (incident first, then
   * components). `kind` null stores a change staff alone see (timeline, log, roles): listeners
   * propagate public changes, and a log edit must not page anyone or flash a banner.
   */
  commit(
    incident: Incident,
    kind: "incident.opened" | "incident.updated" | "incident.resolved" | null,
    text: string,
  ): void {
    this.store.saveIncident(incident, Number(incident.id.slice(4)), searchText(incident, this.alerts));
    if (kind === null) return;
    this.touch();
    const componentChanges = this.recomputeComponents();
    this.emit({ kind, incident: structuredClone(incident), text });
    for (const change of componentChanges) this.emit(change);
  }

  /**
   * Mark a public change (an incident or its update, a maintenance planned, posted or cancelled):
   * the page's `updated_at` moves, as Statuspage's does for anything its readers see change.
   */
  touch(): void {
    this.cached = undefined;
    this.updatedAt = this.nowIso();
  }

  /** Open an incident: numbered, graded from the impact measured so far, its components marked. */
  open(input: {
    title: string;
    components: string[];
    origin: Incident["origin"];
    by: string;
    severity?: Severity;
    status?: IncidentStatus;
    commander?: string;
    text: string;
  }): Incident {
    const at = this.nowIso();
    const id = `INC-${this.store.nextIncidentNumber()}`;
    const incident: Incident = {
      id,
      title: input.title,
      status: "investigating",
      severity: input.severity ?? "SEV4",
      gradedSeverity: input.severity ?? "SEV4",
      impact: impactOf(input.severity ?? "SEV4"),
      components: input.components.map((c) => ({ id: c, status: "degraded_performance" })),
      origin: input.origin,
      createdAt: at,
      measured: noImpact(),
      updates: [],
      timeline: [],
      log: emptyIncidentLog(),
      alertIds: [],
    };
    if (input.commander) incident.commander = input.commander;
    this.incidents.set(id, incident);
    this.meter.track(id, this.functionsOf(incident));
    this.note(incident, "opened", input.by, input.text);
    this.regrade(incident);
    if (input.status && input.status !== "investigating") this.setStatus(incident, input.status, input.by);
    return incident;
  }

  /**
   * Measure and grade again. The grade only rises while the incident is open: a lull in the
   * failures is not a recovery, and a grade that flapped would page and un-page people. Returns
   * true when the severity in effect changed.
   */
  regrade(incident: Incident): boolean {
    if (incident.status === "resolved") return false;
    const measured = this.meter.measure(incident.id, Date.parse(incident.createdAt), this.clock().getTime());
    if (measured) incident.measured = measured;
    const { severity } = gradeSeverity(
      this.settings.severityRules,
      this.functionsOf(incident) ?? new Set(),
      incident.measured,
    );
    const before = incident.severity;
    if (severityRank(severity) < severityRank(incident.gradedSeverity)) {
      const from = incident.gradedSeverity;
      incident.gradedSeverity = severity;
      this.note(incident, "severity", SYSTEM, `Graded ${from} → ${describeGrade(severity, incident.measured)}`, {
        from,
        to: severity,
        measured: { ...incident.measured },
      });
    }
    this.applySeverity(incident);
    return incident.severity !== before;
  }

  /** Put the severity in effect (the override wins) into the impact and the derived component statuses. */
  applySeverity(incident: Incident): void {
    incident.severity = incident.override?.severity ?? incident.gradedSeverity;
    incident.impact = impactOf(incident.severity);
    for (const c of incident.components) if (!c.pinned) c.status = componentStatusOf(incident.severity);
  }

  /** Post a public update (what the status page and users read) and record it on the timeline. */
  publicUpdate(incident: Incident, body: string, by: string): void {
    const update = { id: newOpsId(), status: incident.status, body, createdAt: this.nowIso(), by };
    incident.updates.push(update);
    this.note(incident, "update", by, body, { updateId: update.id, status: update.status });
  }

  /**
   * Post one of the tower's own public updates: its English words are stored as the body (what
   * staff read), and the phrase lets every page word it anew in its reader's language.
   */
  towerUpdate(incident: Incident, phrase: UpdatePhrase): void {
    const body = phraseWords(phrase, incident, [...this.components.values()], "en");
    const update = { id: newOpsId(), status: incident.status, body, createdAt: this.nowIso(), by: SYSTEM, phrase };
    incident.updates.push(update);
    this.note(incident, "update", SYSTEM, body, { updateId: update.id, status: update.status, phrase });
  }

  /** Move an incident to a status, keeping its timestamps; resolving stops the impact count and copies it into the log. */
  setStatus(incident: Incident, status: IncidentStatus, by: string): void {
    if (incident.status === status) return;
    const from = incident.status;
    const at = this.nowIso();
    incident.status = status;
    if (status === "identified") incident.identifiedAt ??= at;
    if (status === "monitoring") incident.monitoringAt = at;
    if (status === "resolved") {
      this.regrade(incident);
      incident.resolvedAt = at;
      // With no failure measured, the impact lasted until every alert resolved (the move to
      // monitoring), not through the quiet time after it.
      const end = Date.parse(from === "monitoring" && incident.monitoringAt ? incident.monitoringAt : at);
      incident.measured = this.meter.measure(incident.id, Date.parse(incident.createdAt), end) ?? {
        ...incident.measured,
        durationMs: end - Date.parse(incident.createdAt),
      };
      incident.log.measured = { ...incident.measured };
      this.meter.untrack(incident.id);
    }
    this.note(incident, "status", by, `${from} → ${status}`, { from, to: status });
  }

  /** Statuses from incidents, maintenance and staff; the components that changed, as changes to announce. */
  recomputeComponents(): TowerChange[] {
    const statuses = componentStatuses(
      this.settings.components,
      this.manual,
      this.incidents.values(),
      this.maintenances.values(),
      this.clock(),
    );
    const changes: TowerChange[] = [];
    for (const [id, status] of statuses) {
      const component = this.components.get(id);
      if (!component || component.status === status) continue;
      const previous = component.status;
      component.status = status;
      component.updatedAt = this.nowIso();
      changes.push({ kind: "component.changed", component: { ...component }, previous });
    }
    if (changes.length > 0) {
      this.cached = undefined;
      this.updatedAt = this.nowIso();
    }
    return changes;
  }

  /** Tell every listener; one that throws is logged and does not stop the others. */
  emit(change: TowerChange): void {
    this.cached = undefined;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) {
      try {
        listener(change, snapshot);
      } catch (error) {
        console.error(`haetae: a tower listener failed on ${change.kind}:`, error);
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The public status snapshot, rebuilt after each change. */
  snapshot(): StatusSnapshot {
    if (this.cached) return this.cached;
    const now = this.clock();
    const components = [...this.components.values()].map((c) => ({ ...c }));
    const all = [...this.incidents.values()].reverse();
    const open = all.filter((i) => i.status !== "resolved");
    const since = new Date(now.getTime() - this.settings.historyDays * 86_400_000).toISOString();
    const history = all.filter((i) => i.status === "resolved" && (i.resolvedAt ?? i.createdAt) >= since).slice(0, 50);
    const { indicator, description } = overallIndicator(
      components,
      open.map((i) => i.impact),
    );
    this.cached = Object.freeze({
      page: { id: this.settings.identity.pageId, name: this.page.name, url: this.page.url, updatedAt: this.updatedAt },
      indicator,
      description,
      components,
      incidents: open.map((i) => publicIncident(i, components)),
      history: history.map((i) => publicIncident(i, components)),
      maintenances: publicMaintenances(this.maintenances.values(), since),
    });
    return this.cached;
  }
}

/** A new random id for alerts, updates, follow-ups and maintenances. */
/** The log of a new incident: every field still to be written. */
export function emptyIncidentLog(): IncidentLog {
  return {
    summary: "",
    cause: "",
    trigger: "",
    fix: "",
    detection: "",
    wentWell: "",
    wentBadly: "",
    gotLucky: "",
    publicSummary: "",
    followUps: [],
  };
}

export function newOpsId(): string {
  return randomUUID();
}
