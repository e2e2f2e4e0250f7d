/** @module The shipped Prometheus rule file: valid for promtool, its unit tests pass, and its objectives are the config's defaults. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/config.js";
import { slosFromConfig } from "../../src/ops/monitoring/slo-definitions.js";

const DIR = fileURLToPath(new URL("../../deploy/prometheus/", import.meta.url));
const PROMTOOL = process.env.PROMTOOL ?? "promtool";

function promtool(...args: string[]) {
  const result = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    throw new Error(
      `${PROMTOOL} could not run (${result.error.message}); install Debian's "prometheus" package, which ships /usr/bin/promtool`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("deploy/prometheus/haetae-rules.yml", () => {
  it("passes promtool check rules", () => {
    const { status, output } = promtool("check", "rules", "haetae-rules.yml");
    expect(output).toMatch(/SUCCESS: 42 rules found/);
    expect(status, output).toBe(0);
  });

  it("passes promtool test rules: a failing series pages and tickets, a healthy one fires nothing, the page resets", () => {
    const { status, output } = promtool("test", "rules", "haetae-rules.test.yml");
    expect(output).toContain("SUCCESS");
    expect(status, output).toBe(0);
  });

  it("alerts on every default SLO with its component and its budget", () => {
    const rules = readFileSync(`${DIR}haetae-rules.yml`, "utf8");
    const slos = slosFromConfig(configSchema().parse({}));
    expect(slos.map((s) => s.name)).toEqual(["send", "delivery", "login", "history", "upload", "download"]);
    for (const slo of slos) {
      const budget = Number((1 - slo.target).toPrecision(3));
      for (const [urgency, factors] of [
        ["page", ["14.4", "6"]],
        ["ticket", ["1"]],
      ] as const) {
        const alert = rules
          .split("      - alert: ")
          .find((block) => block.includes(`severity: ${urgency}`) && block.includes(`slo: ${slo.name}\n`));
        expect(alert, `${urgency} alert of ${slo.name}`).toBeDefined();
        expect(alert).toContain(`component: ${slo.component}`);
        for (const factor of factors) expect(alert).toContain(`>= (${factor} * ${budget})`);
      }
    }
    // The delivery objective's latency bound is the histogram bucket it reads.
    expect(rules).toContain('probe="delivery",le="1"');
    expect(slos.find((s) => s.name === "delivery")?.thresholdMs).toBe(1000);
  });
});
