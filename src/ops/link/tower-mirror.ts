/** @module A tower that runs elsewhere, seen as a feed: the last snapshot it published, and each change as it arrives. */
import type { StatusSnapshot, TowerChange, TowerFeed } from "../tower/model.js";
import type { FeedMessage } from "./tower-api.js";

/**
 * What a node shows before its tower has spoken (the tower's process starting, or no leader
 * yet): no incident is claimed and none is hidden; the page says it does not know yet.
 */
export function unknownSnapshot(now: Date): StatusSnapshot {
  const at = now.toISOString();
  return {
    page: { id: "", name: "Haetae", url: "", updatedAt: at },
    indicator: "none",
    description: "Status not known yet",
    components: [],
    incidents: [],
    history: [],
    maintenances: [],
  };
}

/**
 * A `TowerFeed` fed by a link: the node's status page, banner and staff chat attach to it as they
 * would to a tower in the process. A message without a change (the state a new listener starts
 * from, or the state after a new leader took over) is passed on as no change to listeners, who
 * refresh from its snapshot; `onState` hears it.
 */
export class TowerMirror implements TowerFeed {
  private current: StatusSnapshot | undefined;
  private readonly listeners = new Set<(change: TowerChange, snapshot: StatusSnapshot) => void>();
  private readonly stateListeners = new Set<(snapshot: StatusSnapshot) => void>();

  /** Whether the tower has published anything yet. */
  get known(): boolean {
    return this.current !== undefined;
  }

  snapshot(): StatusSnapshot {
    return this.current ?? unknownSnapshot(new Date());
  }

  subscribe(listener: (change: TowerChange, snapshot: StatusSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hear whole states (the first, and each after a change of leader): refresh without announcing. */
  onState(listener: (snapshot: StatusSnapshot) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Take one message of the feed. */
  apply(message: FeedMessage): void {
    this.current = message.snapshot;
    if (!message.change) {
      for (const listener of this.stateListeners) this.safely(() => listener(message.snapshot));
      return;
    }
    const change = message.change;
    for (const listener of this.listeners) this.safely(() => listener(change, message.snapshot));
  }

  private safely(run: () => void): void {
    try {
      run();
    } catch (error) {
      console.error("haetae: a tower feed listener failed:", error);
    }
  }
}
