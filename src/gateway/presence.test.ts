/** @module The presence registry alone: claims per node, their expiry, and a user online while any node holds them. */
import { expect, it } from "vitest";
import { PresenceRegistry } from "./presence.js";

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
