/** @module Attack: status subscriber floods — mass sign-ups, the cap filled with strangers, third parties flooded, retried refusals, and thousands of sockets opened at once. */
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryOutcome } from "../../src/ops/propagation/webhook-sender.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";
import { type Received, type Receiver, startReceiver } from "../ops/receiver.js";
import { readSubscription, type SubscriptionReply, subscribe, untilConfirmed } from "../ops/subscribers.js";

/** A sign-up sent from a chosen loopback address (127.0.0.0/8 is all ours), as a different client would. */
function signUpFrom(baseUrl: string, localAddress: string, url: string): Promise<SubscriptionReply> {
  const body = JSON.stringify({ url });
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/status/subscribers`,
      { method: "POST", localAddress, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A node whose subscribers may be local receivers, with a small tower attached. */
async function startNode(overrides: Record<string, unknown>): Promise<{ server: TestServer; tower: MemoryTower }> {
  const server = await startTestServer({ subscriberPrivateUrls: true, staffChatConversation: "", ...overrides });
  const tower = new MemoryTower(server.url);
  server.app.propagation.attach(tower);
  return { server, tower };
}

describe("sign-up floods", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let victim: Receiver;

  beforeAll(async () => {
    victim = await startReceiver();
    victim.echoChallenges = false; // a third party that never asked for anything
    ({ server, tower } = await startNode({
      subscriptionsPerHourPerIp: 5,
      subscriptionsPerMinute: 12,
      subscriberConfirmsPerHostPerHour: 1000,
      subscriberLimit: 2,
    }));
  });
  afterAll(async () => {
    await server.stop();
    await victim.close();
  });

  it("refuses one address past its rate with rate_limited and retryAfterMs, while another address still gets in", async () => {
    const replies: SubscriptionReply[] = [];
    for (let i = 0; i < 40; i++) replies.push(await signUpFrom(server.url, "127.0.0.2", `${victim.url}/a/${i}`));
    expect(replies.slice(0, 5).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    for (const reply of replies.slice(5)) {
      expect(reply.status).toBe(429);
      expect(reply.body.error?.code).toBe("rate_limited");
      expect(reply.body.error?.retryAfterMs).toBeGreaterThan(60_000); // five an hour: the next in about 12 min
    }
    expect((await signUpFrom(server.url, "127.0.0.3", `${victim.url}/b/0`)).status).toBe(202);
  });

  it("refuses everyone together past the overall rate", async () => {
    // 6 taken so far; 12 a minute overall: six more addresses get one each, then nobody.
    const statuses: number[] = [];
    for (let i = 10; i < 20; i++) {
      statuses.push((await signUpFrom(server.url, `127.0.0.${i}`, `${victim.url}/c/${i}`)).status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 429, 429, 429, 429]);
  });

  it("sent the third party one confirmation request per accepted sign-up and nothing else, ever", async () => {
    await expect.poll(() => victim.confirmations.length).toBe(12);
    tower.open({ title: "Sends fail", components: [{ id: "messaging", status: "major_outage" }] });
    await sleep(500);
    expect(victim.confirmations).toHaveLength(12);
    expect(victim.received).toHaveLength(0); // no notification reached a target that never confirmed
    expect(server.app.propagation.subscribers?.size).toBe(0);
    expect(server.app.propagation.subscribers?.pendingCount).toBe(12);
  });
});

describe("one host through many URLs", () => {
  it("sends one host at most subscriberConfirmsPerHostPerHour confirmation requests, whatever the paths", async () => {
    const victim = await startReceiver();
    victim.echoChallenges = false;
    const { server } = await startNode({
      subscriptionsPerHourPerIp: 1000,
      subscriptionsPerMinute: 1000,
      subscriberConfirmsPerHostPerHour: 3,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await subscribe(server.url, `${victim.url}/v/${i}?x=${i}`)).status);
      expect(statuses).toEqual([202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
      // Another host (the same receiver by another name) has its own share.
      const other = await subscribe(server.url, `${victim.url.replace("127.0.0.1", "localhost")}/v/other`);
      expect(other.status).toBe(202);
      await expect.poll(() => victim.confirmations.length).toBe(4);
      await sleep(200);
      expect(victim.confirmations).toHaveLength(4);
    } finally {
      await server.stop();
      await victim.close();
    }
  });
});

describe("double opt-in", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let victim: Receiver;
  let real: Receiver;

  beforeAll(async () => {
    [victim, real] = await Promise.all([startReceiver(), startReceiver()]);
    victim.echoChallenges = false;
    ({ server, tower } = await startNode({
      subscriptionsPerHourPerIp: 1000,
      subscriptionsPerMinute: 1000,
      subscriberConfirmsPerHostPerHour: 1000,
      subscriberLimit: 2,
      subscriberConfirmTtlMs: 1500,
      webhookRetryBaseMs: 20,
    }));
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([victim.close(), real.close()]);
  });

  it("sends a target at most one confirmation request per window, and notifications only once confirmed", async () => {
    const real1 = await subscribe(server.url, `${real.url}/one`);
    expect(real1.status).toBe(202);
    await untilConfirmed(server.url, real1.body.id as string, real1.body.secret as string);
    const url = `${victim.url}/once`;
    const first = await subscribe(server.url, url);
    expect(first.status).toBe(202);
    for (let i = 0; i < 5; i++) {
      const again = await subscribe(server.url, url);
      expect(again.status).toBe(429);
      expect(again.body.error?.code).toBe("rate_limited");
      expect(again.body.error?.retryAfterMs).toBeGreaterThan(0);
    }
    await expect.poll(() => victim.confirmations.filter((r) => r.path === "/once").length).toBe(1);
    tower.open({ title: "Login fails", components: [{ id: "login", status: "major_outage" }] });
    await real.until(1); // the confirmed one has heard it
    await sleep(200);
    expect(victim.received).toHaveLength(0);
    expect(victim.confirmations.filter((r) => r.path === "/once")).toHaveLength(1);
  });

  it("forgets unconfirmed subscriptions after subscriberConfirmTtlMs", async () => {
    const pending = await subscribe(server.url, `${victim.url}/expires`);
    expect((await readSubscription(server.url, pending.body.id as string, pending.body.secret as string)).status).toBe(
      200,
    );
    await sleep(1600);
    const gone = await readSubscription(server.url, pending.body.id as string, pending.body.secret as string);
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe("subscriber_not_found");
  });

  it("lets unconfirmed sign-ups pile up without filling the cap: a real subscriber still gets in, up to the cap", async () => {
    for (let i = 0; i < 30; i++) expect((await subscribe(server.url, `${victim.url}/flood/${i}`)).status).toBe(202);
    expect(server.app.propagation.subscribers?.size).toBe(1);
    const second = await subscribe(server.url, `${real.url}/two`);
    await untilConfirmed(server.url, second.body.id as string, second.body.secret as string);
    // The cap counts the confirmed ones only, and now they fill it.
    const third = await subscribe(server.url, `${real.url}/three`);
    expect(third.status).toBe(409);
    expect(third.body.error?.code).toBe("subscriber_limit_exceeded");
    expect(server.app.propagation.subscribers?.size).toBe(2);
  });

  it("confirms through the link in the confirmation request: its button, not a mere fetch, and only with its token", async () => {
    // Room for one more: drop a confirmed one with its secret.
    const other = await subscribe(server.url, `${real.url}/linked`);
    expect(other.status).toBe(409);
    const [one] = server.app.propagation.subscribers?.forComponents([]) ?? [];
    const removed = await fetch(`${server.url}/status/subscribers/${one?.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${one?.secret}` },
    });
    expect(removed.status).toBe(204);
    const person = await startReceiver();
    person.echoChallenges = false; // a channel a person reads: the link is clicked, the challenge not echoed
    try {
      const pending = await subscribe(server.url, `${person.url}/channel`);
      await expect.poll(() => person.confirmations.length).toBe(1);
      const { confirmUrl, challenge } = (person.confirmations[0] as Received).json as {
        confirmUrl: string;
        challenge: string;
      };
      expect(JSON.stringify(pending.body)).not.toContain(challenge); // the one who signs up never sees it
      const forged = await fetch(confirmUrl.replace(/token=.*/, "token=guess"), { method: "POST" });
      expect(forged.status).toBe(403);
      // Opening the link (what an unfurler or a mail scanner does) shows a button and confirms nothing.
      const opened = await fetch(confirmUrl);
      expect(opened.status).toBe(200);
      expect(opened.headers.get("content-security-policy")).toContain("form-action 'self'");
      const form = await opened.text();
      expect(form).toMatch(/<form method="post" action="\?token=[\w-]+">/);
      const id = pending.body.id as string;
      expect((await readSubscription(server.url, id, pending.body.secret as string)).body.status).toBe("pending");
      const clicked = await fetch(confirmUrl, { method: "POST" });
      expect(clicked.status).toBe(200);
      expect(await clicked.json()).toEqual({ id, status: "confirmed" });
      tower.open({ title: "Files slow", components: [{ id: "files", status: "degraded_performance" }] });
      await person.until(1);
    } finally {
      await person.close();
    }
  });
});

describe("deliveries to confirmed subscribers", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let gone: Receiver;
  let flaky: Receiver;
  let reader: Receiver;
  const outcomes: DeliveryOutcome[] = [];

  beforeAll(async () => {
    [gone, flaky, reader] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    ({ server, tower } = await startNode({ webhookRetryBaseMs: 20, webhookMaxAttempts: 6 }));
    server.app.propagation.propagation.onDelivery((o) => outcomes.push(o));
    for (const receiver of [gone, flaky, reader]) {
      const res = await subscribe(server.url, `${receiver.url}/hook`);
      await untilConfirmed(server.url, res.body.id as string, res.body.secret as string);
    }
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([gone.close(), flaky.close(), reader.close()]);
  });

  it("does not retry a 4xx refusal; retries a 5xx with backoff", async () => {
    gone.answers.push(410, 410, 410, 410, 410, 410);
    flaky.answers.push(503, 503);
    tower.open({ title: "Sends fail", components: [{ id: "messaging", status: "major_outage" }] });
    await flaky.until(3);
    await sleep(300); // time for any retry of the 410 (base 20 ms) to have happened
    expect(gone.received).toHaveLength(1);
    const toGone = outcomes.filter((o) => o.url.startsWith(gone.url) && o.delivery.event === "incident.opened");
    expect(toGone).toHaveLength(1);
    expect(toGone[0]).toMatchObject({ outcome: "failed", status: 410 });
    expect(flaky.received.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it("removes the subscription through the unsubscribe link every notification carries", async () => {
    const [notification] = await reader.until(1);
    const link = ((notification as Received).json as { meta: { unsubscribe: string } }).meta.unsubscribe;
    expect((await fetch(link.replace(/token=.*/, "token=forged"))).status).toBe(403);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect((await res.json()) as { status: string }).toMatchObject({ status: "unsubscribed" });
    expect((await fetch(link, { method: "POST" })).status).toBe(404); // gone; POST works the same way
    const seen = flaky.received.length;
    tower.open({ title: "Login fails", components: [{ id: "login", status: "major_outage" }] });
    await flaky.until(seen + 1);
    await sleep(200);
    expect(reader.received).toHaveLength(1);
  });
});

describe("thousands of confirmed subscribers", () => {
  const COUNT = 2000;
  const CONCURRENCY = 8;
  let server: TestServer;
  let tower: MemoryTower;
  let receiver: Receiver;
  let lateness = 0;
  let ticker: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.delayMs = 2; // each answer takes a moment, so in-flight requests overlap
    ({ server, tower } = await startNode({ subscriberLimit: COUNT, webhookConcurrency: CONCURRENCY }));
    // The audience is set up through the store (the sign-up path has its own tests above).
    const store = server.app.propagation.subscribers as NonNullable<typeof server.app.propagation.subscribers>;
    const now = new Date();
    for (let i = 0; i < COUNT; i++) {
      const { subscriber, token } = store.addPending(`${receiver.url}/s/${i}`, [], now, 60_000);
      store.confirm(subscriber.id, token, now);
    }
  }, 120_000);
  afterEach(() => clearInterval(ticker));
  afterAll(async () => {
    await server.stop();
    await receiver.close();
  });

  it("never has more than webhookConcurrency sockets in flight, and memory and the event loop stay flat", async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let inFlightPeak = 0;
    let expected = Date.now() + 10;
    ticker = setInterval(() => {
      const now = Date.now();
      lateness = Math.max(lateness, now - expected);
      expected = now + 10;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      inFlightPeak = Math.max(inFlightPeak, server.app.propagation.propagation.subscriberDeliveriesInFlight);
    }, 10);
    const started = Date.now();
    tower.open({ title: "Everything is down", components: [{ id: "messaging", status: "major_outage" }] });
    const afterQueueing = Date.now() - started; // spreading to thousands only queues: it returns at once
    await receiver.until(COUNT, 60_000);
    expect(new Set(receiver.received.map((r) => r.path)).size).toBe(COUNT);
    expect(receiver.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(receiver.maxInFlight).toBeGreaterThan(1); // it did run in parallel, up to the limit
    expect(inFlightPeak).toBeLessThanOrEqual(CONCURRENCY);
    expect(afterQueueing).toBeLessThan(100);
    // The attack stalled the loop for 2 s. The bound leaves room for a busy test machine.
    expect(lateness).toBeLessThan(500);
    expect((rssPeak - rssBefore) / 2 ** 20).toBeLessThan(64); // the attack took RSS from 128 to 440 MiB
    await expect.poll(() => server.app.propagation.propagation.pendingDeliveries).toBe(0);
  }, 90_000);
});
