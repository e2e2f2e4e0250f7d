/** @module A node's /metrics passes `promtool check metrics` once every kind of series has samples: operators lint what they scrape. */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient } from "../harness.js";
import { declare, eventually, type OpsNode, opsNode } from "./ops-helpers.js";

/** Debian's prometheus package ships it; .ci/run installs that package. No promtool is a failure, not a skip. */
const PROMTOOL = process.env.PROMTOOL ?? "/usr/bin/promtool";

function checkMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    throw new Error(
      `${PROMTOOL} could not run (${result.error.message}); install Debian's "prometheus" package, which ships /usr/bin/promtool`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("promtool check metrics on /metrics", () => {
  let node: OpsNode;

  beforeAll(async () => {
    // Probes on, so their histograms and SLI series carry samples too.
    node = await opsNode({ probeIntervalMs: 100 });
    const failed = await fetch(`${node.server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: node.plain.user.username, password: "not the password" }),
    });
    expect(failed.status).toBe(401);
    const client = await RawClient.connect(node.server.wsUrl, node.plain.token);
    await client.ok("conversation.list");
    await client.close();
    await declare(node, { title: "Messages are slow", components: ["messaging"] });
    await eventually(async () => {
      const text = await (await fetch(`${node.server.url}/metrics`)).text();
      expect(text).toMatch(/^haetae_probe_latency_seconds_bucket\{/m);
    }, 15_000);
  });
  afterAll(async () => {
    await node.server.stop();
  });

  it("passes, with samples of every kind of series the node exports", async () => {
    const text = await (await fetch(`${node.server.url}/metrics`)).text();
    // The lint only sees what is there: these must be, or it proves little.
    for (const series of [
      /^haetae_ws_requests_total\{type="conversation.list",outcome="ok"\} 1$/m,
      /^haetae_http_requests_total\{/m,
      /^haetae_sli_events_total\{/m,
      /^haetae_incidents\{severity="SEV4"\} 1$/m,
      /^haetae_incidents_open\{severity="SEV4"\} 1$/m,
      /^haetae_nodejs_active_handles\{type=/m,
      /^haetae_process_cpu_seconds_total /m,
    ]) {
      expect(text).toMatch(series);
    }
    expect(text).not.toMatch(/^# TYPE \S+_total (gauge|histogram|summary|untyped)$/m);
    const { status, output } = checkMetrics(text);
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("is a lint that fails: a gauge named *_total is refused", () => {
    const { status, output } = checkMetrics("# HELP x_total A gauge.\n# TYPE x_total gauge\nx_total 1\n");
    expect(output).toMatch(/non-counter metrics should not have "_total" suffix/);
    expect(status).not.toBe(0);
  });
});
