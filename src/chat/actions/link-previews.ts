/**
 * @module Link previews: after a send or an edit committed, the first link of the text is
 * fetched in the background (a bounded queue, a few at a time, shed under load), once per URL
 * (cached, failures too), and the preview attached to the message in a write of its own that
 * every device hears as `message.preview`.
 */

import { proxyEntries } from "../../config/address-list.js";
import type { Config } from "../../config/config.js";
import { type AddressPolicy, policyAllowing } from "../../guard/url-policy.js";
import { HaetaeError, type LinkPreview, type Message } from "../../protocol/index.js";
import type { LinkPreviewRecord } from "../../store/store.js";
import { type ChatContext, newId, publishEvent } from "../context.js";
import { firstLink } from "../link-preview/first-link.js";
import { guardedFetch } from "../link-preview/guarded-fetch.js";
import { decodePage, parsePage } from "../link-preview/parse-page.js";
import { storePreviewImage } from "../link-preview/preview-image.js";

/** The settings link previews run with (docs/config.md). */
export type LinkPreviewSettings = Pick<
  Config,
  | "linkPreviews"
  | "linkPreviewTimeoutMs"
  | "linkPreviewMaxBytes"
  | "linkPreviewImageMaxBytes"
  | "linkPreviewTtlMs"
  | "linkPreviewFailureTtlMs"
  | "linkPreviewConcurrency"
  | "linkPreviewQueueLimit"
  | "linkPreviewAllowPrivate"
  | "maxImagePixels"
>;

/** A message waiting for its preview: attached only while its text is still this text. */
interface PreviewJob {
  conversationId: string;
  seq: number;
  text: string;
  url: string;
}

/** The preview a message shows of a cache record (which must hold one). */
export function previewOf(record: LinkPreviewRecord): LinkPreview {
  const preview: LinkPreview = { url: record.url, ...record.preview };
  if (record.imageSha256 !== undefined) preview.imageUrl = `/api/v1/previews/${record.id}/image`;
  return preview;
}

/** Counts of what happened to offered links, for tests and metrics. */
export interface PreviewCounts {
  fetched: number;
  cached: number;
  attached: number;
  failed: number;
  shed: number;
}

/**
 * The node's preview worker. `offer` never waits and never throws: a send's ack does not depend
 * on it (G1's latency), and a link that cannot be previewed simply gets none.
 */
export class LinkPreviewer {
  private readonly queue: PreviewJob[] = [];
  private running = 0;
  private readonly inFlight = new Map<string, Promise<LinkPreviewRecord>>();
  private readonly policy: AddressPolicy;
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;
  readonly counts: PreviewCounts = { fetched: 0, cached: 0, attached: 0, failed: 0, shed: 0 };

  constructor(
    private readonly ctx: ChatContext,
    private readonly settings: LinkPreviewSettings,
  ) {
    this.policy = policyAllowing(proxyEntries(settings.linkPreviewAllowPrivate));
  }

  /** Queue the preview of a stored message's first link, unless previews are off, shed or the queue is full. */
  offer(message: Message): void {
    if (!this.settings.linkPreviews || this.stopped || message.deleted) return;
    const url = firstLink(message.text);
    if (url === undefined) return;
    // The lowest-priority work there is: gone at the first sign of load (guard/load-levels.ts).
    if (this.ctx.load.level >= 1 || this.queue.length >= this.settings.linkPreviewQueueLimit) {
      this.counts.shed += 1;
      return;
    }
    this.queue.push({ conversationId: message.conversationId, seq: message.seq, text: message.text, url });
    this.pump();
  }

