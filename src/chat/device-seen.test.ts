import { afterEach, expect, it, vi } from "vitest";
import { DeviceSeen } from "./device-seen.js";

afterEach(() => {
  vi.useRealTimers();
});

it("writes every device noted in an interval in one call, with the latest time among them", async () => {
  vi.useFakeTimers();
  const calls: [string[], string][] = [];
  const seen = new DeviceSeen({ touchDevices: async (ids, at) => void calls.push([[...ids], at]) }, 1000);
  seen.note("a", "2026-12-31T23:59:59.000Z");
  seen.note("b", "2026-12-31T23:59:59.500Z");
  seen.note("a", "2027-01-01T00:00:00.100Z");
  expect(calls).toEqual([]); // nothing written while connecting
  await vi.advanceTimersByTimeAsync(1000);
  expect(calls).toEqual([[["a", "b"], "2027-01-01T00:00:00.100Z"]]);
  await vi.advanceTimersByTimeAsync(3000);
  expect(calls).toHaveLength(1); // nothing new noted, nothing written
  await seen.close();
});

it("keeps what the store refused for the next flush, unless the device was seen again meanwhile", async () => {
  let refuse = true;
  const calls: [string[], string][] = [];
  let release: () => void = () => undefined;
  const seen = new DeviceSeen(
    {
      touchDevices: (ids, at) => {
        calls.push([[...ids], at]);
        if (!refuse) return Promise.resolve();
        return new Promise<void>((_, reject) => {
          release = () => reject(new Error("overloaded"));
        });
      },
    },
    60_000,
  );
  seen.note("a", "t1");
  seen.note("b", "t1");
  const first = seen.flush();
  seen.note("b", "t2"); // seen again while the refused write was under way
  release();
  await first;
  expect(seen.pending).toBe(2);
  refuse = false;
  await seen.close();
  expect(calls.at(-1)?.[0].sort()).toEqual(["a", "b"]);
  expect(calls.at(-1)?.[1]).toBe("t2");
  expect(seen.pending).toBe(0);
});
