/** @module The windowed log's arithmetic: row tops, the rows a scroll position needs, and a page of older messages landing above. */
import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { type ChatView, emptyView, loadOlder } from "../../web/src/state/chat-model.js";
import { RowHeights, RowTops, type RowWindow } from "../../web/src/ui/virtual-rows.js";

/** The rows overlapping `[top, bottom)` found by walking every row: what the binary search must agree with. */
function walk(keys: string[], heights: RowHeights, top: number, bottom: number): RowWindow {
  let y = 0;
  let start = 0;
  while (start < keys.length - 1 && y + heights.get(keys[start] as string) <= top)
    y += heights.get(keys[start++] as string);
  const padTop = y;
  let end = start;
  while (end < keys.length && (end === start || y < bottom)) y += heights.get(keys[end++] as string);
  let padBottom = 0;
  for (let i = end; i < keys.length; i++) padBottom += heights.get(keys[i] as string);
  return { start, end, padTop, padBottom };
}

/** A small deterministic generator: the same rows every run. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("row tops", () => {
  it("finds the same window as a walk over every row, measured or not", () => {
    const random = numbers(7);
    const heights = new RowHeights();
    const keys = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    // Every third row measured, between 20 and 200 px; the others take the average.
    for (let i = 0; i < keys.length; i += 3) heights.set(keys[i] as string, 20 + Math.round(random() * 180));
    const tops = new RowTops(heights).use(keys);
    expect(tops.total).toBeCloseTo(walk(keys, heights, 0, 0).padBottom + heights.get("m0"), 6);
    for (let i = 0; i < 500; i++) {
      const top = random() * tops.total * 1.1 - 100;
      const bottom = top + random() * 3000;
      const found = tops.window(top, bottom);
      const walked = walk(keys, heights, top, bottom);
      expect([found.start, found.end]).toEqual([walked.start, walked.end]);
      expect(found.padTop).toBeCloseTo(walked.padTop, 6);
      expect(found.padBottom).toBeCloseTo(walked.padBottom, 6);
    }
  });

  it("follows a height measured after the tops were worked out", () => {
    const heights = new RowHeights();
    const keys = ["a", "b", "c"];
    for (const key of keys) heights.set(key, 50);
    const tops = new RowTops(heights).use(keys);
    expect(tops.topOf(2)).toBe(100);
    heights.set("b", 80);
    expect(tops.use(keys).topOf(2)).toBe(130);
    expect(tops.indexOf("c")).toBe(2);
    expect(tops.indexOf("d")).toBe(-1);
  });

  it("moves a row kept on screen down by exactly the height of the rows that landed above it", () => {
    const heights = new RowHeights();
    const before = Array.from({ length: 100 }, (_, i) => `m${i + 100}`);
    for (const [i, key] of before.entries()) heights.set(key, 40 + (i % 5) * 10);
    const tops = new RowTops(heights);
    const anchored = tops.use(before).topOf(tops.indexOf("m150"));
    const after = [...Array.from({ length: 100 }, (_, i) => `m${i}`), ...before];
    const landed = tops.use(after).topOf(tops.indexOf("m150"));
    // The older rows are not measured yet: each counts as the average of those that were.
    expect(landed - anchored).toBeCloseTo(100 * heights.estimate, 6);
  });
});

describe("a page of older messages landing", () => {
  const message = (seq: number, text = `Message ${seq}`): Message =>
    ({ seq, text, conversationId: "c", senderId: "u", createdAt: new Date(seq * 1000).toISOString() }) as Message;

  it("goes before the loaded ones in order, keeping the loaded copies and the array", () => {
    const view: ChatView = emptyView("c");
    view.messages = [message(101, "edited"), message(102)];
    view.hasMoreBefore = true;
    view.loadingOlder = true;
    const array = view.messages;
    const page = Array.from({ length: 100 }, (_, i) => message(i + 2));
    loadOlder(view, { messages: page, hasMore: true });
    expect(view.messages).toBe(array);
    expect(view.messages.map((m) => m.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 2));
    expect(view.messages.at(-2)?.text).toBe("edited");
    expect(view.loadingOlder).toBe(false);
  });

  it("puts a page out of order in place too", () => {
    const view: ChatView = emptyView("c");
    view.messages = [message(10)];
    loadOlder(view, { messages: [message(5), message(3), message(12), message(4)], hasMore: false });
    expect(view.messages.map((m) => m.seq)).toEqual([3, 4, 5, 10, 12]);
    expect(view.hasMoreBefore).toBe(false);
  });
});
