/** @module Staff and subscriber webhooks against real local HTTP receivers: timing, retries, signatures, Slack shape, per-component filters, bounds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkWebhookUrl, isPrivateAddress, publicOnlyLookup } from "../../src/guard/url-policy.js";
import { type DeliveryOutcome, signWebhook, WebhookSender } from "../../src/ops/propagation/webhook-sender.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "./memory-tower.js";
import { type Received, type Receiver, startReceiver } from "./receiver.js";
import { subscribe as subscribeAt, untilConfirmed } from "./subscribers.js";

const SECRET = "staff-secret";
const BOUNDS = { concurrency: 16, pendingLimit: 1000 };

function verify(received: Received, secret: string): boolean {
  const timestamp = received.headers["x-haetae-timestamp"] as string;
  return received.headers["x-haetae-signature"] === signWebhook(secret, timestamp, received.body);
}

describe("staff webhooks", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let generic: Receiver;
  let slack: Receiver;

  beforeAll(async () => {
    [generic, slack] = await Promise.all([startReceiver(), startReceiver()]);
    server = await startTestServer({
      staffWebhookUrls: `${generic.url}/hooks/haetae`,
      staffSlackWebhookUrls: `${slack.url}/services/T000/B000/xyz`,
      webhookSecret: SECRET,
      webhookRetryBaseMs: 100,
      staffChatConversation: "",
    });
    tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([generic.close(), slack.close()]);
  });

  it("delivers the generic JSON within a second of the change, signed, with a delivery id", async () => {
    const before = Date.now();
    const incident = tower.open({
      title: "Sends fail",
      components: [{ id: "messaging", status: "major_outage" }],
      impact: "critical",
      severity: "SEV1",
    });
    const [got] = await generic.until(1);
    expect(got?.at ?? Infinity).toBeLessThan(before + 1000);
    expect(got?.path).toBe("/hooks/haetae");
    expect(got?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(got?.headers["x-haetae-event"]).toBe("incident.opened");
    expect(got?.headers["x-haetae-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(verify(got as Received, SECRET)).toBe(true);
    expect(verify(got as Received, "another secret")).toBe(false);
    expect(got?.json).toMatchObject({
      kind: "incident.opened",
      page: { url: server.url, indicator: "critical" },
      incident: {
        id: incident.id,
        title: "Sends fail",
        status: "investigating",
        severity: "SEV1",
        impact: "critical",
        url: `${server.url}/status/incidents/${incident.id}`,
        latestUpdate: { status: "investigating", by: "oncall" },
        urgency: "page", // an open SEV1 wakes someone
      },
    });
    expect(((got as Received).json as { text: string }).text).toContain("[SEV1] Incident opened: Sends fail");
  });

  it("sends Slack-compatible {text, blocks} to the Slack URLs", async () => {
    const [got] = await slack.until(1);
    const body = got?.json as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
    expect(body.text).toContain("Sends fail");
    expect(body.blocks[0]?.type).toBe("section");
    expect(body.blocks[0]?.text?.type).toBe("mrkdwn");
    expect(body.blocks[0]?.text?.text).toMatch(
      /^:red_circle: \*<http:\/\/127\.0\.0\.1:\d+\/status\/incidents\/[^|]+\|Sends fail>\*/,
    );
    expect(body.blocks[1]?.type).toBe("context");
  });

  it("retries after two 500s with the same delivery id and a growing delay", async () => {
    const start = generic.received.length;
    generic.answers.push(500, 500);
    const incident = tower.snapshot().incidents[0];
    tower.update(incident?.id as string, "identified", "A disk is full.");
    const got = (await generic.until(start + 3)).slice(start);
    expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.headers["x-haetae-delivery"])).size).toBe(1);
    expect(got.map((r) => r.headers["x-haetae-attempt"])).toEqual(["1", "2", "3"]);
    const gaps = [(got[1]?.at ?? 0) - (got[0]?.at ?? 0), (got[2]?.at ?? 0) - (got[1]?.at ?? 0)];
    expect(gaps[0]).toBeGreaterThanOrEqual(75); // 100 ms −20% jitter
    expect(gaps[1]).toBeGreaterThanOrEqual(150); // doubled
    expect(got[2]?.json).toMatchObject({ kind: "incident.updated", incident: { status: "identified" } });
  });
});

