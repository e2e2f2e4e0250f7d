/** @module The status history as an Atom feed (RFC 4287): one entry per incident or maintenance update, newest first. */
import type { StatusSnapshot } from "../tower/model.js";
import { publicMaintenanceBody, publicTitle, publicUpdateBody } from "../tower/public-words.js";
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

/** One entry, in the labels' language, before it is rendered. */
interface Entry {
  id: string;
  title: string;
  at: string;
  link: string;
  status: string;
  body: string;
}

/** Render the feed in the labels' language; its `updated` is the page's, so an unchanged page yields the same bytes. */
export function renderAtomFeed(snapshot: StatusSnapshot, labels: StatusLabels): string {
  const base = snapshot.page.url.replace(/\/+$/, "");
  const entries: Entry[] = [];
  for (const incident of [...snapshot.incidents, ...snapshot.history]) {
    const link = incidentUrl(snapshot, incident.id);
    const title = publicTitle(incident, snapshot.components, labels.lang);
    for (const update of incident.updates) {
      entries.push({
        id: `${link}#update-${update.id}`,
        title: `${labels.incidentStatus[update.status]}: ${title}`,
        at: update.createdAt,
        link,
        status: update.status,
        body: publicUpdateBody(update, incident, snapshot.components, labels.lang),
      });
    }
  }
  for (const m of snapshot.maintenances) {
    const link = `${base}/status#maintenance-${encodeURIComponent(m.id)}`;
    // Windows stored before the tower posted updates have none to list; the page still shows them.
    for (const update of m.updates ?? []) {
      entries.push({
        // Maintenance updates' ids are UUIDs, permanent and unique: what an Atom id must be.
        id: `urn:uuid:${update.id}`,
        title: `${labels.maintenanceStatus[update.status]}: ${m.title}`,
        at: update.createdAt,
        link,
        status: update.status,
        body: publicMaintenanceBody(update, labels.lang),
      });
    }
  }
  entries.sort((a, b) => (a.at < b.at ? 1 : -1));
  const body = entries
    .slice(0, MAX_ENTRIES)
    .map(
      (entry) => `<entry>
<id>${xml(entry.id)}</id>
<title>${xml(entry.title)}</title>
<updated>${xml(entry.at)}</updated>
<published>${xml(entry.at)}</published>
<link rel="alternate" type="text/html" href="${xml(entry.link)}"/>
<category term="${xml(entry.status)}"/>
<content type="text">${xml(entry.body)}</content>
</entry>`,
    )
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
