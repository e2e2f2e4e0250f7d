/**
 * G1 when the SQLite writer thread dies: sends whose commit it never reported are answered
 * `unavailable` (retryable, with `retryAfterMs`), never acknowledged; the retry with the same
 * clientMsgId lands once; and a node whose writer keeps crashing answers /readyz with 503.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import type { SqlStore } from "../../src/store/sql/sql-store.js";
import type { SqliteDriver } from "../../src/store/sqlite/sqlite-driver.js";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it("answers sends in flight at a writer crash with unavailable, then takes their retries once, and goes unready after repeated crashes", async () => {
  server = await startTestServer({ store: "sqlite" });
  // A node writes on its main thread until writes stream; the thread is started as a stream would start it.
  const writer = await ((server.app.ctx.store as SqlStore).driver as SqliteDriver).writerThread();
  const alice = await registerUser(server.url, "wc");
  const bob = await registerUser(server.url, "wc");
  const client = await RawClient.connect(server.wsUrl, alice.token);
  const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "direct",
    memberIds: [bob.user.id],
  });

  const send = (clientMsgId: string) =>
    client.request("message.send", { conversationId: conversation.id, clientMsgId, text: clientMsgId });
  // Killing a free-running writer races it: a commit that finishes first is rightly acknowledged.
  // So another connection holds the write lock and the thread waits in BEGIN; its end is asked
  // for before the lock is let go, and it ends as soon as it runs JavaScript again — before it
  // can commit or reply.
  const blocker = new Database(join((server as TestServer).dataDir, "haetae.db"));
  blocker.pragma("busy_timeout = 5000");
  const driver = (server.app.ctx.store as SqlStore).driver as SqliteDriver;
  const sendDuringCrash = async (clientMsgId: string) => {
    // The blocker waits on this thread, synchronously: a background write (the search indexer's)
    // under way in the writer would wait for this thread too, and hold the lock it waits for.
    while (!driver.writesIdle) await new Promise((resolve) => setImmediate(resolve));
    blocker.exec("BEGIN IMMEDIATE");
    const pending = send(clientMsgId);
    while (writer.requestsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    const killed = writer.kill();
    blocker.exec("ROLLBACK");
    await killed;
    return pending;
  };
  const reply = await sendDuringCrash("crash-1");
  expect(reply.type).toBe("error");
  expect(reply.code).toBe("unavailable");
  expect(reply.retryAfterMs).toBeGreaterThan(0);

  const retry = await send("crash-1");
  expect(retry.type).toBe("ok");
  expect((retry.message as { seq: number }).seq).toBe(1);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  // Two more crashes in the window: the writer stays down and the node says so.
  for (let i = 0; i < 2; i++) {
    expect((await sendDuringCrash(`crash-${i + 2}`)).type).toBe("error");
  }
  blocker.close();
  expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  await client.close();
});
