/** @module Tests of the search box parser. */
import { expect, it } from "vitest";
import { parseSearchInput } from "./search-query.js";

it("takes from: out as the sender and keeps a quoted phrase as written", () => {
  expect(parseSearchInput("  내일   회의 ")).toEqual({ query: "내일 회의" });
  expect(parseSearchInput('from:minji "회의 자료"')).toEqual({ query: "회의 자료", fromUsername: "minji" });
  expect(parseSearchInput("report from:@Bob")).toEqual({ query: "report", fromUsername: "Bob" });
  expect(parseSearchInput('say "NEAR * -x"')).toEqual({ query: "NEAR * -x" });
  expect(parseSearchInput("50% off_")).toEqual({ query: "50% off_" });
});

it("takes has:file, before: and after: out as filters: a day in local time, and refuses a day that does not exist", () => {
  const day = (y: number, m: number, d: number) => new Date(y, m - 1, d).getTime();
  expect(parseSearchInput("회의 has:file")).toEqual({ query: "회의", hasFile: true });
  const range = parseSearchInput("after:2026-12-01 report before:2026-12-02 from:minji");
  expect(range).toEqual({
    query: "report",
    fromUsername: "minji",
    before: new Date(day(2026, 12, 2)).toISOString(),
    after: new Date(day(2026, 12, 1) - 1).toISOString(),
  });
  // A message of 1 December, 00:00 local time, is inside that day's range; one of 2 December is not.
  expect(Date.parse(range.after as string)).toBeLessThan(day(2026, 12, 1));
  expect(Date.parse(range.before as string)).toBe(day(2026, 12, 2));
  expect(parseSearchInput("회의 before:2026-02-31")).toEqual({ query: "회의", badDate: "before:2026-02-31" });
  expect(parseSearchInput("회의 after:yesterday")).toEqual({ query: "회의", badDate: "after:yesterday" });
  // Words that only begin like a filter are text, and so is a filter inside quotes.
  expect(parseSearchInput("has:filed beforehand")).toEqual({ query: "has:filed beforehand" });
  expect(parseSearchInput('"before:2026-12-01"')).toEqual({ query: "before:2026-12-01" });
});
