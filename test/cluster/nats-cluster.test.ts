/**
 * The chat bus on a three-server NATS cluster (nats-trio.ts): three nodes with all three server
 * URLs, clients sending steadily, and the NATS server that holds the most nodes killed with
 * SIGKILL. Its nodes move to the other servers by themselves; every connected client still ends
 * with every message of its conversations, live or filled by `sync` after the node's resync,
 * which the client-side oracle checks against the store.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { eventually, RecordingClient, registerOn, startCluster } from "./cluster.js";
import { startNatsTrio } from "./nats-trio.js";
import { expectConverged, SteadySenders } from "./oracle.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the bus on a three-server NATS cluster", () => {
  it("loses no delivery to connected clients when the busiest NATS server is killed under traffic", async () => {
    const trio = await startNatsTrio();
    cleanups.push(() => trio.stop());
    const cluster = await startCluster(3, [{ bus: trio.url }, { bus: trio.url }, { bus: trio.url }]);
    cleanups.push(() => cluster.stop());
    const urls = cluster.nodes.map((n) => n.url);
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => registerOn(urls[i % 3] as string, `nc${i}`)));
    // Each client stays on its node (one URL): only the bus moves under it.
    const clients = users.map((u, i) => new RecordingClient([urls[i % 3] as string], u.token));
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
    const directs: string[] = [];
    for (let i = 0; i < 6; i += 2) {
      const reply = await (clients[i] as RecordingClient).client.request("conversation.create", {
        kind: "direct",
        memberIds: [users[i + 1]?.userId ?? ""],
      });
      directs.push(reply.conversation.id);
    }
    // A direct pair spans two nodes (users i and i+1 are on nodes i%3 and (i+1)%3).
    const senders = new SteadySenders(
      clients.map((rc, i) => ({ rc, conversations: [group, directs[Math.floor(i / 2)] as string], tag: `n${i}` })),
      40,
    );

    await sleep(2000);
    const placement = await trio.haetaeClients();
    expect(placement.reduce((a, b) => a + b, 0)).toBe(3);
    const victim = placement.indexOf(Math.max(...placement));
    const before = senders.acked.size;
    const killedAt = Date.now();
    await trio.servers[victim]?.child.kill();
    // Its nodes are on the two others again, by themselves.
    await eventually(async () => expect((await trio.haetaeClients()).reduce((a, b) => a + b, 0)).toBe(3), 15_000);
    const movedAt = Date.now();
    await sleep(2000);
    await senders.stop();

    console.log(
      `nats cluster: killed ${trio.servers[victim]?.name} holding ${placement[victim]} of 3 nodes; they were on the ` +
        `other servers ${movedAt - killedAt} ms later; ${senders.acked.size} acked (${before} before the kill), ` +
        `${senders.refusals.length} refusals: ${JSON.stringify(senders.refusals.map((r) => r.code))}`,
    );
    expect(placement[victim]).toBeGreaterThan(0);
    expect(senders.acked.size).toBe(senders.started.size);
    for (const refusal of senders.refusals) expect(refusal.retryAfterMs).toBeGreaterThan(0);
    const acked = new Map<string, Message>([...senders.acked].map(([k, a]) => [k, a.message]));
    await expectConverged(acked, clients, [group, ...directs]);
    // Every node is ready again on the cluster that is left.
    for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(200);
  }, 120_000);
});
