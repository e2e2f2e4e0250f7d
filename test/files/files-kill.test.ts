/**
 * An acknowledged upload survives `kill -9` like a message (G1): uploads run in parallel against
 * a child server that is killed while some are mid-body; after a restart every file that got its
 * 201 is served byte for byte, and no cut upload became a file or left a staging file behind.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { FileInfo } from "../../src/protocol/index.js";
import { type ChildServer, freePort, startChildServer } from "../child-server.js";
import { registerUser } from "../harness.js";
import { download, sha256, upload } from "./files-helpers.js";

const dataDir = mkdtempSync(join(tmpdir(), "haetae-files-kill-"));
let server: ChildServer | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

it("serves every acknowledged upload after SIGKILL, and nothing of the cut ones", async () => {
  const port = await freePort();
  server = await startChildServer(port, dataDir);
  const alice = await registerUser(server.url, "fk");
  const acked: FileInfo[] = [];
  const bodies = Array.from({ length: 40 }, (_, i) => new Uint8Array(512 * 1024 + i).fill(i + 1));
  let killed = false;
  const uploads = bodies.map(async (body, i) => {
    // Staggered, so the kill finds some uploads done, some mid-body and some not started.
    await new Promise((r) => setTimeout(r, i * 15));
    if (killed) return;
    const answer = await upload(server?.url ?? "", alice.token, body, `part-${i}.bin`).catch(() => null);
    if (answer?.status === 201 && answer.body.file) acked.push(answer.body.file);
    if (acked.length >= 10 && !killed) {
      killed = true;
      await server?.kill();
    }
  });
  await Promise.all(uploads);
  expect(killed).toBe(true);
  const ackedAtKill = [...acked];
  expect(ackedAtKill.length).toBeGreaterThanOrEqual(10);

  server = await startChildServer(port, dataDir);
  expect(readdirSync(join(dataDir, "files", "staging"))).toEqual([]);
  for (const file of ackedAtKill) {
    const got = await download(server.url, alice.token, file.url);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(file.sha256);
    const index = Number(/part-(\d+)/.exec(file.name)?.[1]);
    expect(got.bytes.length).toBe(bodies[index]?.length);
  }
}, 90_000); // two server starts and 40 uploads: 27 s on a machine at load 14
