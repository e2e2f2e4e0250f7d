/** @module The NATS bus on the wire: batches per turn, and nodes of the release before batches during a rolling upgrade. */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { NATS_URL } from "../../test/services.js";
import type { BusControl, BusMessage } from "./bus.js";
import { BATCH_CHARS } from "./bus-batch.js";
import { NatsBus } from "./nats-bus.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const each of open.splice(0)) await each.close();
});

async function place(legacyWindowMs?: number) {
  const prefix = `natsbus${Math.random().toString(36).slice(2, 10)}`;
  const url = `${NATS_URL}?prefix=${prefix}`;
  const bus = async () => {
    const b = await NatsBus.connect(url, "test", legacyWindowMs);
    open.push(b);
    return b;
  };
  // A plain NATS connection: what a node of the release before batches sends and reads.
  const raw = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: NATS_URL.replace("nats://", ""), noEcho: true });
    open.push({ close: () => nc.close() });
    return nc;
  };
  return { prefix, bus, raw };
}

/** Everything `nc` hears on `subject`, as text. */
function listen(nc: NatsConnection, subject: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, {
    callback: (error, msg) => {
      if (!error) got.push(msg.string());
    },
  });
  return got;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/** Wait until `ready()` holds (5 s at most; the machine may be busy), then let stragglers come. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await settle();
}

describe("NATS bus", () => {
  it("sends one turn's events as one NATS message, frames and audiences intact", async () => {
    const { prefix, bus, raw } = await place();
    const nc = await raw();
    const batches = listen(nc, `${prefix}.batches`);
    const legacy = listen(nc, `${prefix}.events`);
    await nc.flush();
    const sender = await bus();
    const receiver = await bus();
    const got: BusMessage[] = [];
    receiver.subscribe((m) => got.push(m));
    await receiver.ping();
    const sent: BusMessage[] = Array.from({ length: 50 }, (_, i) => ({
      audience: [`u${i}`, `v${i}`],
      frame: `{"n":${i},"text":"é ✓ 🙂\\n"}`,
      ephemeral: i % 3 === 0,
    }));
    for (const m of sent) void sender.publish(m);
    void sender.publish({ audience: [], frame: '{"type":"incident"}', ephemeral: false, everyone: true });
    await sender.ping();
    await until(() => got.length >= 51);
    expect(batches).toHaveLength(1);
    expect(legacy).toEqual([]);
    expect(got).toEqual([...sent, { audience: [], frame: '{"type":"incident"}', ephemeral: false, everyone: true }]);
  });

  it("splits a turn larger than a batch, and a group larger than an entry, keeping the order", async () => {
    const { prefix, bus, raw } = await place();
    const nc = await raw();
    const batches = listen(nc, `${prefix}.batches`);
    await nc.flush();
    const sender = await bus();
    const receiver = await bus();
    const got: BusMessage[] = [];
    receiver.subscribe((m) => got.push(m));
    await receiver.ping();
    const big = "x".repeat(BATCH_CHARS / 4);
    for (let i = 0; i < 10; i++) void sender.publish({ audience: ["u1"], frame: `"${i}${big}"`, ephemeral: false });
    const group = Array.from({ length: 4500 }, (_, i) => `member-${i}`);
    void sender.publish({ audience: group, frame: '"group"', ephemeral: false });
    await sender.ping();
    await until(() => got.length >= 13);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(got.slice(0, 10).map((m) => m.frame.slice(1, 2))).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
    ]);
    expect(got.slice(10).map((m) => m.audience.length)).toEqual([2000, 2000, 500]);
    expect(got.slice(10).flatMap((m) => m.audience)).toEqual(group);
  });

  it("hears a node of the release before batches, and publishes for it too while it is there", async () => {
    const { prefix, bus, raw } = await place(400);
    const old = await raw();
    const oldHeard = listen(old, `${prefix}.events`);
    await old.flush();
    const node = await bus();
    const peer = await bus();
    const got: BusMessage[] = [];
    const peerGot: BusMessage[] = [];
    const controls: BusControl[] = [];
    node.subscribe((m) => got.push(m));
    node.subscribeControl((c) => controls.push(c));
    peer.subscribe((m) => peerGot.push(m));
    await Promise.all([node.ping(), peer.ping()]);

    // Before any sign of an old node: nothing in the old format.
    await node.publish({ audience: ["u1"], frame: '"before"', ephemeral: false });
    await node.ping();
    await settle();
    expect(oldHeard).toEqual([]);

    // The old node's event and control reach this release's nodes...
    old.publish(`${prefix}.events`, `${JSON.stringify({ a: ["u2"], e: 1 })}\n"from old"`);
    old.publish(`${prefix}.control`, JSON.stringify({ kind: "device.revoked", deviceId: "d9" }));
    await old.flush();
    await until(() => got.length >= 2 && controls.length >= 1);
    expect(got.map((m) => m.frame)).toEqual(['"before"', '"from old"']);
    expect(got[1]).toEqual({ audience: ["u2"], frame: '"from old"', ephemeral: true });
    expect(controls).toEqual([{ kind: "device.revoked", deviceId: "d9" }]);

    // ...and from then on this release's events reach the old node, while the peer gets each once.
    await node.publish({ audience: ["u3"], frame: '"for old"', ephemeral: false });
    await node.ping();
    await until(() => oldHeard.length >= 1 && peerGot.length >= 3);
    expect(oldHeard.map((text) => text.slice(text.indexOf("\n") + 1))).toEqual(['"for old"']);
    expect(JSON.parse(oldHeard[0]?.split("\n")[0] ?? "")).toMatchObject({ a: ["u3"], e: 0 });
    expect(peerGot.map((m) => m.frame)).toEqual(['"before"', '"from old"', '"for old"']);

    // A control of this release carries its mark to the old node, and arrives without it here.
    const oldControls = listen(old, `${prefix}.control`);
    await old.flush();
    await peer.publishControl({ kind: "block", userId: "a", blockedId: "b" });
    await peer.ping();
    await until(() => oldControls.length >= 1 && controls.length >= 2);
    expect(oldControls.map((text) => JSON.parse(text))).toEqual([
      { kind: "block", userId: "a", blockedId: "b", bus: 2 },
    ]);
    expect(controls.at(-1)).toEqual({ kind: "block", userId: "a", blockedId: "b" });

    // Once the old node has been silent for the window, the old format stops.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await node.publish({ audience: ["u4"], frame: '"after"', ephemeral: false });
    await node.ping();
    await settle();
    expect(oldHeard).toHaveLength(1);
  });

  it("drops a malformed batch and keeps going", async () => {
    const { prefix, bus, raw } = await place();
    const nc = await raw();
    const receiver = await bus();
    const got: BusMessage[] = [];
    receiver.subscribe((m) => got.push(m));
    await receiver.ping();
    nc.publish(`${prefix}.batches`, `[[["u1"],0,99]]\n"short"`);
    nc.publish(`${prefix}.batches`, `[[["u1"],0,4]]\n"ok"`);
    await nc.flush();
    await until(() => got.length >= 1);
    expect(got).toEqual([{ audience: ["u1"], frame: '"ok"', ephemeral: false }]);
  });
});
