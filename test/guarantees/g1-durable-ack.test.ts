/**
 * G1: a send is acknowledged only after the message is committed; an acknowledged message
 * survives `kill -9` of the server. A child server takes a pipelined stream of sends and is
 * killed mid-stream; after a restart every acknowledged message is there, once, in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { type ChildServer, freePort, startChildServer } from "../child-server.js";
import { RawClient, registerUser } from "../harness.js";

const dataDir = mkdtempSync(join(tmpdir(), "haetae-g1-"));
let server: ChildServer | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

it("keeps every acknowledged message across SIGKILL, in order, exactly once", async () => {
  const port = await freePort();
  const args = ["--requests-per-second", "100000", "--request-burst", "100000"];
  server = await startChildServer(port, dataDir, args);
  const alice = await registerUser(server.url, "g1a");
  const bob = await registerUser(server.url, "g1b");
  const client = await RawClient.connect(server.wsUrl, alice.token);
  const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "direct",
    memberIds: [bob.user.id],
  });

  // Pipeline sends (up to 64 in flight) and kill the server once 300 acks are in.
  const acked = new Map<string, number>(); // clientMsgId -> seq
  const attempted: string[] = [];
  let killed = false;
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; !killed && i < 5000; i++) {
    const clientMsgId = `g1-${i}`;
    attempted.push(clientMsgId);
    const p = client
      .request("message.send", { conversationId: conversation.id, clientMsgId, text: `message ${i}` })
      .then((reply) => {
        if (reply.type === "ok") acked.set(clientMsgId, (reply.message as { seq: number }).seq);
      })
      .catch(() => {}); // no reply: the server died first
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 64) await Promise.race(inFlight);
    if (acked.size >= 300 && !killed) {
      killed = true;
      await server.kill();
    }
  }
  expect(killed).toBe(true);
  await Promise.race([Promise.allSettled(inFlight), new Promise((r) => setTimeout(r, 2000))]);
  await client.close();
  const ackedAtKill = new Map(acked);
  expect(ackedAtKill.size).toBeGreaterThanOrEqual(300);

  server = await startChildServer(port, dataDir, args);
  const again = await RawClient.connect(server.wsUrl, alice.token);
  const stored: { seq: number; clientMsgId: string; text: string }[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await again.ok<{ messages: { seq: number; clientMsgId: string; text: string }[]; hasMore: boolean }>(
      "history",
      { conversationId: conversation.id, afterSeq, limit: 100 },
    );
    stored.push(...page.messages);
    afterSeq = page.messages.at(-1)?.seq ?? afterSeq;
    if (!page.hasMore) break;
  }
  // Gap-free seq from 1, each clientMsgId once.
  expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
  expect(new Set(stored.map((m) => m.clientMsgId)).size).toBe(stored.length);
  // Every acknowledged message is there with the seq its ack carried.
  const bySeq = new Map(stored.map((m) => [m.clientMsgId, m.seq]));
  for (const [clientMsgId, seq] of ackedAtKill) expect(bySeq.get(clientMsgId)).toBe(seq);
  // Sends of one connection keep their order.
  const order = stored.map((m) => Number(m.clientMsgId.slice(3)));
  expect([...order].sort((x, y) => x - y)).toEqual(order);

  // Retrying every attempted send after the restart stores each one exactly once (G2 across a crash).
  for (const clientMsgId of attempted) {
    const reply = await again.ok<{ message: { seq: number } }>("message.send", {
      conversationId: conversation.id,
      clientMsgId,
      text: `message ${clientMsgId.slice(3)}`,
    });
    if (ackedAtKill.has(clientMsgId)) expect(reply.message.seq).toBe(ackedAtKill.get(clientMsgId));
  }
  const last = await again.ok<{ lastSeq: number }>("conversation.get", { conversationId: conversation.id });
  expect(last.lastSeq).toBe(attempted.length);
  await again.close();
}, 120_000);
