/** @module The ops HTTP API (`/api/v1/ops/…`) as the console calls it, with the signed-in device's token, and the shapes it answers. */
import type { Incident, Severity } from "../../../src/ops/tower/model.js";
import { HaetaeRequestError } from "../../../src/sdk/request-error.js";

/** Who the server says is signed in (`GET /me`). */
export interface Actor {
  username: string;
  role: "user" | "staff" | "admin";
}

/** A past incident like the open one, with what fixed it (`GET /incidents/:id/similar`). */
export interface SimilarIncident {
  incident: Pick<Incident, "id" | "title" | "severity" | "status" | "createdAt" | "resolvedAt" | "components">;
  score: number;
  reasons: string[];
  cause: string;
  fix: string;
  followUps: Incident["log"]["followUps"];
}

/** One hit of the log search (`GET /logs/search`). */
export interface LogSearchHit {
  incident: Pick<Incident, "id" | "title" | "severity" | "status" | "createdAt" | "resolvedAt">;
  snippet: string;
}

/** An open follow-up past its due date (`GET /follow-ups/overdue`). */
export interface OverdueFollowUp {
  incidentId: string;
  incidentTitle: string;
  severity: Severity;
  followUp: Incident["log"]["followUps"][number];
}

/** Mean times over a set of incidents, in seconds (null when none qualifies). */
export interface MeanTimes {
  incidents: number;
  acknowledged: number;
  mttaSeconds: number | null;
  resolved: number;
  mttrSeconds: number | null;
}

/** `GET /stats`: MTTA and MTTR overall, per severity, per month (newest first). */
export interface TowerStats {
  overall: MeanTimes;
  bySeverity: Record<Severity, MeanTimes>;
  byMonth: (MeanTimes & { month: string; bySeverity: Record<Severity, MeanTimes> })[];
}

/**
 * Calls the ops API. Every refusal reaches the screen as the server's code and words: the
 * console decides nothing about access itself, the server does (a plain user gets `forbidden`
 * from every endpoint, and the console shows exactly that).
 */
export class OpsApi {
  constructor(private readonly token: string) {}

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size > 0 ? `?${params}` : "";
    return this.call<T>("GET", `${path}${search}`);
  }

  /** POST, PUT or PATCH a JSON body. */
  send<T>(method: "POST" | "PUT" | "PATCH", path: string, body: unknown = {}): Promise<T> {
    return this.call<T>(method, path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`/api/v1/ops${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new HaetaeRequestError("network_error", `${path}: ${(error as Error).message}`);
    }
    const json = (await response.json().catch(() => undefined)) as
      | { error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown } }
      | undefined;
    if (response.ok) return json as T;
    const error = json?.error;
    if (typeof error?.code === "string") {
      const retryAfterMs = typeof error.retryAfterMs === "number" ? error.retryAfterMs : undefined;
      throw new HaetaeRequestError(error.code, String(error.message ?? error.code), retryAfterMs);
    }
    throw new HaetaeRequestError("bad_response", `${path}: HTTP ${response.status}`);
  }
}
