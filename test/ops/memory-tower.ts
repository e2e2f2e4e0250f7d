/** @module A small in-memory TowerFeed for propagation tests: opens, updates and resolves incidents and emits each change with its snapshot. */
import {
  COMPONENT_STATUS_RANK,
  type Component,
  type ComponentStatus,
  type Impact,
  type Incident,
  type IncidentStatus,
  type Indicator,
  type Maintenance,
  type Severity,
  type StatusSnapshot,
  type TowerChange,
  type TowerFeed,
} from "../../src/ops/tower/model.js";
import { emptyIncidentLog } from "../../src/ops/tower/tower-core.js";

const DESCRIPTIONS: Record<Indicator, string> = {
  none: "All Systems Operational",
  minor: "Minor Service Outage",
  major: "Partial System Outage",
  critical: "Major System Outage",
  maintenance: "Service Under Maintenance",
};
const IMPACT_RANK: Record<Impact, number> = { none: 0, minor: 1, major: 2, critical: 3 };

/** The components the tests use, as the tower would define them. */
export const TEST_COMPONENTS: Omit<Component, "status" | "updatedAt" | "createdAt">[] = [
  { id: "messaging", name: "Messaging", description: "Sending and receiving messages", function: "messaging" },
  { id: "login", name: "Login", description: "Signing in", function: "login" },
  { id: "files", name: "Files", description: "Attachments", function: "files" },
];

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}-${process.pid}`;

/**
 * Keeps incidents and maintenances in memory and rebuilds the snapshot on every change, the way
 * the real tower does: a component's status is the worst any open incident gives it.
 */
export class MemoryTower implements TowerFeed {
  private readonly listeners = new Set<(change: TowerChange, snapshot: StatusSnapshot) => void>();
  private readonly incidents = new Map<string, Incident>();
  private readonly maintenances: Maintenance[] = [];
  private components: Component[];
  private current: StatusSnapshot;

  constructor(private readonly pageUrl: string) {
    const at = new Date().toISOString();
    this.components = TEST_COMPONENTS.map((c) => ({ ...c, status: "operational", updatedAt: at, createdAt: at }));
    this.current = this.build();
  }

  snapshot(): StatusSnapshot {
    return this.current;
  }

  subscribe(listener: (change: TowerChange, snapshot: StatusSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  open(input: {
    title: string;
    components: { id: string; status: ComponentStatus }[];
    impact?: Impact;
    severity?: Severity;
    body?: string;
    /** `alert`: opened by an alert, so `title` is staff text and the public reads worded titles. */
    origin?: Incident["origin"];
  }): Incident {
    const at = new Date().toISOString();
    const severity = input.severity ?? "SEV2";
    const incident: Incident = {
      id: nextId("inc"),
      title: input.title,
      status: "investigating",
      severity,
      gradedSeverity: severity,
      impact: input.impact ?? "major",
      components: input.components,
      origin: input.origin ?? "declared",
      createdAt: at,
      measured: {
        durationMs: 0,
        sendsAttempted: 0,
        sendsFailed: 0,
        usersAffected: 0,
        userShare: 0,
        sendFailureShare: 0,
        probesRun: 0,
        probesFailed: 0,
      },
      updates: [
        {
          id: nextId("upd"),
          status: "investigating",
          body: input.body ?? "We are looking into it.",
          createdAt: at,
          by: "oncall",
        },
      ],
      timeline: [],
      log: emptyIncidentLog(),
      alertIds: [],
    };
    this.incidents.set(incident.id, incident);
    this.emit({ kind: "incident.opened", incident, text: incident.updates[0]?.body ?? "" });
    return incident;
  }

  update(id: string, status: IncidentStatus, body: string, publicSummary?: string): Incident {
    const old = this.incidents.get(id);
    if (!old) throw new Error(`no incident ${id}`);
    const at = new Date(Math.max(Date.now(), Date.parse(old.updates.at(-1)?.createdAt ?? "0") + 1)).toISOString();
    const incident: Incident = {
      ...old,
      status,
      updates: [...old.updates, { id: nextId("upd"), status, body, createdAt: at, by: "oncall" }],
      log: { ...old.log, publicSummary: publicSummary ?? old.log.publicSummary },
    };
    if (status === "monitoring") incident.monitoringAt = at;
    if (status === "resolved") incident.resolvedAt = at;
    this.incidents.set(id, incident);
    this.emit({ kind: status === "resolved" ? "incident.resolved" : "incident.updated", incident, text: body });
    return incident;
  }

  scheduleMaintenance(input: Omit<Maintenance, "id" | "createdBy">): Maintenance {
    const maintenance: Maintenance = { ...input, id: nextId("mnt"), createdBy: "oncall" };
    this.maintenances.push(maintenance);
    this.emit({ kind: "maintenance.scheduled", maintenance });
    return maintenance;
  }

  private emit(change: TowerChange): void {
    this.current = this.build();
    for (const listener of this.listeners) {
      try {
        listener(change, this.current);
      } catch (error) {
        console.error("tower listener failed:", error);
      }
    }
  }

  private build(): StatusSnapshot {
    const at = new Date().toISOString();
    const open = [...this.incidents.values()].filter((i) => i.status !== "resolved");
    this.components = this.components.map((c) => {
      let status: ComponentStatus = "operational";
      for (const incident of open) {
        const given = incident.components.find((ic) => ic.id === c.id)?.status;
        if (given && COMPONENT_STATUS_RANK[given] > COMPONENT_STATUS_RANK[status]) status = given;
      }
      return status === c.status ? c : { ...c, status, updatedAt: at };
    });
    const worst = open.reduce<Impact>((w, i) => (IMPACT_RANK[i.impact] > IMPACT_RANK[w] ? i.impact : w), "none");
    const indicator: Indicator = worst;
    const newestFirst = (a: Incident, b: Incident) => (a.createdAt < b.createdAt ? 1 : -1);
    return {
      page: { id: "memorytower1", name: "Haetae", url: this.pageUrl, updatedAt: at },
      indicator,
      description: DESCRIPTIONS[indicator],
      components: this.components,
      incidents: open.sort(newestFirst),
      history: [...this.incidents.values()].filter((i) => i.status === "resolved").sort(newestFirst),
      maintenances: [...this.maintenances],
    };
  }
}
