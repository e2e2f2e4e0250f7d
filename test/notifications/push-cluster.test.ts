/** @module Web Push in scale-out: nodes on one PostgreSQL share one VAPID pair made once in the store, and each device is judged by its sessions on any node (the attention news travels on NATS). */
import { afterAll, describe, expect, it } from "vitest";
import { makeConfig } from "../../src/config/config.js";
import { loadVapidKeys, VAPID_SETTING } from "../../src/gateway/vapid-keys.js";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { loginOn, registerOn, startCluster } from "../cluster/cluster.js";
import { RawClient } from "../harness.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";
import { PushReceiver } from "./push-receiver.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the VAPID pair on PostgreSQL", () => {
  it("is made once and kept in the store: two stores starting at once agree, and a later start reads it back", async () => {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    const url = postgresUrlWithSchema(schema);
    const stores: Store[] = [];
    for (let i = 0; i < 2; i++) stores.push(await openPostgresStore(url));
    cleanups.push(() => Promise.all(stores.map((store) => store.close())));
    // No data folder to fall back on: the pair must come from the store.
    const config = makeConfig({ store: url, data: "/nonexistent/haetae-data" });
    const [first, second] = await Promise.all(stores.map((store) => loadVapidKeys(config, store)));
    expect(first?.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(second).toEqual(first);
    const kept = JSON.parse((await stores[0]?.getSetting(VAPID_SETTING)) ?? "{}") as { publicKey?: string };
    expect(kept.publicKey).toBe(first?.publicKey);
    const later = await loadVapidKeys(config, stores[1] as Store);
    expect(later).toEqual(first);
    // Keys set in the config win, and the store is not asked.
    const configured = makeConfig({
      store: url,
      data: "/nonexistent/haetae-data",
      vapidPublicKey: second?.publicKey.replace(/^./, "A") ?? "",
      vapidPrivateKey: second?.privateKey ?? "",
    });
    expect((await loadVapidKeys(configured, stores[0] as Store)).publicKey).not.toBe(first?.publicKey);
  });
});

describe("web push on two nodes (PostgreSQL, NATS)", () => {
  it("signs with one pair on every node and pushes to the phone while the PC is open on the other node", async () => {
    const receiver = await PushReceiver.start();
    cleanups.push(() => receiver.close());
    const flags = ["--push-private-endpoints", "true"];
    const cluster = await startCluster(2, [{ flags }, { flags }]);
    cleanups.push(() => cluster.stop());
    const [node0, node1] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const alice = await registerOn(node0.url, "pcalice");
    const bob = await registerOn(node1.url, "pcbob");
    const aliceClient = await RawClient.connect(node0.wsUrl, alice.token);
    cleanups.push(() => aliceClient.close());
    await aliceClient.ok("contact.add", { userId: bob.userId });
    const { conversation } = await aliceClient.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [bob.userId],
    });
    const bobOnNode1 = await RawClient.connect(node1.wsUrl, bob.token);
    const keys = await Promise.all(
      [aliceClient, bobOnNode1].map(
        async (client) => (await client.ok<{ publicKey: string }>("push.vapidKey")).publicKey,
      ),
    );
    await bobOnNode1.close();
    expect(keys[0]).toBe(keys[1]);

    // Bob's phone subscribed through node 1 and went away; his PC is open on node 1 too.
    const phoneBrowser = receiver.subscription();
    const phone = await RawClient.connect(node1.wsUrl, bob.token);
    await phone.ok("push.subscribe", { endpoint: phoneBrowser.endpoint, keys: phoneBrowser.keys });
    await phone.close();
    const pc = await RawClient.connect(node1.wsUrl, await loginOn(node1.url, bob.username));
    cleanups.push(() => pc.close());
    const pcBrowser = receiver.subscription();
    await pc.ok("push.subscribe", { endpoint: pcBrowser.endpoint, keys: pcBrowser.keys });
    // The attention news crosses NATS in milliseconds; give it a moment before Alice sends via node 0.
    await new Promise((resolve) => setTimeout(resolve, 500));

    let n = 0;
    const sendAsAlice = (text: string) =>
      aliceClient.ok<{ message: { seq: number } }>("message.send", {
        conversationId: conversation.id,
        clientMsgId: `c${++n}`,
        text,
      });
    const { message } = await sendAsAlice("sent through node 0");
    const [push] = await receiver.waitFor(phoneBrowser.endpoint, 1);
    expect(receiver.errors).toEqual([]);
    expect(push?.json).toMatchObject({ conversationId: conversation.id, seq: message.seq });
    // Node 0 signed it with the pair node 1 gave the phone's browser.
    expect(push?.vapid.publicKey).toBe(keys[1]);

    // The PC's window is hidden: node 0 learns it from node 1 and pushes to the PC as well.
    await pc.ok("session.visibility", { visible: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { message: hidden } = await sendAsAlice("the PC is minimized");
    expect((await receiver.waitFor(pcBrowser.endpoint, 1))[0]?.json.seq).toBe(hidden.seq);
    expect((await receiver.waitFor(phoneBrowser.endpoint, 2)).at(-1)?.json.seq).toBe(hidden.seq);
    expect(receiver.to(pcBrowser.endpoint)).toHaveLength(1);
  }, 120_000);
});
