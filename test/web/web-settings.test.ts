/** @module The chat page carries the server's settings for the web client (where the status page lives), and its content security policy lets it read exactly that status page. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticFiles } from "../../src/gateway/static-files.js";
import { parseWebSettings, WEB_SETTINGS_META } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../harness.js";

/** The settings `<meta>` of a page, decoded as a browser would decode the attribute. */
function metaOf(html: string): string | undefined {
  const match = new RegExp(`<meta name="${WEB_SETTINGS_META}" content="([^"]*)"`).exec(html);
  return match?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

describe("settings in the page", () => {
  let dir: string;
  let listener: Server;
  let url: string;
  const settings = {
    statusPageUrl: 'https://status.example.com/"><script>',
    statusPort: 8081,
    statusAfterMs: 1200,
    statusEveryMs: 3400,
    maxTextLength: 4000,
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "haetae-web-settings-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><html><head><title>x</title></head><body></body></html>");
    writeFileSync(join(dir, "console.html"), "<!doctype html><html><head></head><body></body></html>");
    const files = new StaticFiles(dir, settings);
    listener = createServer((req, res) => void files.serve(req, res, new URL(req.url ?? "/", "http://x").pathname));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("puts them, escaped, in the chat page's head; the console page gets none", async () => {
    for (const path of ["/", "/c/123"]) {
      const html = await (await fetch(`${url}${path}`)).text();
      expect(html).not.toContain("<script>");
      expect(JSON.parse(metaOf(html) ?? "null"), path).toEqual(settings);
      expect(html.indexOf(WEB_SETTINGS_META)).toBeLessThan(html.indexOf("</head>"));
    }
    expect(metaOf(await (await fetch(`${url}/console`)).text())).toBeUndefined();
  });

  it("lets the page connect to its own origin and the status page's, nothing else", async () => {
    const csp = (await fetch(`${url}/`)).headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/(^|; )connect-src 'self' https:\/\/status\.example\.com;/);
  });
});

/** A GET with the Host header a browser would send for `host` (fetch does not let a page choose it). */
function getWithHost(url: string, host: string): Promise<{ csp: string; html: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let html = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        html += chunk;
      });
      res.once("end", () => resolve({ csp: String(res.headers["content-security-policy"] ?? ""), html }));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("a status port without a status page URL", () => {
  let dir: string;
  let listener: Server;
  let url: string;
  const settings = {
    statusPageUrl: "",
    statusPort: 8081,
    statusAfterMs: 1200,
    statusEveryMs: 3400,
    maxTextLength: 4000,
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "haetae-web-settings-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><html><head><title>x</title></head><body></body></html>");
    const files = new StaticFiles(dir, settings);
    listener = createServer((req, res) => void files.serve(req, res, new URL(req.url ?? "/", "http://x").pathname));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells the client the port, and lets the page connect to that port on the host it was asked by", async () => {
    const plain = await getWithHost(`${url}/`, "chat.example.com");
    expect(JSON.parse(metaOf(plain.html) ?? "null")).toEqual(settings);
    expect(plain.csp).toMatch(/(^|; )connect-src 'self' chat\.example\.com:8081;/);
    expect((await getWithHost(`${url}/c/1`, "chat.example.com:3000")).csp).toContain(
      "connect-src 'self' chat.example.com:8081;",
    );
    expect((await getWithHost(`${url}/`, "[::1]:3000")).csp).toContain("connect-src 'self' [::1]:8081;");
  });

  it("adds no source for a Host header that is not a plain host name", async () => {
    for (const host of ["evil.example; script-src *", "a b", "[::1", "x:1:2"]) {
      expect((await getWithHost(`${url}/`, host)).csp, host).toMatch(/(^|; )connect-src 'self'; /);
    }
  });
});

describe("a node's chat page", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      statusPageUrl: "http://127.0.0.1:9/",
      offlineStatusAfterMs: 1500,
      offlineStatusEveryMs: 2500,
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("tells the client the configured status page and timings", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self' http://127.0.0.1:9;");
    expect(parseWebSettings(metaOf(await res.text()))).toEqual({
      statusPageUrl: "http://127.0.0.1:9",
      statusPort: 0,
      statusAfterMs: 1500,
      statusEveryMs: 2500,
      // The server's own text limit, for the composer's counter.
      maxTextLength: 4000,
    });
  });
});
