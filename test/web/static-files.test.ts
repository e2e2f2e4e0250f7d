/** @module The web client's static serving: files, the SPA fallback, content types, cache headers, no traversal, 503 when not built. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_BUILT_MESSAGE, StaticFiles } from "../../src/gateway/static-files.js";
import { startTestServer, type TestServer } from "../harness.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path goes out exactly as written (fetch would fold "..", hiding traversal). */
function get(base: string, path: string, options: { method?: string; gzip?: boolean } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "GET",
        headers: options.gzip ? { "accept-encoding": "gzip" } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function serve(files: StaticFiles): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void files.serve(req, res, new URL(req.url ?? "/", "http://x").pathname);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe("StaticFiles", () => {
  let dir: string;
  let server: Server;
  let url: string;
  const script = `console.log(${JSON.stringify("x".repeat(2000))});`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "haetae-web-"));
    const root = join(dir, "web");
    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html><div id=app></div>");
    writeFileSync(join(root, "console.html"), "<!doctype html><title>console</title><div id=app></div>");
    writeFileSync(join(root, "assets", "index-Ab12Cd.js"), script);
    writeFileSync(join(root, "sw.js"), "self.addEventListener('fetch', () => {});");
    writeFileSync(join(root, "manifest.webmanifest"), "{}");
    writeFileSync(join(root, ".env"), "SECRET=1");
    writeFileSync(join(dir, "secret.txt"), "outside the root");
    ({ server, url } = await serve(new StaticFiles(root)));
  });

  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache and a content security policy", async () => {
    const reply = await get(url, "/");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(reply.body.toString()).toContain("<div id=app>");
  });

  it("serves index.html for client-side routes, and 404 for a missing file", async () => {
    for (const path of ["/c/0b6f-12", "/contacts", "/devices/"]) {
      const reply = await get(url, path);
      expect(reply.status, path).toBe(200);
      expect(reply.body.toString(), path).toContain("<div id=app>");
    }
    const missing = await get(url, "/assets/index-gone.js");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("serves the staff console's page for /console and its routes, never the chat app", async () => {
    for (const path of ["/console", "/console/", "/console/incidents/INC-3", "/console.html"]) {
      const reply = await get(url, path);
      expect(reply.status, path).toBe(200);
      expect(reply.body.toString(), path).toContain("<title>console</title>");
      expect(reply.headers["content-security-policy"], path).toContain("default-src 'self'");
    }
    // A path that only starts with the same letters is a chat route.
    expect((await get(url, "/consoles")).body.toString()).not.toContain("<title>console</title>");
  });

  it("serves hashed assets as immutable with their type, gzipped when asked", async () => {
    const plain = await get(url, "/assets/index-Ab12Cd.js");
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.body.toString()).toBe(script);
    const gzipped = await get(url, "/assets/index-Ab12Cd.js", { gzip: true });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzipped.body).toString()).toBe(script);
    expect(gzipped.body.length).toBeLessThan(plain.body.length);
  });

  it("serves the service worker and the manifest fresh, with their types", async () => {
    const sw = await get(url, "/sw.js");
    expect(sw.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(sw.headers["cache-control"]).toBe("no-cache");
    const manifest = await get(url, "/manifest.webmanifest");
    expect(manifest.headers["content-type"]).toBe("application/manifest+json; charset=utf-8");
  });

  it("never serves a file outside the folder, or a hidden one", async () => {
    for (const path of [
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/..%5csecret.txt",
      "/.env",
      "/assets/%00.js",
    ]) {
      const reply = await get(url, path);
      expect(reply.body.toString(), path).not.toContain("outside the root");
      expect(reply.body.toString(), path).not.toContain("SECRET");
      expect([400, 404], path).toContain(reply.status);
    }
    expect((await get(url, "/%E0%A4%A")).status).toBe(400);
  });

  it("answers HEAD without a body", async () => {
    const reply = await get(url, "/", { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(0);
  });

  it("answers 503 with a clear message when the client was never built", async () => {
    const missing = await serve(new StaticFiles(join(dir, "no-such-build")));
    try {
      const reply = await get(missing.url, "/");
      expect(reply.status).toBe(503);
      expect(reply.body.toString()).toBe(NOT_BUILT_MESSAGE);
      expect(NOT_BUILT_MESSAGE).toContain("web client not built: run npm run build:web");
    } finally {
      missing.server.close();
    }
  });
});

describe("haetae serve", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it("serves the built web client at / and its routes, and keeps /api/ for the API", async () => {
    for (const path of ["/", "/c/anything"]) {
      const reply = await get(server.url, path);
      expect(reply.status, path).toBe(200);
      expect(reply.body.toString(), path).toContain('<div id="app">');
    }
    const api = await get(server.url, "/api/v1/nothing");
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body.toString())).toMatchObject({ error: { code: "route_not_found" } });
    const post = await get(server.url, "/", { method: "POST" });
    expect(post.status).toBe(404);
    for (const path of ["/../../package.json", "/%2e%2e/%2e%2e/package.json", "//../../package.json"]) {
      const reply = await get(server.url, path);
      expect(reply.body.toString(), path).not.toContain('"name": "haetae"');
    }
  });
});
