/** @module The bus contract suite: every adapter named in BUSES (default "memory,nats") must pass it. */
import { afterEach, describe, expect, it } from "vitest";
import { NATS_URL } from "../../test/services.js";
import type { Bus, BusControl, BusMessage } from "./bus.js";
import { MemoryBus } from "./memory-bus.js";
import { NatsBus } from "./nats-bus.js";

/** An adapter under test: `connect` gives another node's view of the same bus. */
interface Adapter {
  name: string;
  create(): { connect(): Promise<Bus>; dispose(): Promise<void> };
}

const ADAPTERS: Record<string, Adapter> = {
  memory: {
    name: "memory",
    create() {
      const bus = new MemoryBus();
      // One process has one in-memory bus: every "node" shares it.
      return { connect: async () => bus, dispose: () => bus.close() };
    },
  },
  nats: {
    name: "nats",
    create() {
      // A prefix of its own keeps this test's messages apart from every other run on the same NATS.
      const url = `${NATS_URL}?prefix=contract${Math.random().toString(36).slice(2, 10)}`;
      const opened: Bus[] = [];
      return {
        connect: async () => {
          const bus = await NatsBus.connect(url);
          opened.push(bus);
          return bus;
        },
        dispose: async () => {
          await Promise.all(opened.map((b) => b.close()));
        },
      };
    },
  },
};

const selected = (process.env.BUSES ?? "memory,nats").split(",").map((s) => s.trim());
for (const name of selected) {
  if (!ADAPTERS[name]) throw new Error(`BUSES names "${name}", which has no adapter in this suite`);
}

function collect<T>(): { items: T[]; until(n: number): Promise<void>; push(item: T): void } {
  const items: T[] = [];
  let wake = () => {};
  return {
    items,
    push(item) {
      items.push(item);
      wake();
    },
    until(n) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${items.length} of ${n} arrived`)), 5000);
        const check = () => {
          if (items.length >= n) {
            clearTimeout(timer);
            resolve();
          }
        };
        wake = check;
        check();
      });
    },
  };
}

describe.each(selected.map((n) => ADAPTERS[n] as Adapter))("bus contract: $name", (adapter) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  function fresh() {
    const place = adapter.create();
    cleanups.push(() => place.dispose());
    return place;
  }

  it("delivers every message to every subscriber, in publish order", async () => {
    const place = fresh();
    const publisher = await place.connect();
    const one = collect<BusMessage>();
    const two = collect<BusMessage>();
    const nodeOne = await place.connect();
    const nodeTwo = await place.connect();
    nodeOne.subscribe((m) => one.push(m));
    nodeTwo.subscribe((m) => two.push(m));
    await Promise.all([nodeOne.ping(), nodeTwo.ping()]); // a subscription is in effect once a ping returns
    for (let i = 0; i < 100; i++)
      await publisher.publish({ audience: ["u1"], frame: `{"n":${i}}`, ephemeral: i % 2 === 0 });
    await Promise.all([one.until(100), two.until(100)]);
    for (const got of [one.items, two.items]) {
      expect(got.map((m) => JSON.parse(m.frame).n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(got[0]).toEqual({ audience: ["u1"], frame: '{"n":0}', ephemeral: true });
    }
  });

  it("does not deliver inside publish, and a throwing subscriber does not stop the others", async () => {
    const place = fresh();
    const bus = await place.connect();
    const got = collect<BusMessage>();
    let inside = false;
    bus.subscribe(() => {
      throw new Error("faulty subscriber");
    });
    bus.subscribe((m) => {
      expect(inside).toBe(false);
      got.push(m);
    });
    await bus.ping();
    inside = true;
    const done = bus.publish({ audience: [], frame: "{}", ephemeral: false });
    inside = false;
    await done;
    await got.until(1);
  });

  it("stops delivering to a subscriber that unsubscribed", async () => {
    const place = fresh();
    const bus = await place.connect();
    const kept = collect<BusMessage>();
    let dropped = 0;
    const off = bus.subscribe(() => {
      dropped += 1;
    });
    bus.subscribe((m) => kept.push(m));
    off();
    await bus.ping();
    await bus.publish({ audience: [], frame: "{}", ephemeral: false });
    await kept.until(1);
    expect(dropped).toBe(0);
  });

  it("carries control messages (revocations and presence) to every node", async () => {
    const place = fresh();
    const got = collect<BusControl>();
    const listener = await place.connect();
    listener.subscribeControl((c) => got.push(c));
    await listener.ping();
    const sender = await place.connect();
    await sender.publishControl({ kind: "device.revoked", deviceId: "d1" });
    await sender.publishControl({ kind: "presence", userId: "u", nodeId: "n", online: true, at: "t" });
    await got.until(2);
    expect(got.items.map((c) => c.kind)).toEqual(["device.revoked", "presence"]);
  });

  it("carries the everyone flag (every session, whoever its user) to every node", async () => {
    const place = fresh();
    const got = collect<BusMessage>();
    const listener = await place.connect();
    listener.subscribe((m) => got.push(m));
    await listener.ping();
    const sender = await place.connect();
    await sender.publish({ audience: [], frame: '{"type":"incident"}', ephemeral: false, everyone: true });
    await sender.publish({ audience: ["u1"], frame: "{}", ephemeral: false });
    await got.until(2);
    expect(got.items[0]).toMatchObject({ frame: '{"type":"incident"}', ephemeral: false, everyone: true });
    expect(got.items[1]?.everyone).toBeFalsy();
  });

  it("delivers a node's own publishes to its own subscribers once each, in order with its controls", async () => {
    const place = fresh();
    const bus = await place.connect();
    const seen: string[] = [];
    bus.subscribe((m) => seen.push(m.frame));
    bus.subscribeControl((c) => seen.push(c.kind));
    await bus.ping();
    await bus.publish({ audience: ["u1"], frame: "a", ephemeral: false });
    await bus.publish({ audience: ["u1"], frame: "b", ephemeral: false });
    await bus.publishControl({ kind: "device.revoked", deviceId: "d1" });
    await bus.publish({ audience: ["u1"], frame: "c", ephemeral: false });
    await bus.ping();
    for (let i = 0; i < 250 && seen.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    // A while longer: a second copy (through the bus and in-process) would arrive in it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(["a", "b", "device.revoked", "c"]);
  });

  it("answers ping while open", async () => {
    const place = fresh();
    await expect((await place.connect()).ping()).resolves.toBeUndefined();
  });
});
