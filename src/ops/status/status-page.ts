/** @module The status page's state: the last snapshot the tower gave, its rendered bodies, and their static copies. */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Incident, StatusSnapshot } from "../tower/model.js";
import { renderAtomFeed } from "./atom-feed.js";
import { StatusFiles } from "./status-files.js";
import { renderIncidentPage, renderStatusPage } from "./status-html.js";
import { labelsFor, type StatusLabels, type StatusLocale } from "./status-labels.js";
import { STATUSPAGE_LISTS, type StatuspageList, statusJson, summaryJson } from "./statuspage-json.js";

/** A body ready to send, with its type and entity tag. */
export interface RenderedBody {
  body: Buffer;
  type: string;
  etag: string;
}

/** The documents the page serves at fixed paths. */
export type StatusDocument = "html" | "status" | "summary" | "atom" | StatuspageList;

/** Rendered bodies live this long before a request renders them again (maintenance windows start and end by the clock). */
const FRESH_MS = 10_000;

function rendered(text: string, type: string): RenderedBody {
  const body = Buffer.from(text, "utf8");
  return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

/**
 * Holds the last `StatusSnapshot` in memory and serves only that: the page never reads the
 * chat store, so it keeps answering when the chat path is broken (the failure it reports).
 * Each new snapshot is rendered once and also written to `<data>/status/` (index.html,
 * status.json, summary.json, history.atom) for a static server to take over when the node
 * itself is down.
 */
export class StatusPage {
  readonly labels: StatusLabels;
  private snapshot: StatusSnapshot | undefined;
  private bodies: Record<StatusDocument, RenderedBody> | undefined;
  private renderedAt = 0;
  private readonly files: StatusFiles;

  constructor(
    dataDir: string,
    locale: StatusLocale,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.labels = labelsFor(locale);
    this.files = new StatusFiles(join(dataDir, "status"));
  }

  /** Take a new snapshot; resolves when its static copy is written (the live page changes at once). */
  update(snapshot: StatusSnapshot): Promise<void> {
    this.snapshot = snapshot;
    const bodies = this.render();
    return this.files.write({
      "index.html": bodies.html.body.toString("utf8"),
      "status.json": bodies.status.body.toString("utf8"),
      "summary.json": bodies.summary.body.toString("utf8"),
      "history.atom": bodies.atom.body.toString("utf8"),
    });
  }

  /** Resolves when the static copies being written are on disk. */
  flush(): Promise<void> {
    return this.files.idle();
  }

  /** The snapshot being served, if the tower has given one. */
  get current(): StatusSnapshot | undefined {
    return this.snapshot;
  }

  /** One of the fixed documents, rendered again when older than ten seconds. */
  document(name: StatusDocument): RenderedBody | undefined {
    if (!this.snapshot) return undefined;
    if (!this.bodies || Date.now() - this.renderedAt > FRESH_MS) return this.render()[name];
    return this.bodies[name];
  }

  /** The page of one incident, current or past; undefined when the snapshot does not hold it. */
  incidentPage(id: string): RenderedBody | undefined {
    const snapshot = this.snapshot;
    if (!snapshot) return undefined;
    const incident: Incident | undefined = [...snapshot.incidents, ...snapshot.history].find((i) => i.id === id);
    if (!incident) return undefined;
    return rendered(renderIncidentPage(snapshot, this.labels, incident), "text/html; charset=utf-8");
  }

  private render(): Record<StatusDocument, RenderedBody> {
    const snapshot = this.snapshot as StatusSnapshot;
    const now = this.now();
    const json = (value: unknown) => rendered(JSON.stringify(value), "application/json; charset=utf-8");
    const lists = Object.fromEntries(
      Object.entries(STATUSPAGE_LISTS).map(([name, make]) => [name, json(make(snapshot, now))]),
    ) as Record<StatuspageList, RenderedBody>;
    this.bodies = {
      html: rendered(renderStatusPage(snapshot, this.labels, now), "text/html; charset=utf-8"),
      status: json(statusJson(snapshot)),
      summary: json(summaryJson(snapshot, now)),
      atom: rendered(renderAtomFeed(snapshot, this.labels), "application/atom+xml; charset=utf-8"),
      ...lists,
    };
    this.renderedAt = Date.now();
    return this.bodies;
  }
}
