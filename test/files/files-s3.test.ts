/**
 * Scale-out files: two nodes on one PostgreSQL store and one S3-compatible bucket (a real
 * s3rver the test starts). A file uploaded through node A is downloaded through node B, with a
 * Range; deleting its message through B takes it from everyone at once, and B's sweep deletes
 * the object from the bucket.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { sweepFiles } from "../../src/chat/actions/files.js";
import { createDirect, person, send } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";
import { startS3, type TestS3 } from "../s3-server.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";
import { download, sha256, uploaded } from "./files-helpers.js";

let s3: TestS3;
let schema: string;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  s3 = await startS3();
  schema = freshSchema();
  const shared = {
    store: postgresUrlWithSchema(schema),
    fileSweepMs: 0,
    s3Endpoint: s3.settings.endpoint,
    s3Bucket: s3.settings.bucket,
    s3AccessKeyId: s3.settings.accessKeyId,
    s3SecretAccessKey: s3.settings.secretAccessKey,
    s3Prefix: "files/",
  };
  a = await startTestServer(shared);
  b = await startTestServer(shared);
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await s3?.stop();
  await dropSchema(schema);
});

it("serves through node B a file uploaded through node A, and frees it from the bucket when its message is deleted", async () => {
  const alice = await person(a, "s3a");
  const bob = await person(b, "s3b");
  const chat = await createDirect(alice.client, bob.id);
  const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
  const file = await uploaded(a.url, alice.auth.token, body, "shared.bin");
  expect(file.sha256).toBe(sha256(body));
  const message = await send(alice.client, chat.id, "from A", { fileIds: [file.id] });

  const got = await download(b.url, bob.auth.token, file.url);
  expect(got.status).toBe(200);
  expect(sha256(got.bytes)).toBe(file.sha256);
  const part = await download(b.url, bob.auth.token, file.url, { range: "bytes=1000-1999" });
  expect(part.status).toBe(206);
  expect(part.bytes.equals(Buffer.from(body.subarray(1000, 2000)))).toBe(true);

  await alice.client.ok("message.delete", { conversationId: chat.id, seq: message.seq });
  expect((await download(b.url, bob.auth.token, file.url)).status).toBe(404);
  expect(await b.app.ctx.blobs.size(file.sha256)).toBe(body.length);
  await sweepFiles(b.app.ctx);
  expect(await a.app.ctx.blobs.size(file.sha256)).toBeNull();
  await Promise.all([alice.client.close(), bob.client.close()]);
});
