/** @module The tower's lease on a real NATS JetStream KV: one leader at a time, a successor within the TTL, a stalled leader fenced by its own clock. */
import { randomUUID } from "node:crypto";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { connectTowerNats } from "../../src/ops/link/nats-tower-link.js";
import { TowerLease } from "../../src/ops/link/tower-lease.js";
import { NATS_URL } from "../services.js";
import { eventually } from "./ops-helpers.js";

const TTL_MS = 1500;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `n` contenders for one fresh bucket, each on a connection of its own, with what each heard. */
async function contenders(n: number) {
  const bucket = `test_lease_${randomUUID().slice(0, 8)}`;
  const conns: NatsConnection[] = [];
  const leases: TowerLease[] = [];
  const heard: boolean[][] = [];
  for (let i = 0; i < n; i++) {
    const nc = await connectTowerNats(NATS_URL, `lease-test-${i}`);
    conns.push(nc);
    heard.push([]);
    leases.push(
      await TowerLease.open(nc, bucket, {
        holder: `node${i}`,
        ttlMs: TTL_MS,
        onChange: (leading) => heard[i]?.push(leading),
      }),
    );
  }
  cleanups.push(async () => {
    for (const lease of leases) await lease.stop();
    const admin = await connectTowerNats(NATS_URL, "lease-test-admin");
    await (await new Kvm(admin).open(bucket)).destroy();
    await admin.close();
    for (const nc of conns) if (!nc.isClosed()) await nc.close();
  });
  const leaders = () => leases.flatMap((lease, i) => (lease.leads() ? [i] : []));
  return { leases, conns, heard, leaders };
}

describe("the tower's lease in NATS KV", () => {
  it("lets exactly one contender lead, and hands over at once when the leader stops", async () => {
    const { leases, heard, leaders } = await contenders(3);
    for (const lease of leases) lease.start();
    await eventually(() => expect(leaders()).toHaveLength(1), 5000);
    // Over several renewals the leader stays the same one, and no other ever leads beside it.
    const first = leaders()[0] as number;
    for (let i = 0; i < 20; i++) {
      expect(leaders()).toEqual([first]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await leases[first]?.stop();
    const stoppedAt = Date.now();
    await eventually(() => expect(leaders()).toHaveLength(1), 5000);
    expect(leaders()).not.toContain(first);
    // The key was deleted, so the next round of a contender took it (a third of the TTL, not the TTL).
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_MS);
    expect(heard[first]).toEqual([true, false]);
  });

  it("gives a successor the lease within the TTL when the leader vanishes without a word", async () => {
    const { leases, conns, leaders } = await contenders(2);
    for (const lease of leases) lease.start();
    await eventually(() => expect(leaders()).toHaveLength(1), 5000);
    const first = leaders()[0] as number;
    const other = 1 - first;
    // The leader's connection dies (as with a killed process, its entry is left to expire).
    await conns[first]?.close();
    const lostAt = Date.now();
    // It stops counting itself the leader before its entry can expire…
    await eventually(() => expect(leases[first]?.leads()).toBe(false), TTL_MS);
    const steppedDownAfter = Date.now() - lostAt;
    // …and the other takes over once the entry expired: within the TTL and a renewal period.
    await eventually(() => expect(leaders()).toEqual([other]), 2 * TTL_MS + 1000);
    const takenAfter = Date.now() - lostAt;
    expect(steppedDownAfter).toBeLessThan(takenAfter);
    expect(takenAfter).toBeLessThanOrEqual(TTL_MS + TTL_MS / 3 + 500);
  });

  it("fences a leader that stalls past its TTL: it no longer leads the moment it wakes, before any timer runs", async () => {
    const { leases, leaders } = await contenders(2);
    leases[0]?.start();
    await eventually(() => expect(leaders()).toEqual([0]), 5000);
    leases[1]?.start();
    // The whole process stalls (a long GC pause, SIGSTOP, a VM migration) for twice the TTL.
    const until = Date.now() + 2 * TTL_MS;
    while (Date.now() < until) {
      // busy: no timer, no message
    }
    // First thing after waking, synchronously: the stalled leader does not count itself the leader.
    expect(leases[0]?.leads()).toBe(false);
    // Then one of them takes the lease afresh (the old entry expired on the server meanwhile).
    await eventually(() => expect(leaders()).toHaveLength(1), 5000);
  });
});
