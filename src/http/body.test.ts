/** @module The HTTP kit on a real socket: bodies past the limit are 413, undeclared or broken JSON are 415 and 400, errors carry Retry-After. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HaetaeError } from "../protocol/index.js";
import { sendJson, sendThrown } from "./answers.js";
import { readJson } from "./body.js";
import { queryOf } from "./request.js";

let server: Server;
let url: string;
beforeAll(async () => {
  // Echoes the body it read; `?empty` reads an empty body as {}, `?any` takes any Content-Type, `?wait` throws a retryable error.
  server = createServer(async (req, res) => {
    try {
      const query = queryOf(req.url);
      if (query.has("wait")) throw new HaetaeError("rate_limited", undefined, 1500);
      if (query.has("bug")) throw new TypeError("a bug");
      const options = { ...(query.has("empty") ? { whenEmpty: {} } : {}), anyContentType: query.has("any") };
      sendJson(res, 200, { body: await readJson(req, 16, options) });
    } catch (error) {
      sendThrown(res, error, "test route");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (query: string, body: string, type = "application/json") =>
  fetch(`${url}?${query}`, { method: "POST", headers: { "content-type": type }, body });

describe("http kit", () => {
  it("reads a JSON body up to the limit, with its length in the answer", async () => {
    const res = await post("", '{"a":"0123456"}'); // 15 bytes
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("content-length")).toBe(String('{"body":{"a":"0123456"}}'.length));
    expect(await res.json()).toEqual({ body: { a: "0123456" } });
  });

  it("refuses a body past the limit with 413 frame_too_large", async () => {
    const res = await post("", '{"a":"012345678"}'); // 17 bytes
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { code: "frame_too_large", message: "The body is larger than 16 bytes." },
    });
  });

  it("refuses a body not declared JSON (415), broken JSON (400), and an empty body unless it stands for a value", async () => {
    const undeclared = await post("", "{}", "text/plain");
    expect([undeclared.status, ((await undeclared.json()) as { error: { code: string } }).error.code]).toEqual([
      415,
      "unsupported_media_type",
    ]);
    expect((await post("any", "{}", "text/plain")).status).toBe(200);
    const broken = await post("", "{");
    expect([broken.status, ((await broken.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      "invalid_json",
    ]);
    expect((await post("", "")).status).toBe(400);
    expect(await (await post("empty", "")).json()).toEqual({ body: {} });
  });

  it("answers a thrown error with its catalogue status, Retry-After in whole seconds, and a bug as 500 internal", async () => {
    const limited = await post("wait", "{}");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(await limited.json()).toEqual({
      error: { code: "rate_limited", message: expect.any(String), retryAfterMs: 1500 },
    });
    const bug = await post("bug", "{}");
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ error: { code: "internal", message: expect.any(String), retryAfterMs: 1000 } });
  });
});