describe("webhook sender bounds", () => {
  it("a hung receiver holds at most queueLimit deliveries and does not delay another receiver", async () => {
    const [dead, live] = await Promise.all([startReceiver(), startReceiver()]);
    dead.hang = true;
    const outcomes: DeliveryOutcome[] = [];
    const sender = new WebhookSender(
      { maxAttempts: 2, retryBaseMs: 50, timeoutMs: 300, queueLimit: 3, ...BOUNDS },
      (o) => outcomes.push(o),
    );
    try {
      for (let i = 0; i < 10; i++) sender.send({ url: `${dead.url}/x` }, "test", `{"n":${i}}`);
      expect(sender.pending).toBe(3);
      const before = Date.now();
      sender.send({ url: `${live.url}/y` }, "test", "{}");
      await live.until(1);
      expect(Date.now() - before).toBeLessThan(250); // not behind the dead receiver's 300 ms timeouts
      expect(outcomes.filter((o) => o.outcome === "dropped")).toHaveLength(7);
      // The rest give up after two attempts each, and the lane is gone.
      await expect.poll(() => sender.pending, { timeout: 5000 }).toBe(0);
      expect(outcomes.filter((o) => o.outcome === "failed").map((o) => o.delivery.attempts)).toEqual([2, 2, 2]);
    } finally {
      sender.close();
      dead.hang = false;
      await Promise.all([dead.close(), live.close()]);
    }
  });

  it("does not retry a 4xx other than 408 and 429", async () => {
    const receiver = await startReceiver();
    receiver.answers.push(410);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new WebhookSender(
      { maxAttempts: 5, retryBaseMs: 10, timeoutMs: 1000, queueLimit: 10, ...BOUNDS },
      (o) => outcomes.push(o),
    );
    try {
      sender.send({ url: receiver.url }, "test", "{}");
      await expect.poll(() => outcomes.length).toBe(1);
      expect(outcomes[0]).toMatchObject({ outcome: "failed", status: 410 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      sender.close();
      await receiver.close();
    }
  });
});

describe("subscriber webhooks", () => {
  let server: TestServer;
  let tower: MemoryTower;
  let login: Receiver;
  let everything: Receiver;
  let files: Receiver;
  const subscriptions: Record<string, { id: string; secret: string }> = {};

  const subscribe = (url: string, components?: string[]) => subscribeAt(server.url, url, components);

  beforeAll(async () => {
    [login, everything, files] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    server = await startTestServer({ subscriberPrivateUrls: true, webhookRetryBaseMs: 50, staffChatConversation: "" });
    tower = new MemoryTower(server.url);
    server.app.propagation.attach(tower);
    for (const [name, receiver, components] of [
      ["login", login, ["login"]],
      ["everything", everything, undefined],
      ["files", files, ["files"]],
    ] as const) {
      const res = await subscribe(`${receiver.url}/${name}`, components ? [...components] : undefined);
      // Pending until the target answers the confirmation request (the receiver echoes its challenge).
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        secret: expect.stringMatching(/^whsec_/),
        status: "pending",
        confirmedAt: null,
      });
      subscriptions[name] = res.body as { id: string; secret: string };
      await untilConfirmed(server.url, res.body.id as string, res.body.secret as string);
      const [request] = receiver.confirmations;
      expect(request?.headers["x-haetae-event"]).toBe("subscription.confirm");
      expect(verify(request as Received, res.body.secret as string)).toBe(true);
      expect(receiver.received).toHaveLength(0);
    }
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([login.close(), everything.close(), files.close()]);
  });

  it("notifies only the subscribers of the incident's components, in Statuspage's shape, signed with their secret", async () => {
    const incident = tower.open({
      title: "Login fails",
      components: [{ id: "login", status: "major_outage" }],
      impact: "major",
    });
    const [toLogin] = await login.until(1);
    const [toAll] = await everything.until(1);
    for (const [got, name] of [
      [toLogin, "login"],
      [toAll, "everything"],
    ] as const) {
      expect(verify(got as Received, subscriptions[name]?.secret as string)).toBe(true);
      const body = got?.json as Record<string, Record<string, unknown>>;
      expect(body.meta?.unsubscribe).toMatch(
        new RegExp(`^${server.url}/status/subscribers/${subscriptions[name]?.id}/unsubscribe\\?token=[\\w-]{43}$`),
      );
      expect(body.page?.status_indicator).toBe("major");
      expect(body.incident).toMatchObject({
        id: incident.id,
        name: "Login fails",
        status: "investigating",
        impact: "major",
      });
      expect(body.incident?.incident_updates).toHaveLength(1);
      expect(JSON.stringify(body)).not.toContain("SEV"); // severity and authors stay inside the company
      expect(JSON.stringify(body)).not.toContain("oncall");
    }
    const fileIncident = tower.open({
      title: "Uploads slow",
      components: [{ id: "files", status: "degraded_performance" }],
      impact: "minor",
    });
    const [toFiles] = await files.until(1);
    expect(((toFiles as Received).json as { incident: { id: string } }).incident.id).toBe(fileIncident.id);
    await everything.until(2);
    expect(files.received).toHaveLength(1); // the login incident never reached the files subscriber
    expect(login.received).toHaveLength(1); // nor the files incident the login subscriber
  });

  it("unsubscribes with the secret only", async () => {
    const { id, secret } = subscriptions.login as { id: string; secret: string };
    const wrong = await fetch(`${server.url}/status/subscribers/${id}`, {
      method: "DELETE",
      headers: { authorization: "Bearer whsec_wrong" },
    });
    expect(wrong.status).toBe(403);
    const none = await fetch(`${server.url}/status/subscribers/${id}`, { method: "DELETE" });
    expect(none.status).toBe(401);
    const unknown = await fetch(`${server.url}/status/subscribers/nope`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("subscriber_not_found");
    const right = await fetch(`${server.url}/status/subscribers/${id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(right.status).toBe(204);
    const seen = everything.received.length;
    tower.open({ title: "Login fails again", components: [{ id: "login", status: "partial_outage" }] });
    await everything.until(seen + 1);
    expect(login.received).toHaveLength(1);
  });

  it("survives a restart: subscriptions are in <data>/subscribers.sqlite", async () => {
    const { SubscriberStore } = await import("../../src/ops/propagation/subscriber-store.js");
    const reopened = new SubscriberStore(server.dataDir, 100);
    try {
      expect(reopened.size).toBe(2);
      expect(
        reopened
          .forComponents(["files"])
          .map((s) => s.url)
          .sort(),
      ).toEqual([`${everything.url}/everything`, `${files.url}/files`].sort());
    } finally {
      reopened.close();
    }
  });

  it("refuses bad bodies and unknown components", async () => {
    expect((await subscribe("ftp://example.com/x")).status).toBe(400);
    expect((await subscribe("not a url")).status).toBe(400);
    expect((await subscribe(`${login.url}/x`, ["no-such-component"])).status).toBe(400);
    const res = await fetch(`${server.url}/status/subscribers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });
});

describe("subscriber URL policy", () => {
  it("allows http(s) only and, by default, no private, loopback or link-local address", () => {
    expect(checkWebhookUrl("https://hooks.example.com/a?b=c", false)).toBe("https://hooks.example.com/a?b=c");
    for (const url of [
      "http://127.0.0.1:8080/x",
      "http://localhost/x",
      "http://10.1.2.3/",
      "http://192.168.0.10/",
      "http://172.20.0.1/",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/",
      "http://[fd00::1]/",
      "http://[::ffff:10.0.0.1]/",
      "file:///etc/passwd",
      "http://user:pass@example.com/",
    ]) {
      expect(() => checkWebhookUrl(url, false), url).toThrow();
    }
    expect(checkWebhookUrl("http://127.0.0.1:8080/x", true)).toBe("http://127.0.0.1:8080/x");
    expect(isPrivateAddress("93.184.216.34")).toBe(false);
    expect(isPrivateAddress("2606:4700::1111")).toBe(false);
  });

  it("refuses at connect time a name that resolves to a private address", async () => {
    const error = await new Promise<Error | null>((resolve) =>
      publicOnlyLookup("localhost", { family: 0 }, (e: NodeJS.ErrnoException | null) => resolve(e)),
    );
    expect(error?.message).toMatch(/refused address: loopback/);
  });

  it("is enforced by POST /status/subscribers when subscriberPrivateUrls is off (the default)", async () => {
    const server = await startTestServer({ staffChatConversation: "" });
    try {
      const res = await fetch(`${server.url}/status/subscribers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: "http://127.0.0.1:9/hook" }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/private/);
    } finally {
      await server.stop();
    }
  });
});
