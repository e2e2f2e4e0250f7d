/** @module The incident banner's state: the last incident the server announced, unless resolved or dismissed. */
import type { IncidentNotice } from "../../../src/sdk/index.js";

/** Closing the banner hides this update of the incident; a new status shows it again. */
export class Incidents {
  private last: IncidentNotice | undefined;
  private readonly dismissed = new Set<string>();

  /** An `incident` event: the newest word on it replaces the old. */
  announce(incident: IncidentNotice): void {
    this.last = incident;
  }

  /** The incident to show now, if any. */
  get current(): IncidentNotice | undefined {
    const incident = this.last;
    if (!incident || incident.status === "resolved" || this.dismissed.has(key(incident))) return undefined;
    return incident;
  }

  dismiss(): void {
    if (this.last) this.dismissed.add(key(this.last));
  }
}

const key = (incident: IncidentNotice) => `${incident.id}:${incident.status}`;