  /** Resolves when nothing is queued or running (tests wait for it). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Take no more work; what runs finishes against its deadline. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.running < this.settings.linkPreviewConcurrency && this.queue.length > 0) {
      const job = this.queue.shift() as PreviewJob;
      this.running += 1;
      this.run(job)
        .catch((error: Error) => console.warn(`link preview of ${job.url}: ${error.message}`))
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        });
    }
  }

  private async run(job: PreviewJob): Promise<void> {
    const record = await this.recordFor(job.url);
    if (!record.preview || this.stopped) return;
    const written = await this.ctx.store.attachPreview(
      job.conversationId,
      job.seq,
      job.text,
      record.id,
      previewOf(record),
      this.ctx.now().toISOString(),
    );
    if (!written) return; // edited or deleted meanwhile: that write wins
    this.counts.attached += 1;
    if (written.event) await publishEvent(this.ctx, written.audience, written.event);
  }

  /** The cached record of `url` while fresh; else one fetch, shared by every job that asks meanwhile. */
  private async recordFor(url: string): Promise<LinkPreviewRecord> {
    const cached = await this.ctx.store.getLinkPreview(url);
    if (cached && Date.parse(cached.expiresAt) > this.ctx.now().getTime()) {
      this.counts.cached += 1;
      return cached;
    }
    const running = this.inFlight.get(url);
    if (running) {
      this.counts.cached += 1;
      return running;
    }
    const fetching = this.fetchAndSave(url, cached?.id).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, fetching);
    return fetching;
  }

  private async fetchAndSave(url: string, knownId: string | undefined): Promise<LinkPreviewRecord> {
    this.counts.fetched += 1;
    const now = this.ctx.now();
    const limits = { policy: this.policy, timeoutMs: this.settings.linkPreviewTimeoutMs };
    let preview: LinkPreviewRecord["preview"];
    let image: Awaited<ReturnType<typeof storePreviewImage>> | undefined;
    try {
      const page = await guardedFetch(url, {
        ...limits,
        maxBytes: this.settings.linkPreviewMaxBytes,
        accept: "text/html,application/xhtml+xml;q=0.9",
      });
      const type = page.contentType.split(";")[0]?.trim().toLowerCase();
      if (type !== "text/html" && type !== "application/xhtml+xml") throw new Error(`not HTML (${type || "no type"})`);
      const summary = parsePage(decodePage(page.body, page.contentType), page.url);
      if (summary.title === undefined && summary.description === undefined) throw new Error("no title");
      const { imageUrl, ...words } = summary;
      preview = words;
      if (imageUrl !== undefined) {
        image = await storePreviewImage(
          this.ctx.blobs,
          imageUrl,
          { ...limits, maxBytes: this.settings.linkPreviewImageMaxBytes },
          this.settings.maxImagePixels,
        ).catch((error: Error) => {
          console.warn(`link preview image of ${url}: ${error.message}`);
          return undefined;
        });
      }
    } catch (error) {
      this.counts.failed += 1;
      console.warn(`link preview of ${url} failed: ${(error as Error).message}`);
    }
    const ttl = preview ? this.settings.linkPreviewTtlMs : this.settings.linkPreviewFailureTtlMs;
    try {
      const saved = await this.ctx.store.saveLinkPreview({
        url,
        id: knownId ?? newId(),
        ...(preview ? { preview } : {}),
        ...(image ? { imageSha256: image.sha256 } : {}),
        fetchedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttl).toISOString(),
      });
      // A file sweep may have deleted an equal blob between our commit and the row naming it.
      if (image && (await this.ctx.blobs.size(image.sha256)) === null) await this.ctx.blobs.commit(image);
      return saved;
    } finally {
      await image?.discard();
    }
  }
}

/**
 * The blob of a preview's image, for `GET /api/v1/previews/{id}/image`: only to a member of a
 * conversation where a message (not deleted) carries the preview; everyone else, and a preview
 * without image, gets `not_found` alike (G7: no telling which previews exist).
 */
export async function readablePreviewImage(ctx: ChatContext, userId: string, previewId: string): Promise<string> {
  const sha256 = /^[0-9a-f-]{36}$/.test(previewId) ? await ctx.store.readablePreviewImage(userId, previewId) : null;
  if (sha256 === null) throw new HaetaeError("not_found", "No such preview image.");
  return sha256;
}
