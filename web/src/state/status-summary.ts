/** @module Reads the status page's Statuspage-shaped summary (`/api/v2/summary.json`) into what the connection banner says: a known incident, nothing known, or no answer. */

/** One unresolved incident as the status page tells it. */
export interface OutageIncident {
  /** The status page's id: the tower's, the same as the in-app banner's for the tower's own page. */
  id: string;
  /** The incident's public title, in the status page's words. */
  title: string;
  /** Statuspage's incident status: investigating, identified, monitoring. */
  status: string;
  /** When it started (ISO time). */
  since: string;
  /** Its page on the status site. */
  link: string;
}

/** What every answer of the status page carries besides what it says first. */
interface Answered {
  /** Every unresolved incident, the worst first (the one the report tells when it is about an incident). */
  open: OutageIncident[];
  /** The page's `page.url` ("" when missing): the in-app banner's incidents link below it when it is the same page. */
  pageUrl: string;
}

/** What the status page says while the chat server does not answer. */
export type OutageReport =
  | ({ kind: "incident" } & OutageIncident & Answered)
  | ({ kind: "maintenance"; title: string; since: string; until: string; link: string } & Answered)
  /** The status page answered and knows of nothing wrong. */
  | ({ kind: "clear"; link: string } & Answered)
  /** The status page did not answer either (or answered something that is not a summary). */
  | { kind: "unreachable"; link: string };

/** A status page that takes longer than this is as good as down for someone waiting to send. */
const SUMMARY_TIMEOUT_MS = 5000;

/** Statuspage's incident impact, worst last: the worst open incident is the one to tell. */
const IMPACTS = ["none", "minor", "major", "critical"];

interface SummaryIncident {
  id?: unknown;
  name?: unknown;
  status?: unknown;
  impact?: unknown;
  started_at?: unknown;
  created_at?: unknown;
  shortlink?: unknown;
  scheduled_until?: unknown;
}

/**
 * Ask the status page at `base` ("" is this page's origin). No credentials: it is public, and a
 * status page elsewhere must not get this site's cookies. `language` asks for the titles in the
 * UI's language where the page speaks it (Accept-Language needs no CORS preflight).
 */
export async function readStatusSummary(base: string, language: string): Promise<OutageReport> {
  const link = `${base}/status`;
  let body: unknown;
  try {
    const response = await fetch(`${base}/api/v2/summary.json`, {
      credentials: "omit",
      cache: "no-store",
      headers: { "accept-language": language },
      signal: AbortSignal.timeout(SUMMARY_TIMEOUT_MS),
    });
    if (!response.ok) return { kind: "unreachable", link };
    body = await response.json();
  } catch {
    return { kind: "unreachable", link };
  }
  const summary = body as { incidents?: unknown; scheduled_maintenances?: unknown; page?: { url?: unknown } };
  if (!summary || !Array.isArray(summary.incidents)) return { kind: "unreachable", link };
  const incidents = (summary.incidents as SummaryIncident[]).filter(
    (i) => typeof i?.name === "string" && i.status !== "resolved" && i.status !== "postmortem",
  );
  // The worst impact first; among equals the most recent, the likeliest cause of what just broke.
  incidents.sort(
    (a, b) =>
      IMPACTS.indexOf(String(b.impact)) - IMPACTS.indexOf(String(a.impact)) || startOf(b).localeCompare(startOf(a)),
  );
  const answered: Answered = {
    open: incidents.map((i) => ({
      id: typeof i.id === "string" ? i.id : "",
      title: i.name as string,
      status: String(i.status),
      since: startOf(i),
      link: webLink(i.shortlink, link),
    })),
    pageUrl: typeof summary.page?.url === "string" ? summary.page.url.replace(/\/+$/, "") : "",
  };
  const worst = answered.open[0];
  if (worst) return { kind: "incident", ...worst, ...answered };
  const maintenances = Array.isArray(summary.scheduled_maintenances)
    ? (summary.scheduled_maintenances as SummaryIncident[])
    : [];
  const maintenance = maintenances.find((m) => m?.status === "in_progress" && typeof m.name === "string");
  if (maintenance) {
    return {
      kind: "maintenance",
      title: maintenance.name as string,
      since: startOf(maintenance),
      until: typeof maintenance.scheduled_until === "string" ? maintenance.scheduled_until : "",
      link: webLink(maintenance.shortlink, link),
      ...answered,
    };
  }
  return { kind: "clear", link, ...answered };
}

/** A link from the status page's answer, only if it is a web address (never `javascript:`). */
function webLink(value: unknown, fallback: string): string {
  return typeof value === "string" && /^https?:\/\//.test(value) ? value : fallback;
}

function startOf(incident: SummaryIncident): string {
  const at = incident.started_at ?? incident.created_at;
  return typeof at === "string" ? at : "";
}

/**
 * What the connection notice still has to tell while the in-app banner shows `shown`: the
 * report, less that incident. The worst other open incident when there is one; `shown` when the
 * banner's incident was the only one (the notice then points at the banner instead of saying it
 * twice). Only an incident shows in both places: maintenance and "nothing known" do not.
 */
export function untold(
  report: OutageReport,
  shown: { id: string } | undefined,
): OutageReport | { kind: "shown"; link: string } {
  if (report.kind !== "incident" || !shown || !report.open.some((i) => i.id === shown.id)) return report;
  const rest = report.open.filter((i) => i.id !== shown.id);
  const next = rest[0];
  return next ? { ...report, ...next, open: rest } : { kind: "shown", link: report.link };
}
