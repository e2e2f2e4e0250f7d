/** @module The status history as an Atom feed (RFC 4287): one entry per incident update, newest first. */
import type { Incident, IncidentUpdate, StatusSnapshot } from "../tower/model.js";
import { publicTitle, publicUpdateBody } from "../tower/public-words.js";
import { escapeHtml } from "./status-html.js";
import type { StatusLabels } from "./status-labels.js";
import { incidentUrl } from "./statuspage-json.js";

/** Entries kept in the feed; readers poll it, and older updates stay on the page. */
const MAX_ENTRIES = 200;

/** XML text escaping is HTML's for these five characters; control characters XML forbids are dropped. */
function xml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot carry
  return escapeHtml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, ""));
}

/** Render the feed in the labels' language; its `updated` is the page's, so an unchanged page yields the same bytes. */
export function renderAtomFeed(snapshot: StatusSnapshot, labels: StatusLabels): string {
  const base = snapshot.page.url.replace(/\/+$/, "");
  const entries: { incident: Incident; update: IncidentUpdate }[] = [];
  for (const incident of [...snapshot.incidents, ...snapshot.history]) {
    for (const update of incident.updates) entries.push({ incident, update });
  }
  entries.sort((a, b) => (a.update.createdAt < b.update.createdAt ? 1 : -1));
  const body = entries
    .slice(0, MAX_ENTRIES)
    .map(({ incident, update }) => {
      const link = incidentUrl(snapshot, incident.id);
      const title = `${labels.incidentStatus[update.status]}: ${publicTitle(incident, snapshot.components, labels.lang)}`;
      return `<entry>
<id>${xml(`${link}#update-${update.id}`)}</id>
<title>${xml(title)}</title>
<updated>${xml(update.createdAt)}</updated>
<published>${xml(update.createdAt)}</published>
<link rel="alternate" type="text/html" href="${xml(link)}"/>
<category term="${xml(update.status)}"/>
<content type="text">${xml(publicUpdateBody(update, incident, snapshot.components, labels.lang))}</content>
</entry>`;
    })
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${labels.lang}">
<id>${xml(`${base}/status`)}</id>
<title>${xml(labels.statusOf(snapshot.page.name))}</title>
<updated>${xml(snapshot.page.updatedAt)}</updated>
<author><name>${xml(snapshot.page.name)}</name></author>
<link rel="self" type="application/atom+xml" href="${xml(`${base}/status/history.atom`)}"/>
<link rel="alternate" type="text/html" href="${xml(`${base}/status`)}"/>
${body}
</feed>
`;
}
