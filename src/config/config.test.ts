import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, makeConfig } from "./config.js";
import { DEFAULT_COMPONENTS, DEFAULT_SEVERITY_RULES } from "./tower-settings.js";

describe("config", () => {
  it("has the design's defaults and is frozen", () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({ port: 8080, host: "127.0.0.1", data: "./data", store: "sqlite", bus: "memory" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes flags over environment over file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "haetae-cfg-")), "c.json");
    writeFileSync(file, JSON.stringify({ port: 1111, host: "0.0.0.0", maxTextLength: 10 }));
    const config = loadConfig(["--config", file, "--port", "3333"], {
      HAETAE_PORT: "2222",
      HAETAE_HOST: "::1",
      HAETAE_DATA_DIR: "/tmp/d",
    });
    expect(config).toMatchObject({ port: 3333, host: "::1", maxTextLength: 10, data: "/tmp/d" });
  });

  it("rejects unknown flags, environment variables and file keys", () => {
    expect(() => loadConfig(["--prot", "1"], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { HAETAE_PROT: "1" })).toThrow(/HAETAE_PROT/);
    const file = join(mkdtempSync(join(tmpdir(), "haetae-cfg-")), "c.json");
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig(["--config", file], {})).toThrow(/unknown key.*prot/);
  });

  it("refuses blank values instead of reading them as 0", () => {
    expect(() => loadConfig([], { HAETAE_PORT: "" })).toThrow(/port \(from env HAETAE_PORT\): must not be blank/);
    expect(() => loadConfig(["--delete-window-ms", " "], {})).toThrow(/deleteWindowMs/);
  });

  it("reports a bad value with its key and where it came from", () => {
    expect(() => loadConfig([], { HAETAE_PORT: "eighty" })).toThrow(/port \(from env HAETAE_PORT\)/);
    expect(() => loadConfig(["--store", "mysql://x"], {})).toThrow(/store \(from flag --store\).*postgres/);
    expect(() => loadConfig(["--trusted-proxies", "10.0.0.0/8, proxy.local"], {})).toThrow(/trustedProxies.*CIDR/);
    expect(loadConfig([], { HAETAE_TRUSTED_PROXIES: "10.0.0.0/8, ::1" }).trustedProxies).toBe("10.0.0.0/8, ::1");
    expect(() => loadConfig(["--max-text-length", "0"], {})).toThrow(/maxTextLength/);
    expect(() => makeConfig({ bus: "kafka://x" })).toThrow(/bus/);
  });

  it("parses the severity table and the components, and reports a bad entry with its path below the key", () => {
    const defaults = loadConfig([], {});
    expect(defaults.severityRules).toEqual(DEFAULT_SEVERITY_RULES);
    expect(defaults.towerComponents).toEqual(DEFAULT_COMPONENTS);
    expect(Object.isFrozen(defaults.severityRules[0])).toBe(true);
    const custom = loadConfig(["--severity-rules", '[{"severity":"SEV2","functions":["files"]}]'], {});
    expect(custom.severityRules).toEqual([{ severity: "SEV2", functions: ["files"] }]);
    const components = makeConfig({ towerComponents: '[{"id":"api","name":"API","function":"messaging"}]' });
    expect(components.towerComponents).toEqual([{ id: "api", name: "API", description: "", function: "messaging" }]);
    const named = makeConfig({
      towerComponents: '[{"id":"pay","name":"Payments","names":{"ko":"결제"},"function":"cosmetic"}]',
    });
    expect(named.towerComponents[0]?.names).toEqual({ ko: "결제" });
    expect(() =>
      loadConfig(["--tower-components", '[{"id":"pay","name":"Pay","names":{"ja":"支払い"},"function":"files"}]'], {}),
    ).toThrow(/towerComponents\.0\.names \(from flag --tower-components\): unknown key\(s\) ja/);
    expect(() =>
      loadConfig(["--tower-components", '[{"id":"pay","name":"Pay","names":{"ko":""},"function":"files"}]'], {}),
    ).toThrow(/towerComponents\.0\.names\.ko/);

    expect(() => loadConfig(["--severity-rules", "[{"], {})).toThrow(
      /severityRules \(from flag --severity-rules\): must be "default" or a JSON array/,
    );
    expect(() => loadConfig([], { HAETAE_SEVERITY_RULES: '[{"severity":"SEV9"}]' })).toThrow(
      /severityRules\.0\.severity \(from env HAETAE_SEVERITY_RULES\): .*"SEV1"/,
    );
    expect(() => loadConfig(["--severity-rules", '[{"severity":"SEV1","anyOf":{"userShare":2}}]'], {})).toThrow(
      /severityRules\.0\.anyOf\.userShare \(from flag --severity-rules\)/,
    );
    expect(() => loadConfig(["--severity-rules", "[]"], {})).toThrow(/severityRules .*>=1/);
    expect(() =>
      loadConfig([], { HAETAE_TOWER_COMPONENTS: '[{"id":"a","name":"A","function":"login"},{"id":"b","name":"B"}]' }),
    ).toThrow(/towerComponents\.1\.function \(from env HAETAE_TOWER_COMPONENTS\)/);
    const twice = '[{"id":"a","name":"A","function":"login"},{"id":"a","name":"B","function":"files"}]';
    expect(() => loadConfig(["--tower-components", twice], {})).toThrow(/towerComponents .*ids must be unique/);
  });
});
