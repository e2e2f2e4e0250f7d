/**
 * G6: bad input gets a clear error with a stable code from the catalogue, never a crash, never a
 * lost message; the connection keeps working after every mistake it can survive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ERRORS } from "../../src/protocol/index.js";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

const MAX_FRAME = 4096;
let server: TestServer;
let alice: Awaited<ReturnType<typeof registerUser>>;
let conversationId: string;
beforeAll(async () => {
  server = await startTestServer({
    maxFrameBytes: MAX_FRAME,
    maxTextLength: 100,
    requestsPerSecond: 10_000,
    requestBurst: 10_000,
  });
  alice = await registerUser(server.url, "g6a");
  const c = await RawClient.connect(server.wsUrl, alice.token);
  conversationId = (
    await c.ok<{ conversation: { id: string } }>("conversation.create", { kind: "direct", memberIds: [] })
  ).conversation.id;
  await c.ok("message.send", { conversationId, clientMsgId: "before", text: "sent before the garbage" });
  await c.close();
});
afterAll(() => server.stop());

describe("G6 over WebSocket", () => {
  const cases: [string, string | Buffer, string, string | number | null][] = [
    ["malformed JSON", "{not json", "invalid_json", null],
    ["truncated JSON", '{"type":"ping","id":1', "invalid_json", null],
    ["a JSON number", "42", "invalid_request", null],
    ["JSON null", "null", "invalid_request", null],
    ["an array", "[1,2]", "invalid_request", null],
    ["no type", '{"id":7}', "invalid_request", 7],
    ["no id", '{"type":"ping"}', "invalid_request", null],
    ["an object as id", '{"type":"ping","id":{}}', "invalid_request", null],
    ["unknown type", '{"type":"message.explode","id":"u1"}', "unknown_type", "u1"],
    ["a prototype key as type", '{"type":"__proto__","id":"u2"}', "unknown_type", "u2"],
    ["missing fields", '{"type":"message.send","id":"m1"}', "invalid_request", "m1"],
    [
      "wrongly typed field",
      '{"type":"message.send","id":"m2","conversationId":5,"clientMsgId":"x","text":"t"}',
      "invalid_request",
      "m2",
    ],
    ["negative seq", '{"type":"read","id":"r1","conversationId":"c","seq":-1}', "invalid_request", "r1"],
    ["fractional seq", '{"type":"history","id":"h1","conversationId":"c","beforeSeq":1.5}', "invalid_request", "h1"],
    ["a binary frame", Buffer.from([0, 1, 2, 3]), "invalid_json", null],
    ["a NUL in a string", '{"type":"user.find","id":"n1","username":"a\\u0000b"}', "invalid_request", "n1"],
    ["a seq past 32 bits", '{"type":"read","id":"r2","conversationId":"c","seq":4294967296}', "invalid_request", "r2"],
  ];

  it.each(cases)("answers %s with a catalogue code and keeps the connection", async (_name, frame, code, id) => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    if (Buffer.isBuffer(frame)) c.ws.send(frame, { binary: true });
    const reply = Buffer.isBuffer(frame)
      ? await c.until(() => c.frames.length > 0).then(() => c.frames[0])
      : await c.sendRaw(frame);
    expect(reply).toMatchObject({ type: "error", code, id });
    expect(Object.keys(ERRORS)).toContain(code);
    expect(typeof reply?.message).toBe("string");
    await c.ok("ping"); // the connection still works
    await c.close();
  });

  it("answers an oversized frame with frame_too_large, with its id, and goes on", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    const reply = await c.sendRaw(
      JSON.stringify({
        type: "message.send",
        id: "big",
        conversationId,
        clientMsgId: "big",
        text: "x".repeat(MAX_FRAME),
      }),
    );
    expect(reply).toMatchObject({ type: "error", id: "big", code: "frame_too_large" });
    await c.ok("ping");
    await c.close();
  });

  it("closes a connection that sends a frame far past the limit (1009), and the server lives on", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    c.ws.send("x".repeat(MAX_FRAME * 8));
    await c.until(() => c.closeCode !== undefined);
    expect(c.closeCode).toBe(1009);
    const d = await RawClient.connect(server.wsUrl, alice.token);
    await d.ok("ping");
    await d.close();
  });

  it("answers overlong text with text_too_long and an unknown conversation with conversation_not_found", async () => {
    const c = await RawClient.connect(server.wsUrl, alice.token);
    expect(
      await c.request("message.send", { conversationId, clientMsgId: "long", text: "가".repeat(101) }),
    ).toMatchObject({
      code: "text_too_long",
    });
    expect(
      await c.request("message.send", { conversationId: "no-such-conversation", clientMsgId: "x", text: "hi" }),
    ).toMatchObject({
      code: "conversation_not_found",
    });
    expect(await c.request("history", { conversationId: "no-such-conversation" })).toMatchObject({
      code: "conversation_not_found",
    });
    await c.close();
  });

  it("survives a burst of garbage from many connections and loses no stored message", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(server.wsUrl, alice.token)));
    const junk = [
      "{",
      "[]",
      '{"type":1,"id":1}',
      '{"type":"sync","id":2,"cursor":"bogus"}',
      "\u0000\u0001",
      '{"type":"read","id":3}',
    ];
    await Promise.all(clients.flatMap((c) => junk.map((j) => c.sendRaw(j))));
    const c = clients[0] as RawClient;
    const { messages } = await c.ok<{ messages: { clientMsgId: string }[] }>("history", { conversationId });
    expect(messages.map((m) => m.clientMsgId)).toEqual(["before"]);
    expect(await c.request("sync", { cursor: "bogus" })).toMatchObject({ code: "invalid_cursor" });
    await Promise.all(clients.map((x) => x.close()));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("answers a connection without a valid token or ticket with an unauthorized error and close 4500", async () => {
    for (const url of [server.wsUrl, `${server.wsUrl}?ticket=wst_forged`]) {
      const { frame, code } = await new Promise<{ frame: unknown; code: number }>((resolve) => {
        const ws = new WebSocket(url);
        let frame: unknown;
        ws.on("message", (data) => {
          frame = JSON.parse(data.toString());
        });
        ws.on("close", (code) => resolve({ frame, code }));
        ws.on("error", () => {});
      });
      expect(frame).toMatchObject({ type: "error", id: null, code: "unauthorized" });
      expect(code).toBe(4500);
    }
  });
});

describe("G6 at the socket level", () => {
  /** Send raw bytes on a TCP connection and collect what comes back until it closes. */
  async function raw(bytes: string | Buffer): Promise<string> {
    const { connect } = await import("node:net");
    const port = Number(new URL(server.url).port);
    return new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
      let answer = "";
      socket.on("data", (d) => {
        answer += d.toString("latin1");
      });
      socket.on("error", () => resolve(answer));
      socket.on("close", () => resolve(answer));
      setTimeout(() => socket.destroy(), 1500);
    });
  }

  it("survives request targets that are not URLs, on HTTP and on the upgrade path", async () => {
    for (const target of ["//", "///", "//a:b@", "*"]) {
      expect(await raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 \d{3} /);
      await raw(
        `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("survives an unmasked frame on a session refused for its token", async () => {
    const handshake = `GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    await raw(Buffer.concat([Buffer.from(handshake), Buffer.from([0x81, 0x02, 0x68, 0x69])]));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("survives a connection reset in the middle of an upgrade", async () => {
    const { connect } = await import("node:net");
    const port = Number(new URL(server.url).port);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(
            `GET /api/v1/ws?ticket=wst_x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          socket.resetAndDestroy();
          resolve();
        });
        socket.on("error", () => resolve());
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("G6 over HTTP", () => {
  const post = (path: string, body: string, contentType = "application/json") =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });

  it("answers bad bodies, unknown routes and methods with catalogue codes", async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post("/api/v1/auth/register", "{oops"), 400, "invalid_json"],
      [post("/api/v1/auth/register", "{}", "text/plain"), 415, "unsupported_media_type"],
      [post("/api/v1/auth/register", JSON.stringify({ username: 5 })), 400, "invalid_request"],
      [
        post("/api/v1/auth/login", JSON.stringify({ username: "nobody_here", password: "wrong password" })),
        401,
        "invalid_credentials",
      ],
      [
        post("/api/v1/auth/register", JSON.stringify({ username: "x".repeat(100_000), password: "p" })),
        413,
        "frame_too_large",
      ],
      [fetch(`${server.url}/api/v1/nothing`), 404, "route_not_found"],
      [fetch(`${server.url}/api/v1/auth/register`), 405, "method_not_allowed"],
      [post("/api/v1/auth/logout", "{}"), 401, "unauthorized"],
    ];
    for (const [response, status, code] of cases) {
      const res = await response;
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error: { code, message: expect.any(String) } });
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
