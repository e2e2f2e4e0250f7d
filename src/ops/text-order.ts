/**
 * @module Order of ISO timestamps and dates: by their characters, which is their time order.
 * `localeCompare` would give the same order for these ASCII strings, but its first call loads
 * ICU's collation data, megabytes of resident memory in every process that sorts a list.
 */

/** Ascending by UTF-16 code units: for `b.createdAt` newest first, swap the arguments. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
