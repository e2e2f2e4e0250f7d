/**
 * Attack: the per-host cap on confirmation requests counted a host by how its name was spelled.
 * "target.example." (fully qualified, with the trailing dot) is the same host as
 * "target.example", and "target.example.." too for many resolvers, but each spelling had a cap
 * of its own, so a flood aimed at one host could be multiplied.
 */
import { describe, expect, it } from "vitest";
import { startTestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";
import { startReceiver } from "../ops/receiver.js";
import { subscribe } from "../ops/subscribers.js";

describe("one host spelled several ways", () => {
  it("shares one per-host cap of confirmation requests", async () => {
    const victim = await startReceiver();
    victim.echoChallenges = false;
    const server = await startTestServer({
      subscriberPrivateUrls: true,
      staffChatConversation: "",
      subscriptionsPerHourPerIp: 1000,
      subscriptionsPerMinute: 1000,
      subscriberConfirmsPerHostPerHour: 2,
    });
    server.app.propagation.attach(new MemoryTower(server.url));
    try {
      const base = victim.url.replace("127.0.0.1", "localhost");
      const fqdn = base.replace("localhost", "localhost.");
      const statuses: number[] = [];
      statuses.push((await subscribe(server.url, `${base}/a`)).status);
      statuses.push((await subscribe(server.url, `${base}/b`)).status);
      statuses.push((await subscribe(server.url, `${fqdn}/c`)).status);
      statuses.push((await subscribe(server.url, `${fqdn.replace("localhost.", "LOCALHOST.")}/d`)).status);
      expect(statuses).toEqual([202, 202, 429, 429]);
    } finally {
      await server.stop();
      await victim.close();
    }
  });
});
