/** @module The heartbeat's rounds alone: each client pinged once a round, spread over the slices, and cut after a silent round. */
import { afterEach, expect, it } from "vitest";
import { HEARTBEAT_SLICES, Heartbeat, type Pingable } from "./heartbeat.js";

class FakeClient implements Pingable {
  readonly OPEN = 1;
  readyState = 1;
  pings = 0;
  terminated = false;
  private pong: () => void = () => undefined;
  ping(): void {
    this.pings += 1;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  on(_event: "pong", listener: () => void): void {
    this.pong = listener;
  }
  answer(): void {
    this.pong();
  }
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function heartbeatOver(clients: FakeClient[], sessions: string[]) {
  const rounds: number[] = [];
  const checked: string[][] = [];
  const heartbeat = new Heartbeat<FakeClient, string>(3_600_000, {
    clients: () => clients,
    sessions: () => sessions,
    roundStarted: () => rounds.push(rounds.length),
    check: (some) => checked.push(some),
  });
  stops.push(() => heartbeat.stop());
  return { heartbeat, rounds, checked };
}

it("pings every client and checks every session once a round, a share in each slice", () => {
  const clients = Array.from({ length: 25 }, () => new FakeClient());
  const sessions = Array.from({ length: 25 }, (_, i) => `s${i}`);
  const { heartbeat, rounds, checked } = heartbeatOver(clients, sessions);
  const perSlice: number[] = [];
  for (let i = 0; i < HEARTBEAT_SLICES; i++) {
    const before = clients.reduce((sum, c) => sum + c.pings, 0);
    heartbeat.slice();
    perSlice.push(clients.reduce((sum, c) => sum + c.pings, 0) - before);
  }
  expect(rounds).toEqual([0]);
  expect(clients.every((c) => c.pings === 1)).toBe(true);
  expect(Math.max(...perSlice)).toBeLessThanOrEqual(3);
  expect(checked.flat().sort()).toEqual([...sessions].sort());
  heartbeat.slice();
  expect(rounds).toEqual([0, 1]);
});

it("cuts a watched client that did not answer the round before, unless its reading is paused", () => {
  const [answers, silent, paused, unwatched] = [new FakeClient(), new FakeClient(), new FakeClient(), new FakeClient()];
  const { heartbeat } = heartbeatOver([answers, silent, paused, unwatched], []);
  heartbeat.watch(answers, () => false);
  heartbeat.watch(silent, () => false);
  heartbeat.watch(paused, () => true);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < HEARTBEAT_SLICES; i++) heartbeat.slice();
    answers.answer();
  }
  expect(answers.terminated).toBe(false);
  expect(answers.pings).toBe(2);
  expect(silent.terminated).toBe(true);
  expect(silent.pings).toBe(1);
  expect(paused.terminated).toBe(false);
  expect(unwatched.pings).toBe(2);
});
