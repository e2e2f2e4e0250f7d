/**
 * The scale-out path with real processes, a real PostgreSQL and a real NATS: three nodes
 * serving one set of users, a node killed with SIGKILL mid-traffic, the bus cut from a node,
 * and the store cut from a node. Nothing acknowledged is lost or doubled, every device ends
 * with every message of its conversations in seq order, and no seq has a gap.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { NATS_URL, POSTGRES_URL } from "../services.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { type Cluster, eventually, loginOn, RecordingClient, registerOn, startCluster } from "./cluster.js";
import { expectConverged } from "./oracle.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(cluster: Cluster, ...clients: RecordingClient[]) {
  cleanups.push(() => cluster.stop());
  for (const c of clients) cleanups.push(() => c.client.close());
}

/** Each client sends `count` messages into its conversations, one every `everyMs`, and collects the acks. */
function sendSteadily(
  senders: { rc: RecordingClient; conversations: string[]; tag: string }[],
  count: number,
  everyMs: number,
) {
  const acked = new Map<string, Message>();
  const all: Promise<unknown>[] = [];
  const done = Promise.all(
    senders.map(async ({ rc, conversations, tag }) => {
      for (let i = 0; i < count; i++) {
        const conversationId = conversations[i % conversations.length] as string;
        const clientMsgId = `${tag}-${i}`;
        all.push(
          rc.client.send(conversationId, `${tag} says ${i}`, { clientMsgId }).then((m) => acked.set(clientMsgId, m)),
        );
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    }),
  ).then(() => Promise.all(all));
  return { acked, done };
}

describe("a cluster of three nodes on one PostgreSQL and one NATS", () => {
  it("serves users spread over the nodes; a user with two devices on two nodes gets every event on both", async () => {
    const cluster = await startCluster(3);
    const [n0, n1, n2] = cluster.nodes.map((n) => n.url) as [string, string, string];
    const alice = await registerOn(n0, "alice");
    const bob = await registerOn(n2, "bob");
    const carol = await registerOn(n1, "carol");
    const alicePc = new RecordingClient([n0], alice.token);
    const alicePhone = new RecordingClient([n1], await loginOn(n1, alice.username));
    const b = new RecordingClient([n2], bob.token);
    const c = new RecordingClient([n1], carol.token);
    track(cluster, alicePc, alicePhone, b, c);
    await Promise.all([alicePc, alicePhone, b, c].map((rc) => rc.client.connect()));

    const direct = (await alicePc.client.request("conversation.create", { kind: "direct", memberIds: [bob.userId] }))
      .conversation.id;
    // Contacts of bob, so bob's group takes them at once.
    await Promise.all([alicePc, c].map((rc) => rc.client.request("contact.add", { userId: bob.userId })));
    const group = (
      await b.client.request("conversation.create", {
        kind: "group",
        title: "셋",
        memberIds: [alice.userId, carol.userId],
      })
    ).conversation.id;
    const sends: Promise<Message>[] = [];
    for (let i = 0; i < 20; i++) {
      sends.push(b.client.send(group, `bob ${i}`));
      sends.push(c.client.send(group, `@${alice.username} carol ${i}`));
      sends.push(alicePc.client.send(direct, `alice ${i}`));
    }
    await Promise.all(sends);
    await b.client.request("reaction.add", { conversationId: group, seq: 1, emoji: "👍" });
    await alicePhone.client.request("read", { conversationId: group, seq: 40 });

    await expectConverged(new Map(), [alicePc, alicePhone, b, c], [direct, group]);
    await eventually(async () => {
      await Promise.all([alicePc.client.sync(), alicePhone.client.sync()]);
      expect([...alicePhone.eventIds].sort()).toEqual([...alicePc.eventIds].sort());
    });
    const groupMessages = alicePhone.delivered.get(group) ?? [];
    expect(groupMessages.filter((m) => m.mentions.includes(alice.userId))).toHaveLength(20);
  }, 90_000);

  it("survives a node killed with SIGKILL while clients send: nothing acknowledged lost or doubled, no gap", async () => {
    const cluster = await startCluster(3);
    const urls = cluster.nodes.map((n) => n.url);
    const users = await Promise.all(
      Array.from({ length: 6 }, (_, i) => registerOn(urls[i % 3] as string, `steady${i}`)),
    );
    // Client i starts on node i % 3 and knows the others to fall back on.
    const clients = users.map((u, i) => new RecordingClient([...urls.slice(i % 3), ...urls.slice(0, i % 3)], u.token));
    track(cluster, ...clients);
    await Promise.all(clients.map((rc) => rc.client.connect()));
    const first = clients[0] as RecordingClient;
    // Contacts of the first user, so the group takes them at once.
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
      const a = clients[i] as RecordingClient;
      directs.push(
        (
          await a.client.request("conversation.create", {
            kind: "direct",
            memberIds: [(users[i + 1] as { userId: string }).userId],
          })
        ).conversation.id,
      );
    }
    const senders = clients.map((rc, i) => ({
      rc,
      conversations: [group, directs[Math.floor(i / 2)] as string],
      tag: `c${i}`,
    }));
    const { acked, done } = sendSteadily(senders, 40, 40);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await cluster.nodes[0]?.kill();
    await done; // every send resolves: the outboxes moved to the other nodes
    expect(acked.size).toBe(6 * 40);
    // The clients of the dead node really moved: they went through "reconnecting".
    for (const i of [0, 3]) expect((clients[i] as RecordingClient).states).toContain("reconnecting");
    await expectConverged(acked, clients, [group, ...directs]);
  }, 120_000);

  it("recovers from a cut between a node and NATS: missed events are filled from the store", async () => {
    const nats = new URL(NATS_URL);
    const proxy: TcpProxy = await startTcpProxy(nats.hostname, Number(nats.port || 4222));
    cleanups.push(() => proxy.close());
    const cluster = await startCluster(2, [{}, { bus: `nats://127.0.0.1:${proxy.port}` }]);
    const [n0, n1] = cluster.nodes.map((n) => n.url) as [string, string];
    const sender = await registerOn(n0, "speaker");
    const listener = await registerOn(n1, "listener");
    const s = new RecordingClient([n0], sender.token);
    const l = new RecordingClient([n1], listener.token);
    track(cluster, s, l);
    await Promise.all([s.client.connect(), l.client.connect()]);
    const direct = (await s.client.request("conversation.create", { kind: "direct", memberIds: [listener.userId] }))
      .conversation.id;
    const before = sendSteadily([{ rc: s, conversations: [direct], tag: "before" }], 20, 20);
    await before.done;
    await eventually(() => expect(l.seqs(direct)).toHaveLength(20));
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the SDK's idle sync after live events
    // Cut the listener's node from NATS and send while it is cut; then nothing more is sent, so
    // no later message can reveal the gap: the node's resync after reconnecting must fill it.
    proxy.refuse = true;
    proxy.cut();
    const during = sendSteadily([{ rc: s, conversations: [direct], tag: "during" }], 10, 20);
    await during.done;
    expect(l.seqs(direct)).toHaveLength(20); // the live copies were lost
    // The cut node says so: not ready while it cannot reach the bus.
    await eventually(async () => expect((await fetch(`${n1}/readyz`)).status).toBe(503), 8000);
    proxy.refuse = false;
    await eventually(async () => expect((await fetch(`${n1}/readyz`)).status).toBe(200), 10_000);
    await eventually(() => expect(l.seqs(direct)).toHaveLength(30), 15_000);
    const acked = new Map([...before.acked, ...during.acked]);
    await expectConverged(acked, [s, l], [direct]);
  }, 90_000);

  it("answers unavailable while a node's store is cut, never acks an unstored send, and recovers by itself", async () => {
    const pg = new URL(POSTGRES_URL);
    const pgProxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
    cleanups.push(() => pgProxy.close());
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.port = String(pgProxy.port);
    const cluster = await startCluster(2, [{}, { store: viaProxy.toString() }]);
    const [n0, n1] = cluster.nodes.map((n) => n.url) as [string, string];
    const writer = await registerOn(n1, "writer");
    const reader = await registerOn(n0, "reader");
    const w = new RecordingClient([n1], writer.token);
    const r = new RecordingClient([n0], reader.token);
    track(cluster, w, r);
    await Promise.all([w.client.connect(), r.client.connect()]);
    const direct = (await w.client.request("conversation.create", { kind: "direct", memberIds: [reader.userId] }))
      .conversation.id;
    const unavailable: string[] = [];
    const raw = (await w.client.request("ping", {})).now; // connection is up
    expect(raw).toBeTruthy();
    const { acked, done } = sendSteadily([{ rc: w, conversations: [direct], tag: "durable" }], 50, 40);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const outage = pgProxy.outage(3000);
    await eventually(async () => {
      const res = await fetch(`${n1}/readyz`);
      expect(res.status).toBe(503);
    }, 5000);
    try {
      await w.client.request("message.send", { conversationId: direct, clientMsgId: "during-outage", text: "now?" });
    } catch (error) {
      unavailable.push((error as { code: string }).code);
    }
    await outage;
    await eventually(async () => expect((await fetch(`${n1}/readyz`)).status).toBe(200), 10_000);
    await done; // the outbox drained after the recovery
    expect(unavailable).toEqual(["unavailable"]);
    await expectConverged(acked, [w, r], [direct]);
  }, 90_000);
});
