/**
 * @module Benchmark `bench:admission-sim`: the send admission (`src/guard/send-admission.ts`) on a
 * simulated clock, against the pipelined surge's clients: 100 connections each holding 400 sends,
 * each sending every send it holds when its retry time has passed (its refused ones again), a
 * node that commits at a given rate, oldest first. No machine noise: the same figures every run.
 * Prints, per node shape, when the last send was committed, how long the node had nothing to
 * commit while a connection waited out its retry time, the refusals, and the p99 wait.
 *
 * `--controller <path>` runs another version of the controller (an export of an earlier commit,
 * whose `reserveSlot` took no slot), for a before/after in the same conditions.
 *
 * Usage: npm run bench:admission-sim -- [--controller /path/to/send-admission.ts]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { controller: { type: "string" } } });
const path = values.controller ? pathToFileURL(resolve(values.controller)).href : "../src/guard/send-admission.js";
const { SendAdmission } = (await import(path)) as { SendAdmission: new (options: object) => Controller };

interface Controller {
  admit(
    lastSlot?: unknown,
  ): { admitted: true; ticket: { at: number } } | { admitted: false; retryAfterMs: number; slot?: unknown };
  reserveSlot(slot?: unknown): void;
  done(ticket: { at: number }): void;
}

function run(rateAt: (t: number) => number, connections = 100, sendsEach = 400) {
  const clock = { t: 0 };
  let seed = 1;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const admission = new SendAdmission({ targetMs: 250, now: () => clock.t, random });
  const clients = Array.from({ length: connections }, () => ({
    left: sendsEach,
    retryAt: 0,
    slot: undefined as unknown,
  }));
  const queue: { at: number }[] = [];
  const waits: number[] = [];
  let credit = 0;
  let committed = 0;
  let refused = 0;
  let idleMs = 0;
  while (committed < connections * sendsEach && clock.t < 120_000) {
    clock.t += 1;
    credit += rateAt(clock.t) / 1000;
    if (queue.length === 0 && clients.some((c) => c.left > 0 && c.retryAt > clock.t)) idleMs += 1;
    while (credit >= 1 && queue.length > 0) {
      credit -= 1;
      const ticket = queue.shift() as { at: number };
      waits.push(clock.t - ticket.at);
      admission.done(ticket);
      committed += 1;
    }
    if (queue.length === 0) credit = Math.min(credit, 1);
    for (const client of clients) {
      if (client.left === 0 || client.retryAt > clock.t) continue;
      const last = client.slot;
      let refusedThisTime = false;
      let slot: unknown;
      const sending = client.left;
      for (let i = 0; i < sending; i++) {
        refused += refusedThisTime ? 1 : 0;
        if (refusedThisTime) {
          admission.reserveSlot(slot);
          continue;
        }
        const verdict = admission.admit(last);
        if (verdict.admitted) {
          queue.push(verdict.ticket);
          client.left -= 1;
        } else {
          refusedThisTime = true;
          refused += 1;
          slot = verdict.slot;
          client.slot = verdict.slot;
          client.retryAt = clock.t + verdict.retryAfterMs;
        }
      }
    }
  }
  waits.sort((a, b) => a - b);
  return {
    doneSeconds: clock.t / 1000,
    committed,
    idleSeconds: idleMs / 1000,
    refused,
    p99WaitMs: waits[Math.floor(waits.length * 0.99)] ?? 0,
  };
}

const SHAPES: [string, (t: number) => number][] = [
  ["2,000/s throughout", () => 2000],
  ["1,000/s for 2 s, then 2,500/s", (t) => (t < 2000 ? 1000 : 2500)],
  ["2,500/s for 2 s, then 1,000/s", (t) => (t < 2000 ? 2500 : 1000)],
];
console.log(
  `bench:admission-sim — controller ${values.controller ?? "src/guard/send-admission.ts"}; 100 connections × 400 sends`,
);
console.log("| node commits | last commit s | node idle while clients waited s | refusals | p99 wait ms |");
console.log("|---|---|---|---|---|");
for (const [name, rateAt] of SHAPES) {
  const r = run(rateAt);
  const done = r.committed < 40_000 ? `not done in 120 s (${r.committed} committed)` : r.doneSeconds.toFixed(1);
  console.log(`| ${name} | ${done} | ${r.idleSeconds.toFixed(1)} | ${r.refused} | ${r.p99WaitMs} |`);
}
