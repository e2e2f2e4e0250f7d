/** @module Lightness is a feature: the built client's JavaScript stays within 60 KB gzipped and loads nothing from elsewhere. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JS_BUDGET_BYTES, measureJs, WEB_DIST } from "../../web/check-size.js";

describe("the built web client", () => {
  it(`has at most ${JS_BUDGET_BYTES / 1024} KB of JavaScript, gzipped`, () => {
    const size = measureJs(WEB_DIST);
    expect(size.files.map((f) => f.file)).toContain("sw.js");
    expect(size.files.length).toBeGreaterThan(1);
    expect(size.gzipBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);
  });

  it("loads nothing from another origin: no analytics, no ads, no trackers, no CDN", () => {
    const html = readFileSync(join(WEB_DIST, "index.html"), "utf8");
    const code = measureJs(WEB_DIST)
      .files.map((f) => readFileSync(join(WEB_DIST, f.file), "utf8"))
      .join("\n");
    expect(html.match(/(src|href)="(https?:)?\/\//g)).toBeNull();
    // The only absolute URLs in the code are XML namespaces the DOM needs, never fetched.
    const urls = new Set(code.match(/https?:\/\/[^"'`\s)]+/g) ?? []);
    for (const url of urls) expect(url).toMatch(/^http:\/\/www\.w3\.org\//);
  });
});
