import { describe, expect, it } from "vitest";
import { isValidDisplayName, isValidUsername, parseMentions } from "./usernames.js";

describe("usernames and mentions", () => {
  it("accepts lowercase ascii usernames of 3–32 and refuses the rest", () => {
    for (const ok of ["bob", "kim_minsu", "a.b.c", "_x1"]) expect(isValidUsername(ok), ok).toBe(true);
    for (const bad of ["ab", "Bob", "김민수", ".bob", "all", "a b", "x".repeat(33)])
      expect(isValidUsername(bad), bad).toBe(false);
  });

  it("accepts Korean display names and refuses control characters", () => {
    expect(isValidDisplayName("홍길동")).toBe(true);
    expect(isValidDisplayName("Kim 민수 🐯")).toBe(true);
    expect(isValidDisplayName("  ")).toBe(false);
    expect(isValidDisplayName("a\u202eb")).toBe(false);
    expect(isValidDisplayName("x".repeat(65))).toBe(false);
  });

  it("finds @username and @all, not e-mail addresses", () => {
    expect(parseMentions("@bob and @Alice, see @bob")).toEqual({ usernames: ["bob", "alice"], all: false });
    expect(parseMentions("hi @all.")).toEqual({ usernames: [], all: true });
    expect(parseMentions("mail me at kim@example.com")).toEqual({ usernames: [], all: false });
    expect(parseMentions("(@kim_minsu) 안녕 @lee.")).toEqual({ usernames: ["kim_minsu", "lee"], all: false });
  });
});
