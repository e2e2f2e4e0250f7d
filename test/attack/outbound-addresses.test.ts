/** @module Attack: outbound webhooks reaching loopback through IPv4-embedded IPv6 forms, short IPv4 spellings, names and redirects. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AddressPolicy, publicAddressRefusal } from "../../src/guard/url-policy.js";
import { type DeliveryOutcome, MAX_REDIRECTS, WebhookSender } from "../../src/ops/propagation/webhook-sender.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";
import { type Receiver, startReceiver } from "../ops/receiver.js";
import { subscribe } from "../ops/subscribers.js";

/** Hosts that spell this machine's loopback (or an address a stranger must not reach), as URLs carry them. */
const FORMS = [
  "[::7f00:1]", // IPv4-compatible
  "[::127.0.0.1]",
  "[::ffff:0:7f00:1]", // IPv4-translated
  "[64:ff9b::7f00:1]", // NAT64
  "[64:ff9b:1::7f00:1]", // local-use NAT64
  "[2002:7f00:1::]", // 6to4
  "[2001:0:4136:e378:8000:63bf:80ff:fffe]", // Teredo, client 127.0.0.1
  "[::ffff:7f00:1]", // IPv4-mapped
  "[::ffff:127.0.0.1]",
  "[::1]",
  "127.0.0.1",
  "127.1",
  "2130706433",
  "0x7f000001",
  "0.0.0.0",
  "localhost",
  "localhost.",
  "192.0.0.1",
];
/**
 * A name not caught by its spelling: the lookup resolves this machine's own name (to loopback,
 * or to its private address in a container) and refuses the answer at the connection.
 */
const NAME = hostname();

/** Of those, the ones that really reach 127.0.0.1 here: the control proves the refusals are the policy's doing. */
const LIVE = ["[::ffff:7f00:1]", "127.1", "2130706433", "localhost"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SENDER = {
  maxAttempts: 4,
  retryBaseMs: 10,
  timeoutMs: 2000,
  queueLimit: 100,
  concurrency: 8,
  pendingLimit: 1000,
};

describe("subscriber webhooks against loopback, every spelling", () => {
  let server: TestServer;
  let receiver: Receiver;
  let port: string;
  const outcomes: DeliveryOutcome[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    port = new URL(receiver.url).port;
    server = await startTestServer({ webhookRetryBaseMs: 10, staffChatConversation: "" }); // the public policy
    server.app.propagation.attach(new MemoryTower(server.url));
    server.app.propagation.propagation.onDelivery((o) => outcomes.push(o));
  });
  afterAll(async () => {
    await server.stop();
    await receiver.close();
  });

  it.each(FORMS)("refuses the sign-up for http://%s", async (host) => {
    const res = await subscribe(server.url, `http://${host}:${port}/hook`);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("invalid_request");
    expect(res.body.error?.message).toMatch(/refused/);
  });

  it("takes a sign-up for a name that resolves inside, but its one confirmation request is refused at the connection", async () => {
    const res = await subscribe(server.url, `http://${NAME}:${port}/named`);
    expect(res.status).toBe(202);
    await expect.poll(() => outcomes.find((o) => o.delivery.event === "subscription.confirm")?.outcome).toBe("refused");
    expect(outcomes.filter((o) => o.delivery.event === "subscription.confirm")).toHaveLength(1);
    expect(server.app.propagation.subscribers?.size).toBe(0);
    expect(receiver.confirmations).toHaveLength(0);
  });

  it("refuses, once and without retrying, deliveries to stored subscriptions that spell loopback", async () => {
    // Subscriptions that got past sign-up some other way (made before this policy, or while
    // subscriberPrivateUrls was on): the check at connection time must still hold.
    const store = server.app.propagation.subscribers as NonNullable<typeof server.app.propagation.subscribers>;
    const now = new Date();
    for (const host of [...FORMS, NAME]) {
      const { subscriber, token } = store.addPending(`http://${host}:${port}/stored`, [], now, 60_000);
      store.confirm(subscriber.id, token, now);
    }
    const tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
    tower.open({ title: "Sends fail", components: [{ id: "messaging", status: "major_outage" }] });
    await expect
      .poll(() => outcomes.filter((o) => o.delivery.event === "incident.opened").length)
      .toBe(FORMS.length + 1);
    await sleep(200); // room for any retry (base 10 ms)
    const delivered = outcomes.filter((o) => o.delivery.event === "incident.opened");
    expect(delivered).toHaveLength(FORMS.length + 1);
    for (const outcome of delivered) {
      expect(outcome.outcome, outcome.url).toBe("refused");
      expect(outcome.delivery.attempts).toBe(1);
    }
    expect(receiver.received).toHaveLength(0);
    expect(receiver.confirmations).toHaveLength(0);
  });
});

describe("redirects", () => {
  let receiver: Receiver;
  let redirector: Server;
  let redirectorUrl: string;
  let next = "";
  /** A stand-in for a public host: 127.0.0.2 is treated as public, nothing else on loopback is. */
  const policy: AddressPolicy = (address) => (address === "127.0.0.2" ? undefined : publicAddressRefusal(address));

  beforeAll(async () => {
    receiver = await startReceiver();
    redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: next });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, "127.0.0.2", resolve));
    redirectorUrl = `http://127.0.0.2:${(redirector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    redirector.closeAllConnections();
    await new Promise((resolve) => redirector.close(resolve));
    await receiver.close();
  });

  async function sendThrough(target: string, p: AddressPolicy | undefined): Promise<DeliveryOutcome> {
    next = target;
    const sender = new WebhookSender(SENDER, () => {});
    try {
      return await new Promise<DeliveryOutcome>((resolve) =>
        sender.send({ url: `${redirectorUrl}/hook`, policy: p }, "test", "{}", { onDone: resolve }),
      );
    } finally {
      sender.close();
    }
  }

  it.each([...FORMS, NAME])("checks the redirect to http://%s like the first URL", async (host) => {
    const port = new URL(receiver.url).port;
    const outcome = await sendThrough(`http://${host}:${port}/redirected`, policy);
    expect(outcome).toMatchObject({ outcome: "refused" });
    expect(outcome.delivery.attempts).toBe(1);
    expect(receiver.received).toHaveLength(0);
  });

  it("follows at most a few redirects", async () => {
    const outcome = await sendThrough(`${redirectorUrl}/again`, policy);
    expect(outcome).toMatchObject({ outcome: "refused", error: `more than ${MAX_REDIRECTS} redirects` });
  });

  it("control: without the policy the same redirects and forms reach the loopback receiver", async () => {
    const port = new URL(receiver.url).port;
    for (const host of LIVE) {
      const outcome = await sendThrough(`http://${host}:${port}/live`, undefined);
      expect(outcome, host).toMatchObject({ outcome: "delivered", status: 200 });
    }
    expect(receiver.received).toHaveLength(LIVE.length);
    const direct = new WebhookSender(SENDER, () => {});
    try {
      for (const host of LIVE) {
        const outcome = await new Promise<DeliveryOutcome>((resolve) =>
          direct.send({ url: `http://${host}:${port}/direct` }, "test", "{}", { onDone: resolve }),
        );
        expect(outcome, host).toMatchObject({ outcome: "delivered" });
      }
    } finally {
      direct.close();
    }
  });
});
