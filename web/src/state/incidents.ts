/** @module The incident banner's state: every open incident the server announced, newest shown first, unless dismissed. */
import type { IncidentNotice } from "../../../src/sdk/index.js";

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

  dismiss(): void {
    const shown = this.current;
    if (shown) this.dismissed.add(key(shown));
  }
}

const key = (incident: IncidentNotice) => `${incident.id}:${incident.status}`;
