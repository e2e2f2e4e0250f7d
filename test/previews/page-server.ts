/** @module A local web site for the link-preview tests: OpenGraph pages, redirects, huge, slow and non-HTML answers, images; it records every request it gets. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

/** One request the site got. */
export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The peer's address. */
  from: string;
}

export interface PageServer {
  /** `http://<host>:<port>` */
  origin: string;
  port: number;
  seen: SeenRequest[];
  /** Requests of one path. */
  hits(path: string): SeenRequest[];
  /** Paths whose answer was cut by the client before it ended. */
  cut: string[];
  close(): Promise<void>;
}

/** A page with OpenGraph tags; the image is `image` on the same site. */
export function ogPage(title: string, description: string, image = "/photo.png"): string {
  return `<!doctype html><html><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:site_name" content="Local &amp; Co">
<meta property="og:image" content="${image}">
</head><body><p>Hello</p></body></html>`;
}

/**
 * Start the site on `host` (an address of this machine). `routes` answers by path; the
 * defaults are an OG page at `/og`, a PNG at `/photo.png`, a page at `/plain` and more.
 */
export async function startPageServer(
  host = "127.0.0.1",
  extra: Record<
    string,
    (path: string) => {
      status?: number;
      headers?: Record<string, string>;
      body?: string | Buffer;
      hang?: boolean;
      huge?: number;
    }
  > = {},
): Promise<PageServer> {
  const png = await sharp({ create: { width: 1200, height: 630, channels: 3, background: "#3366cc" } })
    .png()
    .toBuffer();
  const seen: SeenRequest[] = [];
  const cut: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ path, headers: req.headers, from: req.socket.remoteAddress ?? "" });
    res.on("close", () => {
      if (!res.writableFinished) cut.push(path);
    });
    const route = extra[path.split("?")[0] ?? ""];
    if (route) {
      const answer = route(path);
      if (answer.hang) {
        res.writeHead(200, { "content-type": "text/html" });
        res.write("<html><head>");
        return; // never ends
      }
      if (answer.huge) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.write(ogPage("Huge page", "A page of many megabytes"));
        const block = Buffer.alloc(64 * 1024, "x");
        let left = answer.huge;
        const pump = () => {
          while (left > 0) {
            left -= block.length;
            if (!res.write(block)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.writeHead(answer.status ?? 200, answer.headers ?? { "content-type": "text/html; charset=utf-8" });
      res.end(answer.body ?? "");
      return;
    }
    if (path.startsWith("/photo.png")) {
      res.writeHead(200, { "content-type": "image/png", "set-cookie": "tracker=1" });
      res.end(png);
      return;
    }
    if (path.startsWith("/og")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "set-cookie": "tracker=1" });
      res.end(ogPage(`Title of ${path}`, `About ${path}`));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not here");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    port,
    seen,
    cut,
    hits: (p) => seen.filter((s) => s.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
