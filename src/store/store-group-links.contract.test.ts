/**
 * @module The store contract of group invite links, hidden presence and kept last-seen times, run on every adapter
 * named in STORES (default "sqlite,postgres"): both stores keep, use up, expire and revoke links
 * the same, with the admin check and the member limit inside the write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../../test/services.js";
import type { Conversation, GroupLink } from "../protocol/index.js";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

const ADAPTERS: Record<string, () => { open(): Promise<Store>; dispose(): Promise<void> | void }> = {
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "haetae-links-"));
    return { open: async () => openSqliteStore(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  },
  postgres: () => {
    const schema = freshSchema();
    return { open: () => openPostgresStore(postgresUrlWithSchema(schema)), dispose: () => dropSchema(schema) };
  },
};
const selected = (process.env.STORES ?? "sqlite,postgres").split(",").map((s) => s.trim());
for (const name of selected) if (!ADAPTERS[name]) throw new Error(`STORES names "${name}", which has no adapter`);

let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;
const T0 = Date.parse("2024-05-01T09:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** Expect `promise` to reject with a HaetaeError of `code`. */
async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe.each(selected)("store group links contract: %s", (name) => {
  let place: ReturnType<NonNullable<(typeof ADAPTERS)[string]>>;
  let store: Store;
  beforeAll(async () => {
    place = (ADAPTERS[name] as (typeof ADAPTERS)[string])();
    store = await place.open();
  });
  afterAll(async () => {
    await store?.close();
    await place?.dispose();
  });

  async function user() {
    const username = uid("u");
    return store.createUser({ id: uid("id"), username, displayName: username, passwordHash: "x", createdAt: at(0) });
  }
  async function groupOf(ownerId: string, memberIds: string[]): Promise<Conversation> {
    const conversation = { id: uid("conv"), kind: "group" as const, memberIds, createdAt: at(0), createdBy: ownerId };
    return (await store.createGroup(conversation)).value;
  }
  function linkOf(conversationId: string, createdBy: string, extra: Partial<GroupLink> = {}): GroupLink {
    return {
      id: uid("link"),
      token: uid("token-token-token"),
      conversationId,
      createdBy,
      createdAt: at(1),
      expiresAt: null,
      maxUses: null,
      uses: 0,
      revokedAt: null,
      ...extra,
    };
  }

  it("keeps a link for the owner only, joins by it once per user, and counts the uses", async () => {
    const owner = await user();
    const member = await user();
    const joiner = await user();
    const group = await groupOf(owner.id, [owner.id, member.id]);
    await refused(store.createGroupLink(linkOf(group.id, member.id), 10, at(1)), "forbidden");
    const link = await store.createGroupLink(linkOf(group.id, owner.id, { maxUses: 2 }), 10, at(1));
    const joined = await store.joinByGroupLink(link.token, joiner.id, at(2), 100);
    expect(joined.conversation.value.memberIds).toContain(joiner.id);
    expect(joined.conversation.line?.value.system?.action).toBe("joined");
    const again = await store.joinByGroupLink(link.token, joiner.id, at(3), 100);
    expect(again.conversation.event).toBeNull();
    expect((await store.listGroupLinks(group.id, owner.id, 10))[0]?.uses).toBe(1);
    await refused(store.listGroupLinks(group.id, member.id, 10), "forbidden");
  });

  it("refuses a used-up, expired or revoked link, and one past the member limit", async () => {
    const owner = await user();
    const group = await groupOf(owner.id, [owner.id]);
    const once = await store.createGroupLink(linkOf(group.id, owner.id, { maxUses: 1 }), 10, at(1));
    await store.joinByGroupLink(once.token, (await user()).id, at(2), 100);
    await refused(store.joinByGroupLink(once.token, (await user()).id, at(3), 100), "group_link_used_up");
    const brief = await store.createGroupLink(linkOf(group.id, owner.id, { expiresAt: at(60) }), 10, at(1));
    await refused(store.usableGroupLink(brief.token, at(60)), "group_link_expired");
    expect((await store.usableGroupLink(brief.token, at(59))).id).toBe(brief.id);
    const revoked = await store.revokeGroupLink(group.id, brief.id, owner.id, at(5));
    expect(revoked.revokedAt).toBe(at(5));
    await refused(store.usableGroupLink(brief.token, at(6)), "group_link_revoked");
    await refused(store.usableGroupLink("no-such-token-anywhere", at(6)), "group_link_not_found");
    const full = await store.createGroupLink(linkOf(group.id, owner.id), 10, at(1));
    await refused(store.joinByGroupLink(full.token, (await user()).id, at(7), 2), "member_limit_exceeded");
    // Live links per group: the revoked and the expired do not count.
    await store.createGroupLink(linkOf(group.id, owner.id), 3, at(100));
    await refused(store.createGroupLink(linkOf(group.id, owner.id), 3, at(100)), "group_link_limit_exceeded");
  });

  it("keeps the latest last-seen time of each user, whatever order the writes come in", async () => {
    const a = await user();
    const b = await user();
    const never = await user();
    await store.recordLastSeen(
      new Map([
        [a.id, at(10)],
        [b.id, at(20)],
      ]),
    );
    await store.recordLastSeen(
      new Map([
        [a.id, at(5)],
        [b.id, at(30)],
      ]),
    );
    const seen = await store.lastSeenAmong([a.id, b.id, never.id]);
    expect(Object.fromEntries(seen)).toEqual({ [a.id]: at(10), [b.id]: at(30) });
    // Many at once: written in chunks, each user its own time.
    const many = await Promise.all(Array.from({ length: 450 }, () => user()));
    await store.recordLastSeen(new Map(many.map((u, i) => [u.id, at(100 + i)])));
    const back = await store.lastSeenAmong(many.map((u) => u.id));
    expect(back.size).toBe(450);
    expect(back.get(many[449]?.id ?? "")).toBe(at(549));
  });

  it("says who hides their presence", async () => {
    const shy = await user();
    const open = await user();
    const written = await store.updateProfile(shy.id, { hidePresence: true }, at(1));
    expect(written.value.hidePresence).toBe(true);
    expect(await store.presenceHiddenAmong([shy.id, open.id])).toEqual([shy.id]);
    await store.updateProfile(shy.id, { hidePresence: false }, at(2));
    expect(await store.presenceHiddenAmong([shy.id, open.id])).toEqual([]);
  });
});
