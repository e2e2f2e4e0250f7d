/** @module The status page's lasting identity: its page id and each component's creation time, claimed once in the shared store. */
import { randomBytes } from "node:crypto";
import type { Store } from "../../store/store.js";

/** What Statuspage clients expect never to change: `page.id` and each component's `created_at`. */
export interface PageIdentity {
  pageId: string;
  /** Component id → when it was first seen (ISO 8601). */
  componentsCreatedAt: ReadonlyMap<string, string>;
}

const PAGE_ID_KEY = "status.page_id";
const CREATED_AT_KEY = "status.component_created_at:";

/** Statuspage's page ids are 12 lowercase letters and digits. */
function newPageId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join("");
}

/**
 * Claim the page id and the components' creation times in the chat store, once: every later
 * start, and every other node on the same PostgreSQL, reads the first claim back. Kept in the
 * shared store rather than the tower's own file, because in scale-out the tower's file is one
 * node's, and a page id that changed with the node leading would look like a new page to every
 * widget and subscriber keyed by it. Read at start only: the status page never reads the store.
 */
export async function claimPageIdentity(
  store: Pick<Store, "claimSetting">,
  componentIds: readonly string[],
  now: Date,
): Promise<PageIdentity> {
  const at = now.toISOString();
  const pageId = await store.claimSetting(PAGE_ID_KEY, newPageId(), at);
  const componentsCreatedAt = new Map<string, string>();
  for (const id of componentIds) componentsCreatedAt.set(id, await store.claimSetting(CREATED_AT_KEY + id, at, at));
  return { pageId, componentsCreatedAt };
}
