/** @module A real S3-compatible server for tests (s3rver, from the npm registry), on a free port with a bucket in a temporary folder. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { S3Settings } from "../src/store/s3/s3-blob-store.js";

/** A running S3 server and the settings that reach its bucket. */
export interface TestS3 {
  settings: S3Settings;
  stop(): Promise<void>;
}

export async function startS3(bucket = "haetae"): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), "haetae-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    // s3rver's own credentials (it checks signatures).
    settings: {
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    },
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
