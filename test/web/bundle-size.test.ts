/** @module Lightness is a feature: the chat client's JavaScript stays within 60 KB gzipped at start and 80 KB with its on-demand chunks (the staff console apart), and nothing loads from elsewhere. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JS_BUDGET_BYTES, JS_TOTAL_BUDGET_BYTES, measureJs, WEB_DIST } from "../../web/check-size.js";

describe("the built web client", () => {
  it(`has at most ${JS_BUDGET_BYTES / 1024} KB of JavaScript, gzipped`, () => {
    const size = measureJs(WEB_DIST);
    expect(size.files.map((f) => f.file)).toContain("sw.js");
    expect(size.files.length).toBeGreaterThan(1);
    expect(size.gzipBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);
  });

  it(`has at most ${JS_TOTAL_BUDGET_BYTES / 1024} KB with every chunk it may load later, the upload library among them`, () => {
    const start = measureJs(WEB_DIST).files.map((f) => f.file);
    const all = measureJs(WEB_DIST, "index.html", "all");
    const later = all.files.filter((f) => !start.includes(f.file));
    // tus-js-client is fetched at the first attachment, not with the page.
    expect(later.length).toBeGreaterThan(0);
    expect(later.some((f) => readFileSync(join(WEB_DIST, f.file), "utf8").includes("Tus-Resumable"))).toBe(true);
    expect(all.gzipBytes).toBeLessThanOrEqual(JS_TOTAL_BUDGET_BYTES);
  });

  it("loads nothing from another origin: no analytics, no ads, no trackers, no CDN", () => {
    for (const page of ["index.html", "console.html"] as const) {
      const html = readFileSync(join(WEB_DIST, page), "utf8");
      const code = measureJs(WEB_DIST, page, "all")
        .files.map((f) => readFileSync(join(WEB_DIST, f.file), "utf8"))
        .join("\n");
      expect(html.match(/(src|href)="(https?:)?\/\//g), page).toBeNull();
      // The only absolute URLs in the code are XML namespaces the DOM needs, never fetched.
      const urls = new Set(code.match(/https?:\/\/[^"'`\s)]+/g) ?? []);
      for (const url of urls) expect(url, page).toMatch(/^http:\/\/www\.w3\.org\//);
    }
  });

  it("keeps the staff console out of the chat page: its own entry, never precached by the service worker", () => {
    const chat = measureJs(WEB_DIST, "index.html").files.map((f) => f.file);
    const staff = measureJs(WEB_DIST, "console.html").files.map((f) => f.file);
    const consoleOnly = staff.filter((file) => !chat.includes(file));
    expect(consoleOnly.length).toBeGreaterThan(0);
    const worker = readFileSync(join(WEB_DIST, "sw.js"), "utf8");
    for (const file of consoleOnly) expect(worker).not.toContain(file);
    expect(readFileSync(join(WEB_DIST, "index.html"), "utf8")).not.toMatch(/console/i);
  });
});
