/** @module Push subscription reads: the asks of one turn are one read, each ask gets its own users' subscriptions, a failed read fails that turn's asks only. */
import { expect, it } from "vitest";
import type { PushSubscriptionRecord } from "../store/store.js";
import { PushSubscriptionReads } from "./push-subscription-reads.js";

const sub = (userId: string, n: number): PushSubscriptionRecord => ({
  endpoint: `https://push.example/${userId}/${n}`,
  userId,
  deviceId: `${userId}-d${n}`,
  p256dh: "k",
  auth: "a",
  createdAt: "2026-12-07T00:00:00.000Z",
});

it("reads the asks of one turn at once, and gives each ask its own users' subscriptions in its order", async () => {
  const stored = [sub("a", 1), sub("a", 2), sub("b", 1), sub("c", 1)];
  const reads: string[][] = [];
  const lookups = new PushSubscriptionReads(async (userIds) => {
    reads.push([...userIds]);
    return stored.filter((s) => userIds.includes(s.userId));
  });
  const [one, two, three] = await Promise.all([lookups.of(["b", "a"]), lookups.of(["a", "x"]), lookups.of(["x"])]);
  expect(reads).toEqual([["b", "a", "x"]]);
  expect(one.map((s) => s.deviceId)).toEqual(["b-d1", "a-d1", "a-d2"]);
  expect(two.map((s) => s.deviceId)).toEqual(["a-d1", "a-d2"]);
  expect(three).toEqual([]);
  // A later turn reads again, and sees what is stored then.
  stored.push(sub("x", 1));
  expect((await lookups.of(["x", "x"])).map((s) => s.deviceId)).toEqual(["x-d1"]);
  expect(reads).toEqual([["b", "a", "x"], ["x"]]);
});

it("fails every ask of a turn whose read failed, and reads again for the next", async () => {
  let fail = true;
  const lookups = new PushSubscriptionReads(async (userIds) => {
    if (fail) throw new Error("store unavailable");
    return userIds.map((u) => sub(u, 1));
  });
  const settled = await Promise.allSettled([lookups.of(["a"]), lookups.of(["b"])]);
  expect(settled.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  fail = false;
  expect((await lookups.of(["a"])).map((s) => s.userId)).toEqual(["a"]);
});
