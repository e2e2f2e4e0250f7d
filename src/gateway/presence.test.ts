/** @module The presence registry alone: claims per node, their expiry, and a user online while any node holds them. */
import { expect, it } from "vitest";
import { HEARTBEAT_SLICES } from "./heartbeat.js";
import { PRESENCE_CLAIM_HEARTBEATS, PresenceRegistry } from "./presence.js";

it("turns a user offline when the node holding them stops refreshing, and back on a refresh", () => {
  let now = 0;
  const registry = new PresenceRegistry("here", 1000, () => now);
  expect(registry.apply("u", "dead-node", true, "t0")).toMatchObject({ userId: "u", online: true });
  now = 900;
  expect(registry.expire()).toEqual([]);
  now = 1001;
  expect(registry.expire()).toEqual([expect.objectContaining({ userId: "u", online: false })]);
  expect(registry.get("u").online).toBe(false);
  expect(registry.apply("u", "other-node", true, "t1")?.online).toBe(true);
});

it("keeps a user online while any node still holds a session", () => {
  const registry = new PresenceRegistry("here", 60_000);
  registry.apply("u", "a", true, "t0");
  expect(registry.apply("u", "b", true, "t1")).toBeNull();
  expect(registry.apply("u", "a", false, "t2")).toBeNull();
  expect(registry.apply("u", "b", false, "t3")).toMatchObject({ online: false, lastSeenAt: "t3" });
});

it("turns a dead node's users offline within 1.6 heartbeats when the expiry runs every slice", () => {
  const heartbeatMs = 20_000;
  let now = 0;
  const registry = new PresenceRegistry("here", heartbeatMs * PRESENCE_CLAIM_HEARTBEATS, () => now);
  registry.apply("u", "dead-node", true, "t0"); // its last refresh, just before the SIGKILL
  let offlineAt: number | null = null;
  for (now = 0; offlineAt === null && now < 120_000; now += heartbeatMs / HEARTBEAT_SLICES) {
    if (registry.expire().length > 0) offlineAt = now;
  }
  expect(offlineAt).not.toBeNull();
  expect(offlineAt).toBeGreaterThan(heartbeatMs); // a live node's next refresh comes in time
  expect(offlineAt).toBeLessThanOrEqual(heartbeatMs * 1.6);
  expect(offlineAt).toBeLessThan(60_000);
});

it("shows a hidden user as neither online nor seen, while the truth stays for the server", () => {
  const registry = new PresenceRegistry("here", 60_000);
  registry.apply("u", "a", true, "t0");
  expect(registry.setHidden("u", true)).toBe(true);
  expect(registry.setHidden("u", true)).toBe(false);
  expect(registry.shown("u")).toEqual({ userId: "u", online: false, lastSeenAt: null, hidden: true });
  expect(registry.get("u").online).toBe(true);
  registry.setHidden("u", false);
  expect(registry.shown("u")).toMatchObject({ online: true });
});
