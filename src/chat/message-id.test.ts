import { expect, it } from "vitest";
import { newMessageId } from "./context.js";

it("makes message ids RFC 9562 version-7 UUIDs that sort by the millisecond they were made in", async () => {
  const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const first = newMessageId();
  await new Promise((resolve) => setTimeout(resolve, 2));
  const second = newMessageId();
  for (const id of [first, second]) expect(id).toMatch(v7);
  expect(first < second).toBe(true);
  expect(Number.parseInt(first.replace("-", "").slice(0, 12), 16)).toBeLessThanOrEqual(Date.now());
  expect(new Set(Array.from({ length: 1000 }, newMessageId)).size).toBe(1000);
});
