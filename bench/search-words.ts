/**
 * @module The search benchmarks' query words: `bench:search` asks them of the store it loads, and
 * `bench/search-cpu.ts` and `bench/search-trace.ts` ask them again of a schema it kept (`--keep`),
 * whose heavy users are u0–u9 (about 100,000 messages each).
 */

/** Korean and English, common and rare, a phrase that no message holds (`내일회의`), two-word phrases. */
export const SEARCH_QUERY_WORDS: readonly string[] = [
  "회의",
  "보고서",
  "내일회의",
  "계약서 검토",
  "deadline",
  "Report",
  "deploy server",
  "장애",
  "감사",
  "budget",
];

/** The heavy users of a kept schema: `bench:search` loads them first, as u0–u9. */
export const HEAVY_SEARCH_USERS: readonly string[] = Array.from({ length: 10 }, (_, i) => `u${i}`);
