/** @module `haetae serve` as a user runs it: refuses bad configuration clearly, stops gracefully on SIGTERM. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { freePort, runCli, startChildServer } from "./child-server.js";
import { RawClient, registerUser } from "./harness.js";

it("refuses to start on a bad value, naming the key and its source", async () => {
  const bad = await runCli(["serve", "--port", "eighty"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/port \(from flag --port\)/);
  const env = await runCli(["serve"], { HAETAE_MAX_TEXT_LENGTH: "-5" });
  expect(env.status).toBe(2);
  expect(env.stderr).toMatch(/maxTextLength \(from env HAETAE_MAX_TEXT_LENGTH\)/);
  const unknown = await runCli(["serve", "--colour", "red"]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/colour/);
  expect((await runCli(["frobnicate"])).status).toBe(2);
  expect((await runCli(["--help"])).stdout).toMatch(/HAETAE_DATA_DIR/);
}, 60_000);

it("on SIGTERM tells clients to reconnect elsewhere (4000) and exits 0", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-cli-"));
  try {
    const server = await startChildServer(await freePort(), dataDir);
    const user = await registerUser(server.url, "cli");
    const client = await RawClient.connect(server.wsUrl, user.token);
    const exited = new Promise<number | null>((resolve) => server.process.once("exit", (code) => resolve(code)));
    server.process.kill("SIGTERM");
    await client.until(() => client.closeCode !== undefined);
    expect(client.closeCode).toBe(4000);
    expect(await exited).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
