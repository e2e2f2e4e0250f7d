/** @module Keeps the docs in step with the code: every error code and config key is documented, and nothing else is. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configKeys, configSchema, envName, flagName } from "../src/config/config.js";
import { FEED_EVENT_TYPES } from "../src/protocol/events.js";
import { ERRORS, REQUESTS } from "../src/protocol/index.js";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("docs/errors.md", () => {
  const doc = read("docs/errors.md");
  const documented = [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*(yes|no)\s*\|/gm)].map((m) => ({
    code: m[1] as string,
    status: Number(m[2]),
    retryable: m[3] === "yes",
  }));

  it("lists every code of the catalogue with its status and retryability, and no other", () => {
    const catalogue = Object.entries(ERRORS).map(([code, e]) => ({ code, status: e.status, retryable: e.retryable }));
    expect(documented).toEqual(catalogue);
  });
});

describe("docs/config.md", () => {
  const doc = read("docs/config.md");
  const rows = [...doc.matchAll(/^\|\s*`(\w+)`\s*\|\s*`(--[\w-]+)`\s*\|\s*`(\w+)`\s*\|([^|]+)\|/gm)];

  it("lists every key with its flag, environment variable and default, and no other", () => {
    const keys = configKeys();
    expect(rows.map((r) => r[1])).toEqual(keys);
    const defaults = configSchema().parse({}) as Record<string, unknown>;
    for (const [, key, flag, env, def] of rows) {
      const k = key as ReturnType<typeof configKeys>[number];
      expect(flag).toBe(`--${flagName(k)}`);
      expect(env).toBe(envName(k));
      // A structured default (the severity table, the components) is documented by the word
      // that stands for it: that word must parse to the schema's default.
      if (typeof defaults[k] === "object") expect(configSchema().shape[k].parse(def?.trim())).toEqual(defaults[k]);
      else expect(def?.trim()).toBe(String(defaults[k]));
    }
  });
});

describe("docs/protocol.md", () => {
  const doc = read("docs/protocol.md");
  it("documents every request type and every feed event type", () => {
    for (const type of Object.keys(REQUESTS)) expect(doc, `request ${type}`).toContain(`### \`${type}\``);
    for (const type of FEED_EVENT_TYPES) expect(doc, `event ${type}`).toContain(`### \`${type}\``);
  });
});
