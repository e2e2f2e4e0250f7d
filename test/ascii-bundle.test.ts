/** @module The server bundle's ASCII pass: what it writes is ASCII, and code run from it does what the original did. */
import { describe, expect, it } from "vitest";

const { asciiOnly } = (await import(["..", "scripts", "ascii-only.mjs"].join("/"))) as {
  asciiOnly: (text: string) => string;
};

describe("the server bundle in ASCII", () => {
  it("escapes every character past ASCII, in comments, strings and regular expressions alike, without changing what runs", () => {
    const source = [
      "// an em dash — in a comment, and one “quoted”",
      "/* SEV1–SEV2 */",
      "const trailing = /[.,;:!?*'\"»”’]+$/u;",
      "const wide = /😀+/u;",
      "const plain = /[가-힣]/;",
      'const text = "민수 님이 지수 님을 초대했습니다 😀";',
      "return [trailing.test('end”'), trailing.test('end'), wide.exec('a😀😀b')?.[0], plain.test('한'), plain.test('a'), text];",
    ].join("\n");
    const escaped = asciiOnly(source);
    expect(/^[\0-\x7f]*$/.test(escaped)).toBe(true);
    expect(escaped).toContain("\\u2014");
    const run = (code: string) => new Function(code)() as unknown[];
    expect(run(escaped)).toEqual(run(source));
    expect(run(escaped)).toEqual([true, false, "😀😀", true, false, "민수 님이 지수 님을 초대했습니다 😀"]);
  });
});
