/** @module The chat page carries the server's settings for the web client (where the status page lives), and its content security policy lets it read exactly that status page. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
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
  const settings = { statusPageUrl: 'https://status.example.com/"><script>', statusAfterMs: 1200, statusEveryMs: 3400 };

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
      statusAfterMs: 1500,
      statusEveryMs: 2500,
    });
  });
});
