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
  /** Set on a body worded in one language (the HTML and the feed): it is sent with `Vary: Accept-Language`. */
  language?: StatusLocale;
}

/** The documents the page serves at fixed paths. */
export type StatusDocument = "html" | "status" | "summary" | "atom" | StatuspageList;

/**
 * The static copies in `<data>/status/`, by file name. The page, the feed and the root JSON keep
 * their short names; every Statuspage v2 document sits at its URL path, so a web server rooted at
 * the folder answers `/api/v2/…` as the node does.
 */
export const STATIC_FILES: Readonly<Record<string, StatusDocument>> = {
  "index.html": "html",
  "status.json": "status",
  "summary.json": "summary",
  "history.atom": "atom",
  "api/v2/status.json": "status",
  "api/v2/summary.json": "summary",
  "api/v2/components.json": "components",
  "api/v2/incidents.json": "incidents",
  "api/v2/incidents/unresolved.json": "unresolved",
  "api/v2/scheduled-maintenances.json": "maintenances",
  "api/v2/scheduled-maintenances/upcoming.json": "upcoming",
  "api/v2/scheduled-maintenances/active.json": "active",
};

/** Rendered bodies live this long before a request renders them again (maintenance windows start and end by the clock). */
const FRESH_MS = 10_000;

function rendered(text: string, type: string, language?: StatusLocale): RenderedBody {
  const body = Buffer.from(text, "utf8");
  const out: RenderedBody = {
    body,
    type,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
  };
  if (language) out.language = language;
  return out;
}

/**
 * Holds the last `StatusSnapshot` in memory and serves only that: the page never reads the
 * chat store, so it keeps answering when the chat path is broken (the failure it reports).
 * Each new snapshot is rendered once per language asked for (the HTML and the feed are worded
 * in the reader's language; the JSON is one, in English) and also written to `<data>/status/`
 * (`STATIC_FILES`, in `statusLocale`) for a static server
 * to take over when the node itself is down.
 */
export class StatusPage {
  /** The words of `statusLocale`, the page's language when a request names none. */
  readonly labels: StatusLabels;
  private snapshot: StatusSnapshot | undefined;
  private bodies: Partial<Record<StatusLocale, { at: number; docs: Record<StatusDocument, RenderedBody> }>> = {};
  private readonly files: StatusFiles;

  constructor(
    dataDir: string,
    readonly locale: StatusLocale,
    private readonly now: () => Date = () => new Date(),
    /** Whether to keep the static copies in `<data>/status/` (only where the tower runs: one writer per folder). */
    private readonly options: { staticCopies: boolean } = { staticCopies: true },
  ) {
    this.labels = labelsFor(locale);
    this.files = new StatusFiles(join(dataDir, "status"));
  }

  /** Take a new snapshot; resolves when its static copy is written (the live page changes at once). */
  update(snapshot: StatusSnapshot): Promise<void> {
    this.snapshot = snapshot;
    this.bodies = {};
    const bodies = this.render(this.locale);
    if (!this.options.staticCopies) return Promise.resolve();
    return this.files.write(
      Object.fromEntries(Object.entries(STATIC_FILES).map(([file, doc]) => [file, bodies[doc].body.toString("utf8")])),
    );
  }

  /** Resolves when the static copies being written are on disk. */
  flush(): Promise<void> {
    return this.files.idle();
  }

  /** The snapshot being served, if the tower has given one. */
  get current(): StatusSnapshot | undefined {
    return this.snapshot;
  }

  /** One of the fixed documents in a language, rendered again when older than ten seconds. */
  document(name: StatusDocument, locale: StatusLocale = this.locale): RenderedBody | undefined {
    if (!this.snapshot) return undefined;
    const cached = this.bodies[locale];
    if (!cached || Date.now() - cached.at > FRESH_MS) return this.render(locale)[name];
    return cached.docs[name];
  }

  /** The page of one incident, current or past, in a language; undefined when the snapshot does not hold it. */
  incidentPage(id: string, locale: StatusLocale = this.locale): RenderedBody | undefined {
    const snapshot = this.snapshot;
    if (!snapshot) return undefined;
    const incident: Incident | undefined = [...snapshot.incidents, ...snapshot.history].find((i) => i.id === id);
    if (!incident) return undefined;
    return rendered(renderIncidentPage(snapshot, labelsFor(locale), incident), "text/html; charset=utf-8", locale);
  }

  private render(locale: StatusLocale): Record<StatusDocument, RenderedBody> {
    const snapshot = this.snapshot as StatusSnapshot;
    const now = this.now();
    const labels = labelsFor(locale);
    // The JSON is the same in every language: Statuspage's API is read by programs and widgets.
    const json = (value: unknown) => rendered(JSON.stringify(value), "application/json; charset=utf-8");
    const lists = Object.fromEntries(
      Object.entries(STATUSPAGE_LISTS).map(([name, make]) => [name, json(make(snapshot, now))]),
    ) as Record<StatuspageList, RenderedBody>;
    const docs: Record<StatusDocument, RenderedBody> = {
      html: rendered(renderStatusPage(snapshot, labels, now), "text/html; charset=utf-8", locale),
      status: json(statusJson(snapshot)),
      summary: json(summaryJson(snapshot, now)),
      atom: rendered(renderAtomFeed(snapshot, labels), "application/atom+xml; charset=utf-8", locale),
      ...lists,
    };
    this.bodies[locale] = { at: Date.now(), docs };
    return docs;
  }
}
