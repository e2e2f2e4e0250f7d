/** @module Push retries survive a restart: a push the push service refused once, its node stopped before the retry, arrives once from the restarted node. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../src/app.js";
import { makeConfig } from "../../src/config/config.js";
import { createDirect, nextEvent, person } from "../features/helpers.js";
import { TEST_DEFAULTS, type TestServer } from "../harness.js";
import { PushReceiver } from "./push-receiver.js";

const EPOCH = new Date(0).toISOString();

describe("push retries across a restart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-push-restart-"));
  const settings = {
    port: 0,
    data: dataDir,
    ...TEST_DEFAULTS,
    pushPrivateEndpoints: true,
    pushRetries: 3,
    // Long enough that the node is stopped before the first retry is due.
    pushRetryBaseMs: 3000,
    pushRetryMaxMs: 10_000,
  };
  const apps: App[] = [];
  let receiver: PushReceiver | undefined;

  async function node(): Promise<TestServer> {
    const app = await startApp(makeConfig(settings));
    apps.push(app);
    return { app, url: app.url, wsUrl: `${app.url.replace("http", "ws")}/api/v1/ws`, dataDir, stop: () => app.stop() };
  }

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the pending retry in the store and sends it once after the node restarts", async () => {
    receiver = await PushReceiver.start();
    const first = await node();
    const alice = await person(first, "sralice");
    const bob = await person(first, "srbob");
    const direct = await createDirect(alice.client, bob.id);
    await bob.client.ok("contact.add", { userId: alice.id }); // Alice follows his presence
    const browser = receiver.subscription();
    await bob.client.ok("push.subscribe", { endpoint: browser.endpoint, keys: browser.keys });
    await alice.client.ok("presence.subscribe", { userIds: [bob.id] });
    await bob.client.close();
    await nextEvent(alice.client, "presence", (p) => p.userId === bob.id && !p.online);

    const path = new URL(browser.endpoint).pathname;
    receiver.script.set(path, [{ status: 503 }]);
    const message = (
      await alice.client.ok<{ message: { seq: number } }>("message.send", {
        conversationId: direct.id,
        clientMsgId: "before-restart",
        text: "다시 시작해도 알려줘",
      })
    ).message;
    await receiver.waitForRequests(path, 1);
    // The retry is kept before the node stops (the store write follows the failed try at once).
    const store = first.app.ctx.store;
    const deadline = Date.now() + 5000;
    while ((await store.pendingPushRetries(10, EPOCH)).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const kept = await store.pendingPushRetries(10, EPOCH);
    expect(kept.map((r) => ({ endpoint: r.endpoint, attempt: r.attempt, seq: r.payload.seq }))).toEqual([
      { endpoint: browser.endpoint, attempt: 1, seq: message.seq },
    ]);
    await alice.client.close();
    await first.app.stop();
    expect(receiver.log.filter((entry) => entry.path === path).map((entry) => entry.status)).toEqual([503]);

    const second = await node();
    const [push] = await receiver.waitFor(browser.endpoint, 1, 15_000);
    expect(push?.json).toMatchObject({ conversationId: direct.id, seq: message.seq, body: "다시 시작해도 알려줘" });
    await second.app.pushes.settled();
    // Once: no second copy later (the retry was taken from the store, not left for another start).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.log.filter((entry) => entry.path === path).map((entry) => entry.status)).toEqual([503, 201]);
    expect(receiver.to(browser.endpoint)).toHaveLength(1);
    expect(await second.app.ctx.store.pendingPushRetries(10, EPOCH)).toEqual([]);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/haetae_pushes_total\{outcome="resumed"\} 1\b/);
  });
});
