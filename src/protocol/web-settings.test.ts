/** @module The web client's settings from the page: what the server wrote comes back, and anything else falls back to the defaults field by field. */
import { describe, expect, it } from "vitest";
import { DEFAULT_WEB_SETTINGS, parseWebSettings } from "./web-settings.js";

describe("parseWebSettings", () => {
  it("reads what the server wrote, without a trailing slash on the URL", () => {
    const written = { statusPageUrl: "https://status.example.com/", statusAfterMs: 1500, statusEveryMs: 2000 };
    expect(parseWebSettings(JSON.stringify(written))).toEqual({
      ...written,
      statusPageUrl: "https://status.example.com",
    });
  });

  it("falls back to the defaults for a missing meta, bad JSON, and each bad field alone", () => {
    expect(parseWebSettings(null)).toEqual(DEFAULT_WEB_SETTINGS);
    expect(parseWebSettings("{not json")).toEqual(DEFAULT_WEB_SETTINGS);
    expect(parseWebSettings('"a string"')).toEqual(DEFAULT_WEB_SETTINGS);
    const bad = { statusPageUrl: "javascript:alert(1)", statusAfterMs: -1, statusEveryMs: "often" };
    expect(parseWebSettings(JSON.stringify(bad))).toEqual(DEFAULT_WEB_SETTINGS);
    expect(parseWebSettings(JSON.stringify({ statusAfterMs: 700 }))).toEqual({
      ...DEFAULT_WEB_SETTINGS,
      statusAfterMs: 700,
    });
  });
});
