/** @module The public status page as server-rendered HTML: no script, small, readable in Korean and English. */
import { createHash } from "node:crypto";
import type { Incident, Maintenance, StatusSnapshot } from "../tower/model.js";
import { componentName, publicMaintenanceBody, publicTitle, publicUpdateBody } from "../tower/public-words.js";
import { labelsFor, type StatusLabels } from "./status-labels.js";
import { maintenanceStatus } from "./statuspage-json.js";

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/** Korea Standard Time, UTC+9 all year (no daylight saving). */
const KST_OFFSET_MS = 9 * 3_600_000;

/**
 * `2024-05-01 12:34 UTC` (English) or `2024-05-01 21:34 한국 시간` (Korean: the Korean page is
 * read in Korea, and a Korean sentence with "UTC" in it is half English) inside a
 * machine-readable `<time>`.
 */
function time(iso: string, labels: Pick<StatusLabels, "lang" | "timeZone">): string {
  const at = labels.lang === "ko" ? new Date(Date.parse(iso) + KST_OFFSET_MS).toISOString() : iso;
  const shown = `${at.slice(0, 10)} ${at.slice(11, 16)} ${labels.timeZone}`;
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;
}

// Korean glyphs come from the platform's Korean UI font (Apple SD Gothic Neo, Malgun Gothic,
// Noto Sans KR/CJK, Nanum); `keep-all` stops Korean words from breaking mid-word.
const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;
--ok:#1a7f37;--minor:#9a6700;--major:#bc4c00;--critical:#cf222e;--maint:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;
--ok:#3fb950;--minor:#d29922;--major:#f0883e;--critical:#f85149;--maint:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.55;word-break:keep-all;overflow-wrap:anywhere;
font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Malgun Gothic","Noto Sans KR","Noto Sans CJK KR","NanumGothic","Nanum Gothic",sans-serif}
header,main,footer{max-width:46rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.5rem}h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:0 0 .25rem}a{color:inherit}
.overall{border-radius:.5rem;padding:1rem 1.25rem;color:#fff;background:var(--ok)}
.overall h2{margin:0;font-size:1.25rem}.overall p{margin:.25rem 0 0}
.overall.minor{background:var(--minor)}.overall.major{background:var(--major)}
.overall.critical{background:var(--critical)}.overall.maintenance{background:var(--maint)}
ul.components{list-style:none;margin:0;padding:0;border:1px solid var(--line);border-radius:.5rem}
ul.components li{display:flex;justify-content:space-between;gap:1rem;padding:.6rem 1rem;border-top:1px solid var(--line)}
ul.components li:first-child{border-top:0}
.s{font-weight:600}.s.operational{color:var(--ok)}.s.degraded_performance{color:var(--minor)}
.s.partial_outage{color:var(--major)}.s.major_outage{color:var(--critical)}.s.under_maintenance{color:var(--maint)}
article{background:var(--card);border:1px solid var(--line);border-left:.3rem solid var(--muted);border-radius:.5rem;
padding:.9rem 1rem;margin:0 0 .9rem}
article.minor{border-left-color:var(--minor)}article.major{border-left-color:var(--major)}
article.critical{border-left-color:var(--critical)}article.maintenance{border-left-color:var(--maint)}
.meta{color:var(--muted);font-size:.9rem;margin:0 0 .5rem}
ol.updates{list-style:none;margin:0;padding:0}ol.updates li{padding:.35rem 0;border-top:1px dashed var(--line)}
.body{white-space:pre-line;margin:.15rem 0}
.postmortem{margin-top:.6rem;padding-top:.5rem;border-top:1px solid var(--line)}
.postmortem h4{margin:0 0 .25rem;font-size:.95rem}
footer{color:var(--muted);font-size:.9rem;padding:2rem 1rem}footer a{margin-right:1rem}
nav.lang{max-width:46rem;margin:0 auto;padding:.75rem 1rem 0;text-align:right;font-size:.9rem}nav.lang a{margin-left:.75rem}nav.lang a[aria-current]{font-weight:600;text-decoration:none}
`;

/** The stylesheet's CSP source: the page's one inline style is allowed by its hash, nothing else inline is. */
export const STYLE_HASH_SOURCE = `'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`;

/** A link of the page in its language: the language travels in the link, so the next page reads the same. */
function here(path: string, labels: StatusLabels): string {
  return `${path}?lang=${labels.lang}`;
}

/** The switch between languages: plain links (no script), each language named in itself. */
function languageSwitch(labels: StatusLabels): string {
  const links = [labelsFor("en"), labelsFor("ko")].map((other) =>
    other.lang === labels.lang
      ? `<a href="?lang=${other.lang}" lang="${other.lang}" aria-current="true">${escapeHtml(other.languageName)}</a>`
      : `<a href="?lang=${other.lang}" lang="${other.lang}" hreflang="${other.lang}">${escapeHtml(other.languageName)}</a>`,
  );
  return `<nav class="lang" aria-label="${escapeHtml(labels.languages)}">${links.join("")}</nav>`;
}

/** The page around a body; `switchable` false for a page whose address carries a token (the switch's links would drop it). */
function layout(labels: StatusLabels, title: string, body: string, switchable = true): string {
  const feed = here("/status/history.atom", labels);
  return `<!doctype html>
<html lang="${labels.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="alternate" type="application/atom+xml" href="${feed}" title="${escapeHtml(labels.feed)}">
<style>${STYLE}</style></head>
<body>${switchable ? languageSwitch(labels) : ""}${body}
<footer><a href="${feed}">${escapeHtml(labels.feed)}</a><a href="/status.json" translate="no">status.json</a><a href="/summary.json" translate="no">summary.json</a>
<p>${escapeHtml(labels.subscribe)}: <code translate="no">POST /status/subscribers</code></p></footer>
</body></html>
`;
}

function componentNames(snapshot: StatusSnapshot, labels: StatusLabels, ids: readonly string[]): string {
  return ids
    .map((id) => {
      const component = snapshot.components.find((c) => c.id === id);
      return component ? componentName(component, labels.lang) : id;
    })
    .join(", ");
}

/** One incident with all its updates (newest first) and, once published, its postmortem summary. */
function incidentArticle(snapshot: StatusSnapshot, labels: StatusLabels, incident: Incident, heading = "h3"): string {
  const updates = [...incident.updates]
    .reverse()
    .map(
      (u) =>
        `<li><strong>${escapeHtml(labels.incidentStatus[u.status])}</strong> — ${time(u.createdAt, labels)}` +
        `<p class="body">${escapeHtml(publicUpdateBody(u, incident, snapshot.components, labels.lang))}</p></li>`,
    )
    .join("");
  const affected = componentNames(
    snapshot,
    labels,
    incident.components.map((c) => c.id),
  );
  const postmortem = incident.log.publicSummary.trim()
    ? `<section class="postmortem"><h4>${escapeHtml(labels.postmortem)}</h4><p class="body">${escapeHtml(incident.log.publicSummary)}</p></section>`
    : "";
  const resolved = incident.resolvedAt
    ? ` · ${escapeHtml(labels.resolvedAt)} ${time(incident.resolvedAt, labels)}`
    : "";
  return (
    `<article class="incident ${incident.impact}" id="incident-${escapeHtml(incident.id)}">
<${heading}><a href="${here(`/status/incidents/${encodeURIComponent(incident.id)}`, labels)}">${escapeHtml(publicTitle(incident, snapshot.components, labels.lang))}</a></${heading}>
<p class="meta">${escapeHtml(labels.incidentStatus[incident.status])} · ${escapeHtml(labels.impact)}: ${escapeHtml(labels.impactName[incident.impact])}` +
    ` · ${escapeHtml(labels.affects)}: ${escapeHtml(affected || "—")}` +
    ` · ${escapeHtml(labels.started)} ${time(incident.createdAt, labels)}${resolved}</p>
<ol class="updates">${updates}</ol>${postmortem}</article>`
  );
}

/** One window with its updates, newest first: the tower's own in the page's language, staff's as written. */
function maintenanceArticle(snapshot: StatusSnapshot, labels: StatusLabels, m: Maintenance, now: Date): string {
  const state = labels.maintenanceStatus[maintenanceStatus(m, now)];
  const updates = m.updates?.length
    ? `<ol class="updates">${[...m.updates]
        .reverse()
        .map(
          (u) =>
            `<li><strong>${escapeHtml(labels.maintenanceStatus[u.status])}</strong> — ${time(u.createdAt, labels)}` +
            `<p class="body">${escapeHtml(publicMaintenanceBody(u, labels.lang))}</p></li>`,
        )
        .join("")}</ol>`
    : // A window stored before the tower posted updates: only staff's words.
      `<p class="body">${escapeHtml(m.body)}</p>`;
  return `<article class="maintenance" id="maintenance-${escapeHtml(m.id)}"><h3>${escapeHtml(m.title)}</h3>
<p class="meta">${escapeHtml(state)} · ${time(m.startsAt, labels)} – ${time(m.endsAt, labels)} · ${escapeHtml(labels.affects)}: ${escapeHtml(componentNames(snapshot, labels, m.components) || "—")}</p>
${updates}</article>`;
}

function overall(snapshot: StatusSnapshot, labels: StatusLabels): string {
  const description = labels.indicator[snapshot.indicator] ?? snapshot.description;
  return `<section class="overall ${snapshot.indicator}" aria-live="polite"><h2>${escapeHtml(description)}</h2>
<p>${escapeHtml(labels.updated)} ${time(snapshot.page.updatedAt, labels)}</p></section>`;
}

/** `GET /status`: overall state, current incidents, components, planned maintenance, history. */
export function renderStatusPage(snapshot: StatusSnapshot, labels: StatusLabels, now: Date): string {
  const current = snapshot.incidents.filter((i) => i.status !== "resolved");
  const components = snapshot.components
    .map(
      (c) =>
        `<li><span>${escapeHtml(componentName(c, labels.lang))}</span><span class="s ${c.status}">${escapeHtml(labels.componentStatus[c.status])}</span></li>`,
    )
    .join("\n");
  const maintenances = snapshot.maintenances.filter((m) => maintenanceStatus(m, now) !== "completed");
  const history = [...snapshot.history, ...snapshot.incidents.filter((i) => i.status === "resolved")];
  const body = `<header><h1>${escapeHtml(labels.statusOf(snapshot.page.name))}</h1></header>
<main>${overall(snapshot, labels)}
<section aria-labelledby="current"><h2 id="current">${escapeHtml(labels.current)}</h2>
${current.length ? current.map((i) => incidentArticle(snapshot, labels, i)).join("\n") : `<p>${escapeHtml(labels.noCurrent)}</p>`}</section>
<section aria-labelledby="components"><h2 id="components">${escapeHtml(labels.components)}</h2>
<ul class="components">${components}</ul></section>
${
  maintenances.length
    ? `<section aria-labelledby="maintenances"><h2 id="maintenances">${escapeHtml(labels.maintenances)}</h2>
${maintenances.map((m) => maintenanceArticle(snapshot, labels, m, now)).join("\n")}</section>`
    : ""
}
<section aria-labelledby="history"><h2 id="history">${escapeHtml(labels.history)}</h2>
${history.length ? history.map((i) => incidentArticle(snapshot, labels, i)).join("\n") : `<p>${escapeHtml(labels.noHistory)}</p>`}</section>
</main>`;
  return layout(labels, labels.statusOf(snapshot.page.name), body);
}

/** `GET /status/incidents/<id>`: one incident's page (where the in-app banner links). */
export function renderIncidentPage(snapshot: StatusSnapshot, labels: StatusLabels, incident: Incident): string {
  const body = `<header><p><a href="${here("/status", labels)}">← ${escapeHtml(labels.backToPage)}</a></p></header>
<main>${incidentArticle(snapshot, labels, incident, "h1")}</main>`;
  const title = publicTitle(incident, snapshot.components, labels.lang);
  return layout(labels, `${title} — ${labels.statusOf(snapshot.page.name)}`, body);
}

/** The 404 page of an incident id the snapshot does not hold. */
/** The page a confirmation link opens: one button that POSTs the link back, so a mere fetch of the link confirms nothing. */
export function renderConfirmForm(action: string, labels: StatusLabels): string {
  const body = `<main><p>${escapeHtml(labels.confirmQuestion)}</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(labels.confirmButton)}</button></form></main>`;
  return layout(labels, labels.confirmButton, body, false);
}

export function renderNotFound(snapshot: StatusSnapshot | undefined, labels: StatusLabels): string {
  const body = `<header><p><a href="${here("/status", labels)}">← ${escapeHtml(labels.backToPage)}</a></p></header>
<main><h1>404</h1><p>${escapeHtml(labels.notFound)}</p></main>`;
  return layout(labels, labels.statusOf(snapshot?.page.name ?? "Haetae"), body);
}
