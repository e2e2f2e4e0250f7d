/**
 * PostgreSQL failover under traffic: two nodes on a primary and its synchronous standby (a pair
 * of its own, see pg-pair.ts), connected by one multi-host URL with
 * `target_session_attrs=read-write`. The primary is killed as a host crash would end it, the
 * standby promoted after a pause (what a failover manager takes to decide); the nodes find it by
 * themselves. Sends during the gap are refused `unavailable` with `retryAfterMs` (never an
 * `internal`, never without an answer), logins answer 503; every acknowledged message is on the
 * new primary exactly once, at its seq, and every device ends with the whole history. A reader
 * holding a `sync` cursor taken before the kill reads, after the promotion, every acknowledged
 * message it had not read, and none twice (the cursor names the old timeline; postgres-epochs.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FeedEvent, Message } from "../../src/protocol/index.js";
import type { HaetaeClient } from "../../src/sdk/index.js";
import { eventually, RecordingClient, registerOn, startCluster } from "./cluster.js";
import { expectConverged, SteadySenders } from "./oracle.js";
import { type PgPair, startPgPair } from "./pg-pair.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What a failover manager (Patroni's `ttl` and loop) takes to see the primary gone; the nodes wait it out. */
const DECIDE_MS = 3000;

describe("PostgreSQL failover under traffic", () => {
  it("kill -9 the primary, promote the sync standby: nodes back within 30 s, no ack lost or doubled, the gap refused with retryAfterMs", async () => {
    const pair: PgPair = await startPgPair();
    cleanups.push(() => pair.stop());
    const cluster = await startCluster(2, [{ store: pair.url }, { store: pair.url }]);
    cleanups.push(() => cluster.stop());
    const urls = cluster.nodes.map((n) => n.url) as [string, string];
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => registerOn(urls[i % 2] as string, `fo${i}`)));
    const clients = users.map((u, i) => new RecordingClient([urls[i % 2] as string], u.token));
    for (const rc of clients) cleanups.push(() => rc.client.close());
    await Promise.all(clients.map((rc) => rc.client.connect()));
    const [first] = clients as [RecordingClient];
    await Promise.all(
      clients.slice(1).map((rc) => rc.client.request("contact.add", { userId: users[0]?.userId ?? "" })),
    );
    const group = (
      await first.client.request("conversation.create", {
        kind: "group",
        memberIds: users.slice(1).map((u) => u.userId),
      })
    ).conversation.id;
    const direct = (
      await (clients[2] as RecordingClient).client.request("conversation.create", {
        kind: "direct",
        memberIds: [users[3]?.userId ?? ""],
      })
    ).conversation.id;
    const senders = new SteadySenders(
      clients.map((rc, i) => ({ rc, conversations: i >= 2 ? [group, direct] : [group], tag: `s${i}` })),
      40,
    );

    await sleep(2000);
    const ackedBefore = senders.acked.size;
    expect(ackedBefore).toBeGreaterThan(20);
    // A reader's place in the feed before the failover: a cursor of the old primary's timeline.
    const reader = (clients[3] as RecordingClient).client;
    const beforeKill = await syncAll(reader, undefined);
    expect(beforeKill.cursor).toMatch(/^c3\.1\./);
    const killedAt = Date.now();
    pair.killPrimary();

    // During the gap: the nodes say they are not ready, and a login is refused as a dependency's outage.
    await eventually(async () => {
      for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(503);
    }, 5000);
    const login = await fetch(`${urls[0]}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: users[0]?.username, password: "cluster password" }),
    });
    const loginBody = (await login.json()) as { error?: { code: string; retryAfterMs?: number } };
    expect([login.status, loginBody.error?.code]).toEqual([503, "unavailable"]);
    expect(loginBody.error?.retryAfterMs).toBeGreaterThan(0);

    await sleep(Math.max(0, killedAt + DECIDE_MS - Date.now()));
    const promoteAt = Date.now();
    await pair.promoteStandby();
    const promotedAt = Date.now();

    // Every node takes traffic again: ready, and acking sends of its own clients.
    const back: number[] = [];
    for (const [i, url] of urls.entries()) {
      await eventually(async () => {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        const acks = [...senders.acked.values()].filter((a) => a.at > promotedAt);
        expect(acks.some((a) => users.some((u, j) => j % 2 === i && a.message.senderId === u.userId))).toBe(true);
      }, 30_000);
      back.push(Date.now());
    }
    const firstAck = senders.firstAckAfter(promoteAt) ?? Number.NaN;
    await sleep(1500);
    await senders.stop();

    const gap = senders.refusals.filter((r) => r.at >= killedAt);
    console.log(
      `pg failover: pg_ctl promote took ${promotedAt - promoteAt} ms; first ack ${firstAck - promoteAt} ms after the promotion began ` +
        `(${firstAck - killedAt} ms after the kill, ${DECIDE_MS} ms of it waiting to promote); every node ready and acking ` +
        `${Math.max(...back) - promotedAt} ms after the promotion; ${senders.acked.size} acked (${ackedBefore} before the kill), ` +
        `${gap.length} refusals in the gap: ${JSON.stringify(countBy(gap.map((r) => r.code)))}`,
    );
    expect(Math.max(...back) - promotedAt).toBeLessThan(30_000);
    // The gap was felt and every refusal says when to come back: no internal error, no hang.
    expect(gap.length).toBeGreaterThan(0);
    for (const refusal of senders.refusals) {
      expect(refusal.code).toBe("unavailable");
      expect(refusal.retryAfterMs).toBeGreaterThan(0);
    }
    expect(senders.acked.size).toBe(senders.started.size);
    const acked = new Map<string, Message>([...senders.acked].map(([k, a]) => [k, a.message]));
    await expectConverged(acked, clients, [group, direct]);

    // The reader goes on from its pre-failover cursor: every acknowledged message of its
    // conversations exactly once, over what it read before and what it reads now.
    let afterPromotion: { events: FeedEvent[]; cursor: string } | undefined;
    await eventually(async () => {
      afterPromotion = await syncAll(reader, beforeKill.cursor);
    }, 10_000);
    const read = [...beforeKill.events, ...(afterPromotion?.events ?? [])].flatMap((e) =>
      e.type === "message.new" ? [e.message] : [],
    );
    const places = read.map((m) => `${m.conversationId}#${m.seq}`);
    expect(new Set(places).size).toBe(places.length);
    const readIds = read.map((m) => m.id).sort();
    const ackedIds = [...acked.values()].map((m) => m.id).sort();
    expect(readIds).toEqual(ackedIds);
    expect(afterPromotion?.cursor).toMatch(/^c3\.2\./);
    console.log(
      `pg failover: the pre-failover cursor read ${read.length - beforeKill.events.filter((e) => e.type === "message.new").length} messages after the promotion, ${read.length} in all, none twice`,
    );
  }, 120_000);
});

/** The reader's feed from `cursor` to its end, page by page. */
async function syncAll(
  client: HaetaeClient,
  cursor: string | undefined,
): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let at = cursor;
  for (;;) {
    const page = await client.request("sync", { ...(at === undefined ? {} : { cursor: at }), limit: 50 });
    events.push(...page.events);
    at = page.cursor;
    if (!page.hasMore) return { events, cursor: at };
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
