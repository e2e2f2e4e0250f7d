/**
 * @module Send admission by time over the real protocol (G5): a surge of pipelined sends gets
 * refusals with `retryAfterMs` at once, every refused send lands once retried with its
 * clientMsgId, nothing is lost or stored twice, and /healthz answers all the while.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Frame, RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  // A target no node can keep with a surge in flight: refusals are certain once the floor is full.
  server = await startTestServer({ sendQueueTargetMs: 5, requestBurst: 10_000, requestsPerSecond: 100_000 });
});
afterAll(() => server?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("refuses a surge's excess at once with retryAfterMs; retried, every send is stored exactly once", async () => {
  const PAIRS = 5;
  const PER_SENDER = 150;
  const pairs = await Promise.all(
    Array.from({ length: PAIRS }, async () => {
      const [alice, bob] = await Promise.all([registerUser(server.url, "surge"), registerUser(server.url, "surge")]);
      const a = await RawClient.connect(server.wsUrl, alice.token);
      const b = await RawClient.connect(server.wsUrl, bob.token);
      const { conversation } = await a.ok<{ conversation: { id: string } }>("conversation.create", {
        kind: "direct",
        memberIds: [bob.user.id],
      });
      return { senders: [a, b], conversationId: conversation.id };
    }),
  );
  // /healthz is asked every 50 ms during the surge; each answer is timed.
  let surging = true;
  const healthMs: number[] = [];
  // Server and clients share this process: its event loop's stalls delay every answer alike.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const health = (async () => {
    while (surging) {
      const started = performance.now();
      const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      healthMs.push(performance.now() - started);
      await sleep(50);
    }
  })();

  const refusals: Frame[] = [];
  /** Send until accepted, as the SDK's outbox does: the same clientMsgId after retryAfterMs. */
  const deliver = async (client: RawClient, conversationId: string, clientMsgId: string): Promise<number> => {
    for (;;) {
      const reply = await client.request("message.send", { conversationId, clientMsgId, text: clientMsgId });
      if (reply.type === "ok") return (reply.message as { seq: number }).seq;
      expect(reply).toMatchObject({ type: "error", code: "overloaded", retryAfterMs: expect.any(Number) });
      refusals.push(reply);
      await sleep(reply.retryAfterMs as number);
    }
  };
  // Every sender pipelines its whole surge at once: far more than the node commits in 5 ms.
  const firstAnswers = await Promise.all(
    pairs.flatMap(({ senders, conversationId }) =>
      senders.map((client, k) =>
        Promise.all(
          Array.from({ length: PER_SENDER }, (_, i) =>
            client.request("message.send", { conversationId, clientMsgId: `${k}.${i}`, text: `${k}.${i}` }),
          ),
        ),
      ),
    ),
  );
  const refusedAtOnce = firstAnswers.flat().filter((f) => f.type === "error");
  expect(refusedAtOnce.length).toBeGreaterThan(0);
  for (const f of refusedAtOnce) expect(f).toMatchObject({ code: "overloaded", retryAfterMs: expect.any(Number) });
  // A refused connection was left unread for a while (its pipeline waited in TCP's buffers), and
  // /metrics shows what the admission measured.
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/haetae_connection_read_pauses_total [1-9]/);
  expect(metrics).toMatch(/haetae_send_admission\{measure="in_flight"\} \d/);
  expect(metrics).toMatch(/haetae_send_wait_seconds_count [1-9]/);
  // The floor is always admitted: the node kept storing during the surge.
  expect(firstAnswers.flat().filter((f) => f.type === "ok").length).toBeGreaterThanOrEqual(32);

  // Retry every send (accepted ones too: a retry of a stored send returns it, never a copy).
  const seqs = await Promise.all(
    pairs.flatMap(({ senders, conversationId }) =>
      senders.map(async (client, k) => {
        const out: number[] = [];
        for (let i = 0; i < PER_SENDER; i++) out.push(await deliver(client, conversationId, `${k}.${i}`));
        return out;
      }),
    ),
  );
  surging = false;
  await health;
  // By the end of the retries the node has measured how fast it commits.
  const after = await (await fetch(`${server.url}/metrics`)).text();
  expect(after).toMatch(/haetae_send_admission\{measure="drain_per_second"\} [1-9]/);

  // Each conversation holds exactly its 300 messages, seq 1…300 with no gap, each clientMsgId once.
  for (const [p, { senders, conversationId }] of pairs.entries()) {
    const ofPair = [...(seqs[2 * p] as number[]), ...(seqs[2 * p + 1] as number[])];
    expect(new Set(ofPair).size).toBe(2 * PER_SENDER);
    expect(Math.max(...ofPair)).toBe(2 * PER_SENDER);
    // The store holds exactly these: no seq past 300 (a send stored twice would have one).
    const history = await (senders[0] as RawClient).ok<{ messages: { seq: number }[]; hasMore: boolean }>("history", {
      conversationId,
      afterSeq: 2 * PER_SENDER - 50,
    });
    expect(history.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * PER_SENDER - 49 + i));
    expect(history.hasMore).toBe(false);
  }
  lag.disable();
  // /healthz waits for nothing but the event loop: within 1 s beyond its longest stall (on a
  // quiet machine, within 1 s), while the sends' retries waited for seconds.
  expect(healthMs.length).toBeGreaterThan(0);
  expect(Math.max(...healthMs)).toBeLessThan(1000 + lag.max / 1e6);
  for (const { senders } of pairs) for (const c of senders) await c.close();
}, 60_000);
