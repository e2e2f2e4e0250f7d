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
  /** Goes up with every change: the row tops computed from these heights are stale. */
  version = 0;

  /** What an unmeasured row is taken to be. */
  get estimate(): number {
    return this.sizes.size === 0 ? FIRST_GUESS : this.sum / this.sizes.size;
  }

  get(key: string): number {
    return this.sizes.get(key) ?? this.estimate;
  }

  /** Whether the row was ever measured. */
  has(key: string): boolean {
    return this.sizes.has(key);
  }

  set(key: string, height: number): void {
    const old = this.sizes.get(key);
    if (old === height) return;
    this.sum += height - (old ?? 0);
    this.sizes.set(key, height);
    this.version++;
  }
}

/** The rows to put in the page, `[start, end)`, and the space standing in for those above and below. */
export interface RowWindow {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

/**
 * The tops of a list of rows, from their heights. Worked out once per change of the rows or of
 * a height (one pass over the list), then every question is a lookup or a binary search: a
 * render of a 10,000-message log walks the list once, not once per question.
 */
export class RowTops {
  private keys: readonly string[] = [];
  private readonly index = new Map<string, number>();
  private tops = new Float64Array(1);
  private builtFor = -1;

  constructor(private readonly heights: RowHeights) {}

  /** Use these rows (the same array again costs nothing). */
  use(keys: readonly string[]): this {
    if (keys !== this.keys) {
      this.keys = keys;
      this.index.clear();
      for (let i = 0; i < keys.length; i++) this.index.set(keys[i] as string, i);
      this.builtFor = -1;
    }
    if (this.builtFor !== this.heights.version) {
      // The same buffer again while it is large enough: a draw that measures a new row does this,
      // every other frame while scrolling, and a new 80 KB array for 10,000 rows each time was
      // memory outside the JavaScript heap that made V8 run full collections in scroll frames.
      if (this.tops.length < keys.length + 1) this.tops = new Float64Array(Math.ceil((keys.length + 1) * 1.5));
      const tops = this.tops;
      tops[0] = 0;
      for (let i = 0; i < keys.length; i++) tops[i + 1] = (tops[i] as number) + this.heights.get(keys[i] as string);
      this.builtFor = this.heights.version;
    }
    return this;
  }

  /** The index of the row with this key, or -1. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** The top of row `index`, from the top of the list. */
  topOf(index: number): number {
    return this.tops[Math.max(0, Math.min(index, this.keys.length))] as number;
  }

  /** The sum of every row's height. */
  get total(): number {
    return this.topOf(this.keys.length);
  }

  /** The rows that overlap `[top, bottom)` (list coordinates), at least one when there are any. */
  window(top: number, bottom: number): RowWindow {
    const n = this.keys.length;
    // The first row whose bottom is below `top`, and the first row whose top is at or below `bottom`.
    const start = Math.min(this.firstEndingAfter(top), Math.max(0, n - 1));
    let end = this.firstEndingAfter(bottom);
    if (end < n && this.topOf(end) < bottom) end++;
    end = Math.max(end, Math.min(n, start + 1));
    return { start, end, padTop: this.topOf(start), padBottom: this.total - this.topOf(end) };
  }

  /** The first row whose bottom is below `y` (n when none is). */
  private firstEndingAfter(y: number): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.topOf(mid + 1) > y) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
