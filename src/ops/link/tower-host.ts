/** @module The tower's side of a link: answers the nodes' calls, publishes its feed, takes their SLI events. A transport (IPC, NATS, or memory in tests) carries these. */
import { SLIS, type SliEvent, type SliRecorder } from "../sli-recorder.js";
import type { Tower } from "../tower/tower.js";
import {
  answerCall,
  type FeedMessage,
  type LinkCall,
  type LinkReply,
  localTowerApi,
  type SignupsApi,
  type TowerApi,
  type TowerLink,
  unwrapReply,
} from "./tower-api.js";

/** What the host serves: the tower, the sign-ups where the subscriber file is, and the recorder SLI events go into. */
export interface TowerHostParts {
  tower: Tower;
  signups?: SignupsApi;
  sli: SliRecorder;
}

/** At most this many SLI events are taken from one report (a node reports every half second). */
const MAX_SLI_PER_REPORT = 50_000;

export class TowerHost {
  private readonly api: TowerApi;

  constructor(private readonly parts: TowerHostParts) {
    this.api = localTowerApi(parts.tower);
  }

  /** Answer one call from a node. */
  answer(call: LinkCall): Promise<LinkReply> {
    return answerCall(call, { tower: this.api, signups: this.parts.signups });
  }

  /** The state a new listener starts from. */
  state(): FeedMessage {
    return { snapshot: this.parts.tower.snapshot() };
  }

  /** Hear every public change as a feed message; returns the way to stop. */
  onChange(listener: (message: FeedMessage) => void): () => void {
    return this.parts.tower.subscribe((change, snapshot) => listener({ change, snapshot }));
  }

  /**
   * Take a node's SLI events into the tower's recorder (its impact meter and SLOs count them).
   * Events from the wire are checked one by one: a malformed one is dropped, never recorded.
   */
  takeSli(events: unknown): void {
    if (!Array.isArray(events)) return;
    for (const event of events.slice(0, MAX_SLI_PER_REPORT)) {
      if (isSliEvent(event)) this.parts.sli.record(event);
    }
  }
}

function isSliEvent(value: unknown): value is SliEvent {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    (SLIS as readonly unknown[]).includes(e.sli) &&
    typeof e.ok === "boolean" &&
    (e.source === "probe" || e.source === "traffic") &&
    typeof e.at === "number" &&
    Number.isFinite(e.at) &&
    (e.latencyMs === undefined || (typeof e.latencyMs === "number" && Number.isFinite(e.latencyMs))) &&
    (e.userId === undefined || typeof e.userId === "string")
  );
}

/**
 * A link to a host in the same process, through JSON as a real transport would carry it (so a
 * value that would not survive the wire fails here too). For tests, and for a process that
 * holds both a node and its tower.
 */
export function memoryLink(host: TowerHost): TowerLink {
  const offs = new Set<() => void>();
  const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    async call(call) {
      return unwrapReply(wire(await host.answer(wire(call))));
    },
    onFeed(listener) {
      queueMicrotask(() => listener(wire(host.state())));
      const off = host.onChange((message) => listener(wire(message)));
      offs.add(off);
      return () => {
        off();
        offs.delete(off);
      };
    },
    reportSli(events) {
      host.takeSli(wire(events));
    },
    async close() {
      for (const off of offs) off();
      offs.clear();
    },
  };
}
