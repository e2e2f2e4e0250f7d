/** @module The in-app incident banner: an `incident` frame to every connected session on every node, and to each new session while an incident is open. */
import type { IncidentEvent } from "../../protocol/index.js";
import { incidentUrl } from "../status/statuspage-json.js";
import type { Incident, StatusSnapshot, TowerChange } from "../tower/model.js";
import { publicTitle } from "../tower/public-words.js";

/**
 * The banner frame of one incident: its public title in English and in Korean (the client
 * shows its UI language's; an alert-opened incident's staff title never reaches users), and
 * its status and impact as codes the client words from its own dictionary.
 */
export function incidentFrame(snapshot: StatusSnapshot, incident: Incident): string {
  const titles = {
    en: publicTitle(incident, snapshot.components, "en"),
    ko: publicTitle(incident, snapshot.components, "ko"),
  };
  const event: IncidentEvent = {
    type: "incident",
    incident: {
      id: incident.id,
      title: titles.en,
      titles,
      status: incident.status,
      impact: incident.impact,
      url: incidentUrl(snapshot, incident.id),
    },
  };
  return JSON.stringify(event);
}

/**
 * Who hears it: every connected session. Each component (messaging, login, files) is used by
 * every user, so "users of the affected components" is everyone connected; a per-component
 * audience would cost a membership lookup in the chat store, the path that may be broken.
 * The frame goes to every session (over the bus, or to each node from its own feed) as not ephemeral, so degradation levels and a
 * slow reader's half-full queue do not shed it.
 */
export class IncidentBanner {
  private snapshot: StatusSnapshot | undefined;

  /** `publish` hands a frame to every session the banner is for. */
  constructor(private readonly publish: (frame: string) => void) {}

  /** Publish the banner of an incident change; other changes only refresh what new sessions get. */
  onChange(change: TowerChange, snapshot: StatusSnapshot): void {
    this.snapshot = snapshot;
    if (
      change.kind !== "incident.opened" &&
      change.kind !== "incident.updated" &&
      change.kind !== "incident.resolved"
    ) {
      return;
    }
    const frame = incidentFrame(snapshot, change.incident);
    this.publish(frame);
  }

  /** Start from the tower's current state (a node that starts mid-incident greets sessions with it). */
  prime(snapshot: StatusSnapshot): void {
    this.snapshot = snapshot;
  }

  /** The frames a new session gets after its `session` frame: one per open incident, oldest first. */
  greeting(): string[] {
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    return snapshot.incidents
      .filter((i) => i.status !== "resolved")
      .reverse()
      .map((i) => incidentFrame(snapshot, i));
  }
}
