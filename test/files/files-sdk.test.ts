/** @module The SDK's files: upload, send with fileIds through the outbox, read back as another member; errors as HaetaeRequestError. */
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { downloadFile, HaetaeClient, HaetaeRequestError, register, uploadFile } from "../../src/sdk/index.js";
import { startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
const clients: HaetaeClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ fileSweepMs: 0 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.stop();
});

it("uploads a file, sends it in a message, and lets the other member download it", async () => {
  const a = await register(server.url, { username: `sdkf_a${process.pid}`, password: "correct horse" });
  const b = await register(server.url, { username: `sdkf_b${process.pid}`, password: "correct horse" });
  const client = new HaetaeClient({ url: server.url, token: a.token, WebSocket: WebSocket as never });
  clients.push(client);
  await client.connect();
  const { conversation } = await client.request("conversation.create", { kind: "direct", memberIds: [b.user.id] });
  const bytes = new TextEncoder().encode("문서 내용");
  const file = await uploadFile(server.url, a.token, bytes, "문서.txt");
  expect(file).toMatchObject({ name: "문서.txt", size: bytes.length });
  const message = await client.send(conversation.id, "", { fileIds: [file.id] });
  expect(message.files?.map((f) => f.id)).toEqual([file.id]);

  const blob = await downloadFile(server.url, b.token, file.url);
  expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
  const refused = await downloadFile(server.url, b.token, "/api/v1/files/nope").catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(HaetaeRequestError);
  expect((refused as HaetaeRequestError).code).toBe("not_found");
});
