/** @module The control tower's own SQLite file (`<data>/ops.sqlite`): alerts, incidents, maintenances, component statuses, log search. */
import { join } from "node:path";
import type Database from "better-sqlite3";
import { makePrivateFolder } from "../../store/data-folder.js";
import { openPrivateDatabase } from "../../store/private-database.js";
import type { Alert, ComponentStatus, Incident, Maintenance } from "./model.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  dedup_key TEXT NOT NULL,
  state TEXT NOT NULL,
  last_fired_at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_dedup ON alerts(dedup_key);
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS maintenances (id TEXT PRIMARY KEY, ends_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS component_status (id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS incident_text USING fts5(incident_id UNINDEXED, body, tokenize = 'trigram');
`;

/** Everything the tower loads at start. */
export interface TowerState {
  alerts: Alert[];
  incidents: Incident[];
  maintenances: Maintenance[];
  manualStatuses: Map<string, { status: ComponentStatus; updatedAt: string }>;
}

/**
 * One saved document, as the store wrote it: what a cluster's leader copies to the other nodes
 * (src/ops/link/nats-replication.ts), and what `apply` writes into a replica. Upserts only:
 * applying a record twice, or an older one before a newer, ends in the newer.
 */
export type OpsRecord =
  | { kind: "alert"; alert: Alert }
  | { kind: "incident"; incident: Incident; number: number; text: string }
  | { kind: "maintenance"; maintenance: Maintenance }
  | { kind: "component"; id: string; status: ComponentStatus; at: string };

/** A search hit: the incident and the text it was found in. */
export interface TextHit {
  incidentId: string;
  body: string;
}

/**
 * Separate from the chat store on purpose: the tower must keep working, and the status page
 * keep telling the truth, while the chat store is the thing that is broken. Writes are
 * synchronous (better-sqlite3, WAL, `synchronous=NORMAL`: a crash of the process loses nothing;
 * a power cut may lose the last moments, which an alert source re-sends).
 */
export class OpsStore {
  private readonly db: Database.Database;

  /** `onSave` hears every document after it is written (a leader replicates them). */
  constructor(
    dataDir: string,
    private onSave?: (record: OpsRecord) => void,
  ) {
    makePrivateFolder(dataDir);
    this.db = openPrivateDatabase(join(dataDir, "ops.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
  }

  /**
   * Load the working set: unresolved alerts and those of the last `alertDays`, every incident
   * (a few thousand documents at most over years), every maintenance not long over.
   */
  load(alertDays: number, now: Date): TowerState {
    const since = new Date(now.getTime() - alertDays * 86_400_000).toISOString();
    const docs = <T>(sql: string, ...params: unknown[]) =>
      (this.db.prepare(sql).all(...params) as { doc: string }[]).map((r) => JSON.parse(r.doc) as T);
    const manualStatuses = new Map<string, { status: ComponentStatus; updatedAt: string }>();
    for (const row of this.db.prepare("SELECT * FROM component_status").all() as {
      id: string;
      status: ComponentStatus;
      updated_at: string;
    }[]) {
      manualStatuses.set(row.id, { status: row.status, updatedAt: row.updated_at });
    }
    return {
      alerts: docs<Alert>(
        "SELECT doc FROM alerts WHERE state != 'resolved' OR last_fired_at >= ? ORDER BY last_fired_at",
        since,
      ),
      incidents: docs<Incident>("SELECT doc FROM incidents ORDER BY number"),
      maintenances: docs<Maintenance>("SELECT doc FROM maintenances WHERE ends_at >= ? ORDER BY ends_at", since),
      manualStatuses,
    };
  }

  /** The next incident number (INC-1, INC-2, …), never reused. */
  nextIncidentNumber(): number {
    const row = this.db.prepare("SELECT max(number) AS n FROM incidents").get() as { n: number | null };
    return (row.n ?? 0) + 1;
  }

  saveAlert(alert: Alert): void {
    this.db
      .prepare(
        `INSERT INTO alerts (id, dedup_key, state, last_fired_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, last_fired_at = excluded.last_fired_at, doc = excluded.doc`,
      )
      .run(alert.id, alert.dedupKey, alert.state, alert.lastFiredAt, JSON.stringify(alert));
    this.onSave?.({ kind: "alert", alert });
  }

  /** Store an incident and its searchable text in one transaction. */
  saveIncident(incident: Incident, number: number, searchText: string): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO incidents (id, number, status, created_at, doc) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
        )
        .run(incident.id, number, incident.status, incident.createdAt, JSON.stringify(incident));
      this.db.prepare("DELETE FROM incident_text WHERE incident_id = ?").run(incident.id);
      this.db.prepare("INSERT INTO incident_text (incident_id, body) VALUES (?, ?)").run(incident.id, searchText);
    })();
    this.onSave?.({ kind: "incident", incident, number, text: searchText });
  }

  saveMaintenance(maintenance: Maintenance): void {
    this.db
      .prepare(
        `INSERT INTO maintenances (id, ends_at, doc) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET ends_at = excluded.ends_at, doc = excluded.doc`,
      )
      .run(maintenance.id, maintenance.endsAt, JSON.stringify(maintenance));
    this.onSave?.({ kind: "maintenance", maintenance });
  }

  saveComponentStatus(id: string, status: ComponentStatus, at: string): void {
    this.db
      .prepare(
        `INSERT INTO component_status (id, status, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      )
      .run(id, status, at);
    this.onSave?.({ kind: "component", id, status, at });
  }

  /** Write a record saved elsewhere (a replica of the leader's store); `onSave` does not hear it. */
  apply(record: OpsRecord): void {
    const onSave = this.onSave;
    this.onSave = undefined;
    try {
      if (record.kind === "alert") this.saveAlert(record.alert);
      else if (record.kind === "incident") this.saveIncident(record.incident, record.number, record.text);
      else if (record.kind === "maintenance") this.saveMaintenance(record.maintenance);
      else this.saveComponentStatus(record.id, record.status, record.at);
    } finally {
      this.onSave = onSave;
    }
  }

  /**
   * Full-text search over every incident's text, Korean and English alike. The trigram
   * tokenizer matches any substring of 3 or more characters (Korean words are often 2, and
   * carry particles, so word tokenizers miss them); shorter terms fall back to LIKE, a scan,
   * which is fine at the scale of an incident history. Every term must occur.
   */
  search(query: string, limit: number): TextHit[] {
    const terms = query
      .split(/\s+/)
      .map((t) => t.trim())
      .filter((t) => t !== "");
    if (terms.length === 0) return [];
    const long = terms.filter((t) => [...t].length >= 3);
    const short = terms.filter((t) => [...t].length < 3);
    const where: string[] = [];
    const params: unknown[] = [];
    if (long.length > 0) {
      where.push("incident_text MATCH ?");
      params.push(long.map((t) => `"${t.replaceAll('"', '""')}"`).join(" AND "));
    }
    for (const term of short) {
      where.push("body LIKE ? ESCAPE '\\'");
      params.push(`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const order = long.length > 0 ? "ORDER BY rank" : "";
    return this.db
      .prepare(
        `SELECT incident_id AS incidentId, body FROM incident_text WHERE ${where.join(" AND ")} ${order} LIMIT ?`,
      )
      .all(...params, limit) as TextHit[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
