import { describe, expect, it } from "vitest";
import { hiddenCharacterProblem, isValidDisplayName, isValidUsername, parseMentions } from "./usernames.js";

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

  it("refuses hidden characters but keeps the ones emoji sequences, flags and Persian need", () => {
    const refused: [string, string][] = [
      ["a\u202Eb", "U+202E"],
      ["\u2066x\u2069", "U+2066"],
      ["a\u200Eb", "U+200E"],
      ["a\u061Cb", "U+061C"],
      ["a\u200Bb", "U+200B"],
      ["a\u200Db", "U+200D"],
      ["\u200D👩", "U+200D"],
      ["a\u2063b", "U+2063"],
      ["a\u180Eb", "U+180E"],
      ["\u3164", "U+3164"],
      ["\uFFA0", "U+FFA0"],
      ["a\u00ADb", "U+00AD"],
      ["a\u{E0041}", "U+E0041"],
      [" \uFE0F", "U+FE0F"],
      ["a\u2028b", "U+2028"],
      ["\u2800", "U+2800"],
      ["a\u009Bb", "U+009B"],
    ];
    for (const [text, codePoint] of refused) expect(hiddenCharacterProblem(text), text).toContain(codePoint);
    expect(hiddenCharacterProblem("e\u0301\u0301\u0301\u0301\u0301")).toContain("combining marks");
    for (const ok of [
      "홍길동",
      "Nguyễn",
      "👩‍💻",
      "👨‍👩‍👧‍👦",
      "❤️‍🔥",
      "👍🏽",
      "#️⃣",
      "🇰🇷",
      "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
      "زهره\u200Cای",
      "葛\u{E0100}",
    ])
      expect(hiddenCharacterProblem(ok), ok).toBeNull();
  });

  it("finds @username and @all, not e-mail addresses", () => {
    expect(parseMentions("@bob and @Alice, see @bob")).toEqual({ usernames: ["bob", "alice"], all: false });
    expect(parseMentions("hi @all.")).toEqual({ usernames: [], all: true });
    expect(parseMentions("mail me at kim@example.com")).toEqual({ usernames: [], all: false });
    expect(parseMentions("(@kim_minsu) 안녕 @lee.")).toEqual({ usernames: ["kim_minsu", "lee"], all: false });
  });
});
