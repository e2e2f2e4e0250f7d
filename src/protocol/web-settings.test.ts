/** @module The web client's settings from the page: what the server wrote comes back, and anything else falls back to the defaults field by field. */
import { describe, expect, it } from "vitest";
import { DEFAULT_WEB_SETTINGS, parseWebSettings, statusPageBase } from "./web-settings.js";

describe("parseWebSettings", () => {
  it("reads what the server wrote, without a trailing slash on the URL", () => {
    const written = {
      statusPageUrl: "https://status.example.com/",
      statusPort: 8081,
      statusAfterMs: 1500,
      statusEveryMs: 2000,
      maxTextLength: 500,
    };
    expect(parseWebSettings(JSON.stringify(written))).toEqual({
      ...written,
      statusPageUrl: "https://status.example.com",
    });
  });

  it("falls back to the defaults for a missing meta, bad JSON, and each bad field alone", () => {
    expect(parseWebSettings(null)).toEqual(DEFAULT_WEB_SETTINGS);
    expect(parseWebSettings("{not json")).toEqual(DEFAULT_WEB_SETTINGS);
    expect(parseWebSettings('"a string"')).toEqual(DEFAULT_WEB_SETTINGS);
    const bad = { statusPageUrl: "javascript:alert(1)", statusPort: 70000, statusAfterMs: -1, statusEveryMs: "often" };
    expect(parseWebSettings(JSON.stringify(bad))).toEqual(DEFAULT_WEB_SETTINGS);
    for (const statusPort of [0, -1, 80.5, "8081", null]) {
      expect(parseWebSettings(JSON.stringify({ statusPort })).statusPort).toBe(0);
    }
    expect(parseWebSettings(JSON.stringify({ statusAfterMs: 700 }))).toEqual({
      ...DEFAULT_WEB_SETTINGS,
      statusAfterMs: 700,
    });
  });
});

describe("statusPageBase", () => {
  const page = { protocol: "https:", hostname: "chat.example.com" };

  it("is the status port on the page's own host when no URL is set", () => {
    expect(statusPageBase({ statusPageUrl: "", statusPort: 8081 }, page)).toBe("https://chat.example.com:8081");
    expect(statusPageBase({ statusPageUrl: "", statusPort: 8081 }, { protocol: "http:", hostname: "[::1]" })).toBe(
      "http://[::1]:8081",
    );
  });

  it("is the configured URL when there is one, whatever the port", () => {
    expect(statusPageBase({ statusPageUrl: "https://status.example.com", statusPort: 8081 }, page)).toBe(
      "https://status.example.com",
    );
  });

  it("is the page's own origin with neither", () => {
    expect(statusPageBase({ statusPageUrl: "", statusPort: 0 }, page)).toBe("");
  });
});
