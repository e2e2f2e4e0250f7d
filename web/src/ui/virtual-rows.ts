/** @module Windowing for the message log: measured row heights, and which rows a scroll position needs in the page. */

/** A row's height before it was ever in the page: the average of those measured, or this. */
const FIRST_GUESS = 64;

/**
 * The height of every row that has been in the page, by key (a message's seq, a day line):
 * the distance from its top to the next row's top, so gaps and margins count.
 */
export class RowHeights {
  private readonly sizes = new Map<string, number>();
  private sum = 0;

  /** What an unmeasured row is taken to be. */
  get estimate(): number {
    return this.sizes.size === 0 ? FIRST_GUESS : this.sum / this.sizes.size;
  }

  get(key: string): number {
    return this.sizes.get(key) ?? this.estimate;
  }

  set(key: string, height: number): void {
    const old = this.sizes.get(key);
    if (old === height) return;
    this.sum += height - (old ?? 0);
    this.sizes.set(key, height);
  }
}

/** The rows to put in the page, `[start, end)`, and the space standing in for those above and below. */
export interface RowWindow {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

/** The top of row `index`, from the top of the list. */
export function offsetOf(keys: readonly string[], heights: RowHeights, index: number): number {
  let top = 0;
  for (let i = 0; i < index; i++) top += heights.get(keys[i] as string);
  return top;
}

/** The sum of every row's height. */
export function totalOf(keys: readonly string[], heights: RowHeights): number {
  return offsetOf(keys, heights, keys.length);
}

/** The rows that overlap `[top, bottom)` (list coordinates), at least one when there are any. */
export function windowOf(keys: readonly string[], heights: RowHeights, top: number, bottom: number): RowWindow {
  let y = 0;
  let start = 0;
  while (start < keys.length - 1) {
    const h = heights.get(keys[start] as string);
    if (y + h > top) break;
    y += h;
    start++;
  }
  const padTop = y;
  let end = start;
  while (end < keys.length && y < bottom) {
    y += heights.get(keys[end] as string);
    end++;
  }
  let padBottom = 0;
  for (let i = end; i < keys.length; i++) padBottom += heights.get(keys[i] as string);
  return { start, end, padTop, padBottom };
}
