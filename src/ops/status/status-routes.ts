/** @module The public status routes: the page, one incident's page, Statuspage-style JSON, the Atom feed and webhook subscriptions. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { describeIssue, ERRORS, type ErrorCode, HaetaeError } from "../../protocol/index.js";
import type { SubscriberStore } from "../propagation/subscriber-store.js";
import { checkWebhookUrl } from "../propagation/url-policy.js";
import { renderNotFound } from "./status-html.js";
import type { RenderedBody, StatusDocument, StatusPage } from "./status-page.js";

/** Handles a request when its path is a status route; resolves false for every other path. */
export type StatusRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export interface StatusRouteDeps {
  page: StatusPage;
  subscribers: SubscriberStore;
  /** Let subscribers register loopback and private addresses (tests, closed networks). */
  allowPrivateSubscribers: boolean;
  maxBodyBytes: number;
}

/** Fixed public documents; `/api/v2/…` are the paths Statuspage clients call. */
const DOCUMENTS: Record<string, StatusDocument> = {
  "/status": "html",
  "/status/": "html",
  "/status.json": "status",
  "/summary.json": "summary",
  "/api/v2/status.json": "status",
  "/api/v2/summary.json": "summary",
  "/status/history.atom": "atom",
};

const subscribeBody = z.strictObject({
  url: z.string().min(1).max(2000),
  components: z.array(z.string().min(1).max(64)).max(100).optional(),
});

/** Short, so a stale copy lives seconds during an incident; shared caches and CDNs may keep it as long. */
const CACHE_CONTROL = "public, max-age=10";

function sendError(res: ServerResponse, code: ErrorCode, message?: string, retryAfterMs?: number): void {
  const error: Record<string, unknown> = { code, message: message ?? ERRORS[code].message };
  if (retryAfterMs !== undefined) {
    error.retryAfterMs = retryAfterMs;
    res.setHeader("retry-after", Math.ceil(retryAfterMs / 1000));
  }
  sendJson(res, ERRORS[code].status, { error });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendBody(req: IncomingMessage, res: ServerResponse, status: number, doc: RenderedBody): void {
  const headers: Record<string, string | number> = {
    "content-type": doc.type,
    "cache-control": CACHE_CONTROL,
    etag: doc.etag,
    "x-content-type-options": "nosniff",
  };
  // The JSON and the feed are for other sites' widgets and readers too.
  if (!doc.type.startsWith("text/html")) headers["access-control-allow-origin"] = "*";
  if (status === 200 && req.headers["if-none-match"] === doc.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers["content-length"] = doc.body.length;
  res.writeHead(status, headers);
  res.end(req.method === "HEAD" ? undefined : doc.body);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HaetaeError("frame_too_large", `The body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HaetaeError("invalid_json");
  }
}

/** A path segment decoded, or "" when its escapes are malformed (a request line must not crash anything). */
function segment(path: string, prefix: string): string {
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    return "";
  }
}

/** Build the route handler. It reads only the page's memory and the subscriber file, never the chat store. */
export function createStatusRoutes(deps: StatusRouteDeps): StatusRoutes {
  const { page, subscribers } = deps;

  const subscribe = async (req: IncomingMessage, res: ServerResponse) => {
    const parsed = subscribeBody.safeParse(await readJson(req, deps.maxBodyBytes));
    if (!parsed.success) throw new HaetaeError("invalid_request", describeIssue(parsed.error));
    const url = checkWebhookUrl(parsed.data.url, deps.allowPrivateSubscribers);
    const components = parsed.data.components ?? [];
    const known = page.current?.components.map((c) => c.id);
    const unknown = known ? components.find((c) => !known.includes(c)) : undefined;
    if (unknown !== undefined)
      throw new HaetaeError("invalid_request", `components: there is no component "${unknown}".`);
    const subscriber = subscribers.add(url, components, new Date());
    sendJson(res, 201, {
      id: subscriber.id,
      secret: subscriber.secret,
      url: subscriber.url,
      components: subscriber.components,
      createdAt: subscriber.createdAt,
    });
  };

  const unsubscribe = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const header = req.headers.authorization;
    let secret = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
    if (!secret) {
      const body = (await readJson(req, deps.maxBodyBytes)) as { secret?: unknown };
      if (typeof body?.secret === "string") secret = body.secret;
    }
    if (!secret) throw new HaetaeError("unauthorized", "Give the subscription's secret as a Bearer token.");
    subscribers.remove(id, secret);
    res.writeHead(204);
    res.end();
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const method = req.method ?? "GET";
    const read = method === "GET" || method === "HEAD";
    const documentName = DOCUMENTS[path];
    if (documentName) {
      if (!read) {
        sendError(res, "method_not_allowed");
        return true;
      }
      const doc = page.document(documentName);
      if (!doc) {
        sendError(res, "unavailable", "The control tower has not reported yet.", 5000);
        return true;
      }
      sendBody(req, res, 200, doc);
      return true;
    }
    if (path.startsWith("/status/incidents/")) {
      if (!read) {
        sendError(res, "method_not_allowed");
        return true;
      }
      const id = segment(path, "/status/incidents/");
      const doc = page.incidentPage(id);
      if (doc) sendBody(req, res, 200, doc);
      else {
        const notFound = Buffer.from(renderNotFound(page.current, page.labels));
        res.writeHead(404, { "content-type": "text/html; charset=utf-8", "content-length": notFound.length });
        res.end(notFound);
      }
      return true;
    }
    if (path === "/status/subscribers") {
      if (method !== "POST") {
        sendError(res, "method_not_allowed");
        return true;
      }
      await subscribe(req, res);
      return true;
    }
    if (path.startsWith("/status/subscribers/")) {
      if (method !== "DELETE") {
        sendError(res, "method_not_allowed");
        return true;
      }
      await unsubscribe(req, res, segment(path, "/status/subscribers/"));
      return true;
    }
    return false;
  };

  return async (req, res, path) => {
    try {
      return await route(req, res, path);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (error instanceof HaetaeError) sendError(res, error.code, error.message, error.retryAfterMs);
      else {
        console.error(`status route ${req.method} ${path} failed:`, error);
        sendError(res, "internal", undefined, 1000);
      }
      return true;
    }
  };
}
