/**
 * @module Benchmark: the CPU a node spends per event carrying live events across nodes on the
 * NATS bus — publishing, receiving, decoding and finding the local sessions — without the store
 * or sockets, so that the bus's own share of a cross-node send is measured apart from the rest.
 *
 * Usage: npx tsx bench/bus-fanout.ts [--nodes 3] [--events 60000] [--per-turn 16] [--users 200]
 *   [--bus-module src/bus/nats-bus.ts]
 *
 * `nodes` buses on one NATS subject prefix stand for the nodes (in this one process); users are
 * spread over them (user i on node i % nodes), and every event is a direct chat's: its audience
 * is a user on the publishing node and one on the next node, as in `bench:scale`. Each node
 * publishes `per-turn` events per event-loop turn (a group commit answers several sends at once)
 * and counts the deliveries to its local users. `--bus-module` loads another build's NatsBus
 * (same `connect` API) to compare builds in the same run.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Bus, BusMessage } from "../src/bus/bus.js";
import { NATS_URL } from "../test/services.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    events: { type: "string", default: "60000" },
    "per-turn": { type: "string", default: "16" },
    users: { type: "string", default: "200" },
    "bus-module": { type: "string", default: "src/bus/nats-bus.ts" },
  },
});
const NODES = Number(values.nodes);
const EVENTS = Number(values.events);
const PER_TURN = Number(values["per-turn"]);
const USERS = Number(values.users);

const { NatsBus } = (await import(pathToFileURL(resolve(values["bus-module"])).href)) as {
  NatsBus: { connect(url: string, name?: string): Promise<Bus> };
};
const url = `${NATS_URL}?prefix=busbench${Math.random().toString(36).slice(2, 10)}`;
const buses = await Promise.all(Array.from({ length: NODES }, (_, i) => NatsBus.connect(url, `bench-${i}`)));
const users = Array.from({ length: USERS }, (_, i) => `0190c2a4-5b6e-7d8f-9a0b-${String(i).padStart(12, "0")}`);

let delivered = 0;
for (const [n, bus] of buses.entries()) {
  // A node's sessions by user, as FanOut keeps them.
  const local = new Map(users.filter((_, i) => i % NODES === n).map((u) => [u, 1]));
  bus.subscribe((message: BusMessage) => {
    for (const userId of message.audience) if (local.has(userId)) delivered += 1;
  });
}
await Promise.all(buses.map((b) => b.ping()));

const frame = (i: number) =>
  JSON.stringify({
    type: "message.new",
    message: {
      id: `0190c2a4-5b6e-7d8f-9a0b-${String(i).padStart(12, "0")}`,
      conversationId: "0190c2a4-0000-7000-8000-000000000001",
      senderId: users[0],
      seq: i,
      text: `bus fan-out benchmark message ${i}`,
      createdAt: new Date(1_800_000_000_000 + i).toISOString(),
    },
  });

const perNode = Math.floor(EVENTS / NODES);
const started = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  buses.map(async (bus, n) => {
    for (let sent = 0; sent < perNode; ) {
      for (let k = 0; k < PER_TURN && sent < perNode; k++, sent++) {
        const from = users[(sent * NODES + n) % USERS] as string;
        const mine = (sent * NODES + n) % USERS;
        // The partner: a user of the next node.
        const partner = users[(mine + 1) % USERS] as string;
        void bus.publish({ audience: [from, partner], frame: frame(sent), ephemeral: false });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }),
);
const expected = perNode * NODES * 2;
const deadline = performance.now() + 60_000;
while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
const cpu = process.cpuUsage(cpu0);
const seconds = (performance.now() - started) / 1000;
const events = perNode * NODES;
console.log(
  `${values["bus-module"]}: nodes=${NODES} events=${events} per-turn=${PER_TURN}: ${((cpu.user + cpu.system) / events).toFixed(1)} µs CPU per event (all nodes), ${(events / seconds).toFixed(0)} events/s, delivered ${delivered} of ${expected}`,
);
await Promise.all(buses.map((b) => b.close()));
process.exit(0);
