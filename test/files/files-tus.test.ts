/**
 * Resumable uploads (tus 1.0): an upload cut mid-body resumes from the offset the server kept,
 * without sending again what arrived, and becomes the same file a plain upload makes; another
 * user cannot see or resume it; the limits apply when it is created.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerUser, startTestServer, type TestServer } from "../harness.js";
import { cutUpload, download, sha256 } from "./files-helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ fileSweepMs: 0, maxFileBytes: 64 * 1024 * 1024 });
});
afterAll(() => server.stop());

const TUS = { "tus-resumable": "1.0.0" };

it("resumes a cut upload from the server's offset and makes it a file", async () => {
  const alice = await registerUser(server.url, "tus");
  const eve = await registerUser(server.url, "tus");
  const body = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 31) % 251);
  const created = await fetch(`${server.url}/api/v1/files/tus`, {
    method: "POST",
    headers: {
      ...TUS,
      authorization: `Bearer ${alice.token}`,
      "upload-length": String(body.length),
      "upload-metadata": `filename ${Buffer.from("큰 파일.bin").toString("base64")}`,
    },
  });
  expect(created.status).toBe(201);
  const location = created.headers.get("location") as string;
  expect(location).toMatch(/^\/api\/v1\/files\/tus\/.+/);
  const path = new URL(location, server.url).pathname;

  // Half the body, then the connection drops.
  const head = `PATCH ${path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${alice.token}\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
  await cutUpload(server.url, head, body, body.length / 2);
  await new Promise((r) => setTimeout(r, 300));

  expect(
    (await fetch(`${server.url}${path}`, { method: "HEAD", headers: { ...TUS, authorization: `Bearer ${eve.token}` } }))
      .status,
  ).toBe(404);
  const probe = await fetch(`${server.url}${path}`, {
    method: "HEAD",
    headers: { ...TUS, authorization: `Bearer ${alice.token}` },
  });
  expect(probe.status).toBe(200);
  const offset = Number(probe.headers.get("upload-offset"));
  expect(offset).toBeGreaterThan(0);
  expect(offset).toBeLessThanOrEqual(body.length / 2);

  const rest = await fetch(`${server.url}${path}`, {
    method: "PATCH",
    headers: {
      ...TUS,
      authorization: `Bearer ${alice.token}`,
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
    },
    body: body.subarray(offset),
  });
  expect(rest.status).toBe(200);
  const { file } = (await rest.json()) as { file: { url: string; sha256: string; name: string; size: number } };
  expect(file).toMatchObject({ name: "큰 파일.bin", size: body.length, sha256: sha256(body) });
  const got = await download(server.url, alice.token, file.url);
  expect(sha256(got.bytes)).toBe(sha256(body));
});

it("refuses a resumable upload past maxFileBytes or without a token when it is created", async () => {
  const alice = await registerUser(server.url, "tus");
  const big = await fetch(`${server.url}/api/v1/files/tus`, {
    method: "POST",
    headers: { ...TUS, authorization: `Bearer ${alice.token}`, "upload-length": String(65 * 1024 * 1024) },
  });
  expect(big.status).toBe(413);
  const anonymous = await fetch(`${server.url}/api/v1/files/tus`, {
    method: "POST",
    headers: { ...TUS, "upload-length": "10" },
  });
  expect(anonymous.status).toBe(401);
});

it("removes an unfinished upload once unattachedFileTtlMs has passed, and keeps a fresh one", async () => {
  const shortLived = await startTestServer({ fileSweepMs: 0, unattachedFileTtlMs: 1500 });
  try {
    const bob = await registerUser(shortLived.url, "tusx");
    const create = async () => {
      const created = await fetch(`${shortLived.url}/api/v1/files/tus`, {
        method: "POST",
        headers: { ...TUS, authorization: `Bearer ${bob.token}`, "upload-length": "1000" },
      });
      expect(created.status).toBe(201);
      const path = new URL(created.headers.get("location") as string, shortLived.url).pathname;
      const part = await fetch(`${shortLived.url}${path}`, {
        method: "PATCH",
        headers: {
          ...TUS,
          authorization: `Bearer ${bob.token}`,
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
        },
        body: new Uint8Array(100),
      });
      expect(part.status).toBe(204);
      return path;
    };
    const head = async (path: string) =>
      (
        await fetch(`${shortLived.url}${path}`, {
          method: "HEAD",
          headers: { ...TUS, authorization: `Bearer ${bob.token}` },
        })
      ).status;
    const abandoned = await create();
    expect(await head(abandoned)).toBe(200);
    // Past the time and at least one sweep (every 1.5 s here): gone, as if it never existed.
    await new Promise((r) => setTimeout(r, 4000));
    const fresh = await create();
    expect(await head(abandoned)).toBe(404);
    expect(await head(fresh)).toBe(200);
  } finally {
    await shortLived.stop();
  }
}, 30_000);
