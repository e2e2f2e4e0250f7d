/**
 * Files through the public API: upload (201 only once durable, one file per retried upload),
 * download with Range, ETag and 304, who may read (the uploader and the members of a chat whose
 * message carries it; everyone else the same 404 as an unknown id), files in message.send,
 * message.new, sync and history, forwarding, delete for everyone, the sweep, and bad input.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileSchema } from "../../src/protocol/event-schemas.js";
import type { FileInfo, Message } from "../../src/protocol/index.js";
import {
  closeAll,
  createDirect,
  expectError,
  nextEvent,
  type Person,
  person,
  send,
  syncAll,
} from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";
import { cutUpload, download, rawRequest, sha256, upload, uploaded } from "./files-helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestsPerSecond: 10_000, requestBurst: 10_000, fileSweepMs: 0 });
});
afterAll(() => server.stop());

const bytes = (text: string) => new TextEncoder().encode(text);

async function pair(prefix: string): Promise<{ alice: Person; bob: Person; chatId: string }> {
  const alice = await person(server, prefix);
  const bob = await person(server, prefix);
  const chat = await createDirect(alice.client, bob.id);
  return { alice, bob, chatId: chat.id };
}

describe("upload and download", () => {
  it("stores the bytes, answers 201 with the file, and serves exactly those bytes with Range, ETag and 304", async () => {
    const alice = await person(server, "fu");
    const body = bytes("hello, 해태 files\n".repeat(100));
    const answer = await upload(server.url, alice.auth.token, body, "메모.txt");
    expect(answer.status).toBe(201);
    const file = answer.body.file as FileInfo;
    expect(fileSchema.parse(file)).toEqual(file);
    expect(file).toMatchObject({
      name: "메모.txt",
      size: body.length,
      sha256: sha256(body),
      url: `/api/v1/files/${file.id}`,
    });

    const whole = await download(server.url, alice.auth.token, file.url);
    expect(whole.status).toBe(200);
    expect(sha256(whole.bytes)).toBe(file.sha256);
    expect(whole.headers.get("etag")).toBe(`"${file.sha256}"`);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");

    const part = await download(server.url, alice.auth.token, file.url, { range: "bytes=10-19" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${body.length}`);
    expect(part.bytes).toEqual(Buffer.from(body.subarray(10, 20)));
    const tail = await download(server.url, alice.auth.token, file.url, { range: "bytes=-5" });
    expect(tail.bytes).toEqual(Buffer.from(body.subarray(body.length - 5)));

    const past = await download(server.url, alice.auth.token, file.url, { range: `bytes=${body.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${body.length}`);
    expect(JSON.parse(past.bytes.toString()).error.code).toBe("range_not_satisfiable");

    const again = await download(server.url, alice.auth.token, file.url, { "if-none-match": `"${file.sha256}"` });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    await closeAll(alice.client);
  });

  it("keeps one file when the same upload is retried, and one blob for equal bytes of two users", async () => {
    const alice = await person(server, "fr");
    const bob = await person(server, "fr");
    const body = bytes(`same bytes ${Date.now()}`);
    const first = await uploaded(server.url, alice.auth.token, body, "a.txt");
    const retry = await uploaded(server.url, alice.auth.token, body, "a.txt");
    expect(retry.id).toBe(first.id);
    const bobs = await uploaded(server.url, bob.auth.token, body, "a.txt");
    expect(bobs.id).not.toBe(first.id);
    expect(bobs.sha256).toBe(first.sha256);
    expect(await server.app.ctx.store.usedFileBytes(alice.id)).toBe(body.length);
    await closeAll(alice.client, bob.client);
  });

  it("answers bad uploads with stable codes and stores nothing", async () => {
    const alice = await person(server, "fb");
    const before = await server.app.ctx.store.usedFileBytes(alice.id);
    const empty = await upload(server.url, alice.auth.token, new Uint8Array(0));
    expect([empty.status, empty.body.error?.code]).toEqual([400, "invalid_request"]);

    const noToken = await fetch(`${server.url}/api/v1/files`, { method: "POST", body: "x" });
    expect(noToken.status).toBe(401);

    // Chunked: no Content-Length.
    const chunked = await rawRequest(
      server.url,
      `POST /api/v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.auth.token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 411/);
    expect(chunked).toContain('"length_required"');

    const badName = await rawRequest(
      server.url,
      `POST /api/v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.auth.token}\r\nX-File-Name: %E0%A4%A\r\nContent-Length: 5\r\n\r\nhello`,
    );
    expect(badName).toMatch(/^HTTP\/1\.1 400/);

    const malformedId = await download(server.url, alice.auth.token, "/api/v1/files/%E0%A4%A");
    expect(malformedId.status).toBe(400);
    expect(await server.app.ctx.store.usedFileBytes(alice.id)).toBe(before);
    await closeAll(alice.client);
  });

  it("never makes a file of an upload cut mid-body", async () => {
    const alice = await person(server, "fc");
    const body = new Uint8Array(4 * 1024 * 1024).fill(7);
    const head = `POST /api/v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.auth.token}\r\nX-File-Name: cut.bin\r\nContent-Length: ${body.length}\r\n\r\n`;
    for (const sent of [0, 1, 1024 * 1024, body.length - 1]) await cutUpload(server.url, head, body, sent);
    // The server sees each cut; its staging files go with them.
    const staging = join(server.dataDir, "files", "staging");
    for (let i = 0; i < 50 && readdirSync(staging).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(staging)).toEqual([]);
    expect(await server.app.ctx.store.usedFileBytes(alice.id)).toBe(0);
    // The whole body, sent after, is one file.
    const file = await uploaded(server.url, alice.auth.token, body, "cut.bin");
    expect(file.size).toBe(body.length);
    await closeAll(alice.client);
  });
});

describe("who may read a file", () => {
  it("gives the uploader and the chat's members the file once a message carries it; others the 404 of an unknown id", async () => {
    const { alice, bob, chatId } = await pair("fa");
    const eve = await person(server, "fa");
    const file = await uploaded(server.url, alice.auth.token, bytes("for bob only"), "note.txt");
    expect((await download(server.url, bob.auth.token, file.url)).status).toBe(404);

    const message = await send(alice.client, chatId, "", { fileIds: [file.id] });
    expect(message.files).toEqual([file]);
    expect(message.text).toBe("");
    const live = await nextEvent(bob.client, "message.new", (e) => e.message.id === message.id);
    expect(live.message.files).toEqual([file]);
    expect((await download(server.url, bob.auth.token, file.url)).bytes.toString()).toBe("for bob only");

    const forEve = await download(server.url, eve.auth.token, file.url);
    const unknown = await download(server.url, eve.auth.token, "/api/v1/files/00000000-0000-4000-8000-000000000000");
    expect(forEve.status).toBe(404);
    expect(JSON.parse(forEve.bytes.toString())).toEqual(JSON.parse(unknown.bytes.toString()));
    expect(JSON.parse(unknown.bytes.toString()).error.code).toBe("not_found");

    // The same files reach a device that syncs, and history.
    const synced = await syncAll(bob.client);
    const carried = synced.events.find((e) => e.type === "message.new" && e.message.id === message.id);
    expect(carried && "message" in carried ? carried.message.files : undefined).toEqual([file]);
    const history = await bob.client.ok<{ messages: Message[] }>("history", { conversationId: chatId });
    expect(history.messages.find((m) => m.id === message.id)?.files).toEqual([file]);
    await closeAll(alice.client, bob.client, eve.client);
  });

  it("refuses attaching others' uploads and unknown ids as not_found, allows forwarding a file one can read", async () => {
    const { alice, bob, chatId } = await pair("ff");
    const carol = await person(server, "ff");
    const carolsChat = await createDirect(bob.client, carol.id);
    const alicesFile = await uploaded(server.url, alice.auth.token, bytes("alice's"), "a.txt");
    await expectError(
      bob.client,
      "message.send",
      { conversationId: chatId, clientMsgId: "x1", text: "", fileIds: [alicesFile.id] },
      "not_found",
    );
    await expectError(
      bob.client,
      "message.send",
      { conversationId: chatId, clientMsgId: "x2", text: "hi", fileIds: ["nope"] },
      "not_found",
    );
    await expectError(
      bob.client,
      "message.send",
      { conversationId: chatId, clientMsgId: "x3", text: "" },
      "invalid_request",
    );
    const many = Array.from({ length: 31 }, (_, i) => `id-${i}`);
    await expectError(
      bob.client,
      "message.send",
      { conversationId: chatId, clientMsgId: "x4", text: "", fileIds: many },
      "invalid_request",
    );
    const flood = await bob.client.request("message.send", {
      conversationId: chatId,
      clientMsgId: "x5",
      text: "",
      fileIds: Array.from({ length: 10_000 }, (_, i) => `id-${i}`),
    });
    expect(["invalid_request", "frame_too_large"]).toContain(flood.code);

    await send(alice.client, chatId, "look", { fileIds: [alicesFile.id] });
    // Bob can read it now, so he may forward it to Carol.
    const forwarded = await send(bob.client, carolsChat.id, "fwd", { fileIds: [alicesFile.id] });
    expect(forwarded.files?.[0]?.id).toBe(alicesFile.id);
    expect((await download(server.url, carol.auth.token, alicesFile.url)).status).toBe(200);
    await closeAll(alice.client, bob.client, carol.client);
  });

  it("takes the file from everyone's reach when its message is deleted for everyone, and the sweep frees its bytes", async () => {
    const { alice, bob, chatId } = await pair("fd");
    const body = bytes(`to be deleted ${Math.random()}`);
    const file = await uploaded(server.url, alice.auth.token, body, "gone.txt");
    const message = await send(alice.client, chatId, "oops", { fileIds: [file.id] });
    await alice.client.ok("message.delete", { conversationId: chatId, seq: message.seq });
    expect((await download(server.url, bob.auth.token, file.url)).status).toBe(404);
    expect((await download(server.url, alice.auth.token, file.url)).status).toBe(404);
    const history = await bob.client.ok<{ messages: Message[] }>("history", { conversationId: chatId });
    expect(history.messages.find((m) => m.id === message.id)?.files).toBeUndefined();
    const synced = await syncAll(bob.client);
    expect(JSON.stringify(synced.events)).not.toContain(file.id);

    expect(await server.app.ctx.blobs.size(file.sha256)).toBe(body.length);
    const { sweepFiles } = await import("../../src/chat/actions/files.js");
    await sweepFiles(server.app.ctx);
    expect(await server.app.ctx.blobs.size(file.sha256)).toBeNull();
    await closeAll(alice.client, bob.client);
  });
});

describe("a chat's drawer", () => {
  it("lists the chat's photos and files newest first, by kind and page by page, to members only", async () => {
    const { alice, bob, chatId } = await pair("fw");
    const eve = await person(server, "fw");
    const sharp = (await import("sharp")).default;
    const photo = await sharp({ create: { width: 20, height: 10, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    const pic = await uploaded(server.url, alice.auth.token, photo, "pic.png");
    const doc1 = await uploaded(server.url, alice.auth.token, bytes("doc one"), "one.txt");
    const doc2 = await uploaded(server.url, alice.auth.token, bytes("doc two"), "two.txt");
    const first = await send(alice.client, chatId, "", { fileIds: [pic.id, doc1.id] });
    const second = await send(alice.client, chatId, "", { fileIds: [doc2.id] });
    type Page = {
      files: { file: { id: string }; seq: number; senderId: string }[];
      cursor: string | null;
      hasMore: boolean;
    };
    const all = await bob.client.ok<Page>("files.list", { conversationId: chatId });
    expect(all.files.map((f) => f.file.id)).toEqual([doc2.id, pic.id, doc1.id]);
    expect(all.files.map((f) => f.seq)).toEqual([second.seq, first.seq, first.seq]);
    expect(all.files[0]?.senderId).toBe(alice.id);
    const photos = await bob.client.ok<Page>("files.list", { conversationId: chatId, kind: "photo" });
    expect(photos.files.map((f) => f.file.id)).toEqual([pic.id]);
    const docs = await bob.client.ok<Page>("files.list", { conversationId: chatId, kind: "file" });
    expect(docs.files.map((f) => f.file.id)).toEqual([doc2.id, doc1.id]);
    const page1 = await bob.client.ok<Page>("files.list", { conversationId: chatId, limit: 2 });
    expect(page1.hasMore).toBe(true);
    const page2 = await bob.client.ok<Page>("files.list", { conversationId: chatId, limit: 2, cursor: page1.cursor });
    expect([...page1.files, ...page2.files].map((f) => f.file.id)).toEqual([doc2.id, pic.id, doc1.id]);
    expect([page2.hasMore, page2.cursor]).toEqual([false, null]);
    await expectError(bob.client, "files.list", { conversationId: chatId, cursor: "x" }, "invalid_cursor");
    await expectError(eve.client, "files.list", { conversationId: chatId }, "forbidden");
    await alice.client.ok("message.delete", { conversationId: chatId, seq: second.seq });
    const after = await bob.client.ok<Page>("files.list", { conversationId: chatId });
    expect(after.files.map((f) => f.file.id)).toEqual([pic.id, doc1.id]);
    await closeAll(alice.client, bob.client, eve.client);
  });
});

describe("limits", () => {
  it("refuses a file past maxFileBytes with 413, a quota with quota_exceeded, too many uploads with rate_limited", async () => {
    const small = await startTestServer({ maxFileBytes: 1000, fileQuotaBytes: 1500, uploadsPerMinute: 3 });
    try {
      const alice = await person(small, "fl");
      const big = await upload(small.url, alice.auth.token, new Uint8Array(1001));
      expect([big.status, big.body.error?.code]).toEqual([413, "file_too_large"]);
      await uploaded(small.url, alice.auth.token, new Uint8Array(900).fill(1));
      const over = await upload(small.url, alice.auth.token, new Uint8Array(900).fill(2));
      expect(over.body.error?.code).toBe("quota_exceeded");
      const limited = await upload(small.url, alice.auth.token, new Uint8Array(10).fill(3));
      expect(limited.status).toBe(429);
      expect(limited.body.error?.code).toBe("rate_limited");
      expect(limited.body.error?.retryAfterMs).toBeGreaterThan(0);
      await closeAll(alice.client);
    } finally {
      await small.stop();
    }
  });

  it("collects uploads never attached after unattachedFileTtlMs", async () => {
    const quick = await startTestServer({ unattachedFileTtlMs: 0, fileSweepMs: 0 });
    try {
      const alice = await person(quick, "fs");
      const { chatId, bob } = await (async () => {
        const bob = await person(quick, "fs");
        return { bob, chatId: (await createDirect(alice.client, bob.id)).id };
      })();
      const kept = await uploaded(quick.url, alice.auth.token, bytes("kept"), "kept.txt");
      const loose = await uploaded(quick.url, alice.auth.token, bytes("loose"), "loose.txt");
      await send(alice.client, chatId, "", { fileIds: [kept.id] });
      await new Promise((r) => setTimeout(r, 5));
      const { sweepFiles } = await import("../../src/chat/actions/files.js");
      expect(await sweepFiles(quick.app.ctx)).toEqual({ files: 1, blobs: 1 });
      expect((await download(quick.url, alice.auth.token, loose.url)).status).toBe(404);
      expect((await download(quick.url, alice.auth.token, kept.url)).status).toBe(200);
      expect(await quick.app.ctx.blobs.size(loose.sha256)).toBeNull();
      await closeAll(alice.client, bob.client);
    } finally {
      await quick.stop();
    }
  });
});
