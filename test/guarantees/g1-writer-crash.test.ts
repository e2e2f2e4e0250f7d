/**
 * G1 when the SQLite writer thread dies: sends whose commit it never reported are answered
 * `unavailable` (retryable, with `retryAfterMs`), never acknowledged; the retry with the same
 * clientMsgId lands once; and a node whose writer keeps crashing answers /readyz with 503.
 */
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
  const writer = ((server.app.ctx.store as SqlStore).driver as SqliteDriver).writer;
  const alice = await registerUser(server.url, "wc");
  const bob = await registerUser(server.url, "wc");
  const client = await RawClient.connect(server.wsUrl, alice.token);
  const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "direct",
    memberIds: [bob.user.id],
  });

  const send = (clientMsgId: string) =>
    client.request("message.send", { conversationId: conversation.id, clientMsgId, text: clientMsgId });
  const firstTry = send("crash-1");
  while (writer.requestsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
  await writer.kill();
  const reply = await firstTry;
  expect(reply.type).toBe("error");
  expect(reply.code).toBe("unavailable");
  expect(reply.retryAfterMs).toBeGreaterThan(0);

  const retry = await send("crash-1");
  expect(retry.type).toBe("ok");
  expect((retry.message as { seq: number }).seq).toBe(1);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  // Two more crashes in the window: the writer stays down and the node says so.
  for (let i = 0; i < 2; i++) {
    const pending = send(`crash-${i + 2}`);
    while (writer.requestsInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    await writer.kill();
    expect((await pending).type).toBe("error");
  }
  expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  await client.close();
});
