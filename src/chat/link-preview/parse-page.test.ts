/** @module The first link of a text and what a page says about itself, on the inputs that trip naive parsers. */
import { describe, expect, it } from "vitest";
import { firstLink } from "./first-link.js";
import { cleanField, decodeEntities, parsePage } from "./parse-page.js";

describe("firstLink", () => {
  it.each([
    ["see https://example.com/a.", "https://example.com/a"],
    ["(https://example.com/wiki/Foo_(bar))", "https://example.com/wiki/Foo_(bar)"],
    ["(see https://example.com/x)", "https://example.com/x"],
    ["two: http://a.example/1 and https://b.example/2", "http://a.example/1"],
    ["https://example.com/page#section", "https://example.com/page"],
    ["HTTPS://EXAMPLE.com/Path", "https://example.com/Path"],
    ["링크https://example.com/한국", "https://example.com/%ED%95%9C%EA%B5%AD"],
  ])("%s → %s", (text, url) => {
    expect(firstLink(text)).toBe(url);
  });

  it.each([
    "no link here",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "https://user:secret@example.com/",
    "xhttps://example.com/",
  ])("finds none in %s", (text) => {
    expect(firstLink(text)).toBeUndefined();
  });
});

describe("parsePage", () => {
  it("prefers OpenGraph, then Twitter, then meta and title, and resolves the image against the page", () => {
    const html = `<head><title>T</title><meta name="twitter:title" content="TW">
      <meta content='OG' property='og:title'><meta name=description content=plain>
      <meta name="twitter:image" content="../img/a.png"></head>`;
    expect(parsePage(html, "https://example.com/news/1")).toEqual({
      title: "OG",
      description: "plain",
      imageUrl: "https://example.com/img/a.png",
    });
  });

  it("takes no javascript: or data: image, and nothing from comments or scripts", () => {
    const html = `<!-- <meta property="og:title" content="hidden"> --><script>"<title>s</title>"</script>
      <title>Real</title><meta property="og:image" content="javascript:alert(1)">`;
    expect(parsePage(html, "https://example.com/")).toEqual({ title: "Real" });
    expect(parsePage(`<meta property="og:image" content="data:image/png;base64,AA">`, "https://e.com/")).toEqual({});
  });

  it("decodes entities, removes controls and bidi overrides, and caps fields", () => {
    expect(decodeEntities("&lt;b&gt; &#65;&#x42; &amp;amp; &bogus; &#0;")).toBe("<b> AB &amp; &bogus; \ufffd");
    expect(cleanField("a\u202Eb\u0000c\n\t d", 100)).toBe("a b c d");
    expect(cleanField("가".repeat(400), 300)).toBe(`${"가".repeat(299)}…`);
    expect(cleanField(" \u200f ", 10)).toBeUndefined();
  });
});
