/** @module An incident's text for search and for likeness: what was written about it, in Korean or English. */
import type { Alert, Incident } from "./model.js";

/** Everything searchable about an incident, one block of text (the search index holds one row per incident). */
export function searchText(incident: Incident, alerts: ReadonlyMap<string, Alert>): string {
  const log = incident.log;
  return [
    incident.id,
    incident.title,
    incident.components.map((c) => c.id).join(" "),
    incident.alertIds.map((id) => alerts.get(id)?.name ?? "").join(" "),
    log.summary,
    log.cause,
    log.trigger,
    log.fix,
    log.detection,
    log.wentWell,
    log.wentBadly,
    log.gotLucky,
    log.publicSummary,
    ...log.followUps.map((f) => f.title),
    ...incident.updates.map((u) => u.body),
  ]
    .filter((part) => part.trim() !== "")
    .join("\n");
}

const HANGUL = /[\uac00-\ud7a3]/;

/**
 * Words for likeness: lowercase letters and digits of any script; Korean words also give their
 * two-syllable pieces, since particles stick to them ("메시지가", "메시지를" share "메시", "시지").
 */
export function tokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word.length < 2) continue;
    out.add(word);
    if (HANGUL.test(word)) {
      const chars = [...word];
      for (let i = 0; i + 1 < chars.length; i++) out.add(`${chars[i]}${chars[i + 1]}`);
    }
  }
  return out;
}

/** Jaccard likeness of two token sets, 0..1. */
export function likeness(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/** A few lines around the first place a query's terms occur, for a search result. */
export function snippet(body: string, query: string, width = 80): string {
  const lower = body.toLowerCase();
  const term = query
    .toLowerCase()
    .split(/\s+/)
    .find((t) => t !== "" && lower.includes(t));
  const at = term ? lower.indexOf(term) : 0;
  const start = Math.max(0, at - width / 2);
  const text = body.slice(start, start + width * 2).replace(/\s+/g, " ");
  return `${start > 0 ? "…" : ""}${text}${start + width * 2 < body.length ? "…" : ""}`;
}
