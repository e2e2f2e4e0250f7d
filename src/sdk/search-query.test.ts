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
