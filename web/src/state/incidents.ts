/** @module The incident banner's state: every open incident the server announced, newest shown first, unless dismissed; corrected by the status page while the server is away. */
import type { IncidentNotice } from "../../../src/sdk/index.js";

/** What `learn` reads of the status page's answer (an answered report of status-summary.ts). */
export interface StatusPageWord {
  /** Its unresolved incidents. */
  open: readonly { id: string; status: string }[];
  /** Its `page.url`, "" when unknown. */
  pageUrl: string;
}

/** The statuses the banner shows, as the status page may report them. */
const OPEN_STATUSES = new Set<string>(["investigating", "identified", "monitoring"]);

/**
 * Several incidents may be open at once: each is kept by id, so resolving one does not hide
 * another. Closing the banner hides this update of the incident; a new status shows it again.
 */
export class Incidents {
  /** Open incidents by id, in the order of their latest announcement (Map keeps insertion order). */
  private readonly open = new Map<string, IncidentNotice>();
  private readonly dismissed = new Set<string>();

  /** An `incident` event: the newest word on an incident replaces the old; `resolved` removes it. */
  announce(incident: IncidentNotice): void {
    this.open.delete(incident.id);
    if (incident.status !== "resolved") this.open.set(incident.id, incident);
  }

  /** The incident to show now: the most recently announced one not dismissed at its current status. */
  get current(): IncidentNotice | undefined {
    const newestFirst = [...this.open.values()].reverse();
    return newestFirst.find((incident) => !this.dismissed.has(key(incident)));
  }

  /** How many open incidents there are, shown or not. */
  get count(): number {
    return this.open.size;
  }

  /**
   * What the status page said while the server cannot be reached: it is newer than the last
   * frame. An incident it lists takes the status it gives; one that links below the same page
   * (`pageUrl`) but is no longer listed was resolved meanwhile and goes. Incidents of another
   * page (a status page elsewhere, with ids of its own) stay as announced; the frames of the next
   * connection correct anything. True when something changed.
   */
  learn(report: StatusPageWord): boolean {
    const ownPage = report.pageUrl === "" ? undefined : `${report.pageUrl}/status/incidents/`;
    let changed = false;
    for (const [id, incident] of this.open) {
      const listed = report.open.find((i) => i.id === id);
      if (listed && OPEN_STATUSES.has(listed.status) && listed.status !== incident.status) {
        // Set in place: a status heard from the page keeps the incident's place in the order.
        this.open.set(id, { ...incident, status: listed.status as IncidentNotice["status"] });
        changed = true;
      } else if (!listed && ownPage !== undefined && incident.url.startsWith(ownPage)) {
        this.open.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  dismiss(): void {
    const shown = this.current;
    if (shown) this.dismissed.add(key(shown));
  }
}

const key = (incident: IncidentNotice) => `${incident.id}:${incident.status}`;
