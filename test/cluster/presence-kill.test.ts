/**
 * Presence across nodes on PostgreSQL and NATS, at the default heartbeat: a user connected to
 * node A and watched from node B turns offline on B within 60 s of A being killed with SIGKILL
 * (A never says goodbye; B lets A's claim expire), with a last-seen time; and hiding one's
 * presence on A masks it on B at once; a node started afterwards still knows when they were last seen.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PresenceEvent } from "../../src/protocol/index.js";
import { type Cluster, eventually, RecordingClient, registerOn, startCluster } from "./cluster.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("presence on two nodes", () => {
  it("turns a user offline on node B within 60 s of node A, which held their session, being killed", async () => {
    const cluster: Cluster = await startCluster(2);
    cleanups.push(() => cluster.stop());
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const target = await registerOn(a, "pka");
    const watcher = await registerOn(b, "pkb");
    const onA = new RecordingClient([a], target.token);
    const onB = new RecordingClient([b], watcher.token);
    cleanups.push(() => onA.client.close());
    cleanups.push(() => onB.client.close());
    await Promise.all([onA.client.connect(), onB.client.connect()]);
    // Presence is for one's contacts: the target lists the watcher.
    await onA.client.request("contact.add", { userId: watcher.userId });
    const events: PresenceEvent[] = [];
    onB.client.on("presence", (event: PresenceEvent) => events.push(event));
    const reply = await onB.client.request("presence.subscribe", { userIds: [target.userId] });
    expect(reply.presences).toEqual([expect.objectContaining({ userId: target.userId, online: true })]);

    // Hiding is said on node A and masks what node B shows at once (a bus control); showing again unmasks it.
    await onA.client.request("account.update", { hidePresence: true });
    await eventually(() => {
      expect(events.at(-1)).toMatchObject({ userId: target.userId, online: false, lastSeenAt: null, hidden: true });
    });
    await onA.client.request("account.update", { hidePresence: false });
    await eventually(() => {
      expect(events.at(-1)).toMatchObject({ userId: target.userId, online: true });
      expect(events.at(-1)?.hidden).toBeUndefined();
    });
    events.length = 0;

    // The target's client knows only node A: it keeps retrying there, never through B.
    const killedAt = Date.now();
    await cluster.nodes[0]?.kill();
    const deadline = killedAt + 60_000;
    while (!events.some((e) => e.userId === target.userId && !e.online) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const off = events.find((e) => e.userId === target.userId && !e.online);
    expect(off, "no offline event on node B within 60 s").toBeDefined();
    const tookMs = Date.now() - killedAt;
    console.log(`offline on node B ${tookMs} ms after node A's SIGKILL (heartbeat 20 s)`);
    expect(tookMs).toBeLessThan(60_000);
    expect(off?.lastSeenAt).not.toBeNull();
    const now = await onB.client.request("presence.subscribe", { userIds: [target.userId] });
    expect(now.presences[0]).toMatchObject({ online: false });
    expect(now.presences[0]?.lastSeenAt).not.toBeNull();

    // Node A again, fresh: it never saw the target leave, and still says when from the store. The
    // target's client stops retrying first: back on the new node A it would be online, truly.
    await onA.client.close();
    await cluster.startNode(0);
    const onNewA = new RecordingClient([a], watcher.token);
    cleanups.push(() => onNewA.client.close());
    await onNewA.client.connect();
    await eventually(async () => {
      const fresh = await onNewA.client.request("presence.subscribe", { userIds: [target.userId] });
      expect(fresh.presences[0]).toMatchObject({ online: false });
      expect(fresh.presences[0]?.lastSeenAt).not.toBeNull();
    });
  }, 120_000);
});
