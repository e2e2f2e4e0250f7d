/** @module The public status routes: the page, one incident's page, Statuspage-style JSON, the Atom feed and webhook subscriptions, with framing and sniffing refused. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkWebhookUrl } from "../../guard/url-policy.js";
import { sendError, sendJson, sendThrown } from "../../http/answers.js";
import { readJson } from "../../http/body.js";
import { bearer as bearerHeader } from "../../http/request.js";
import { type ParamDecoder, Router } from "../../http/router.js";
import { describeIssue, HaetaeError, type Subscription } from "../../protocol/index.js";
import { subscribeBody } from "../../protocol/ops-requests.js";
import type { SignupsApi } from "../link/tower-api.js";
import type { Subscriber } from "../propagation/subscriber-store.js";
import { renderConfirmForm, renderNotFound, STYLE_HASH_SOURCE } from "./status-html.js";
import { labelsFor, requestLocale } from "./status-labels.js";
import type { RenderedBody, StatusDocument, StatusPage } from "./status-page.js";

/** Handles a request when its path is a status route; resolves false for every other path. */
export type StatusRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export interface StatusRouteDeps {
  page: StatusPage;
  /** Where sign-ups go: this process's subscriber file, or the tower's over a link. */
  signups: SignupsApi;
  maxBodyBytes: number;
  /** The key sign-ups are limited by: the client's address, from X-Forwarded-For only behind `trustedProxies`. */
  clientAddress?: (req: IncomingMessage) => string;
}

/** Fixed public documents; `/api/v2/…` are the paths Statuspage clients call. */
export const DOCUMENTS: Readonly<Record<string, StatusDocument>> = {
  "/status": "html",
  "/status/": "html",
  "/status.json": "status",
  "/summary.json": "summary",
  "/api/v2/status.json": "status",
  "/api/v2/summary.json": "summary",
  "/api/v2/components.json": "components",
  "/api/v2/incidents.json": "incidents",
  "/api/v2/incidents/unresolved.json": "unresolved",
  "/api/v2/scheduled-maintenances.json": "maintenances",
  "/api/v2/scheduled-maintenances/upcoming.json": "upcoming",
  "/api/v2/scheduled-maintenances/active.json": "active",
  "/status/history.atom": "atom",
};

/** Every fixed status path; the load-balancer tests read each through deploy/'s configs. */
export const STATUS_DOCUMENT_PATHS: readonly string[] = Object.keys(DOCUMENTS);

/**
 * On every status response, both ports. The page needs nothing but its own inline stylesheet
 * (allowed by its hash) and plain links; no script, image, frame, form or plug-in. `frame-ancestors 'none'`
 * and X-Frame-Options (for older browsers) stop another site framing the page (clickjacking).
 */
export const STATUS_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": `default-src 'none'; style-src ${STYLE_HASH_SOURCE}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Short, so a stale copy lives seconds during an incident; shared caches and CDNs may keep it as long. */
const CACHE_CONTROL = "public, max-age=10";

function sendBody(req: IncomingMessage, res: ServerResponse, status: number, doc: RenderedBody): void {
  const headers: Record<string, string | number> = {
    "content-type": doc.type,
    "cache-control": CACHE_CONTROL,
    etag: doc.etag,
  };
  // Worded in the reader's language: a shared cache keeps one copy per Accept-Language.
  if (doc.language) {
    headers.vary = "Accept-Language";
    headers["content-language"] = doc.language;
  }
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

/** A path parameter decoded, or "" when its escapes are malformed: such an id is answered as one that does not exist. */
const decodeOrEmpty: ParamDecoder = (raw) => {
  try {
    return decodeURIComponent(raw);
  } catch {
    return "";
  }
};

/**
 * Any page may read the JSON and the feed, without credentials (no cookies or auth are ever
 * needed, so no `allow-credentials`): the web client reads them from another origin when the chat
 * server does not answer, and so do other sites' widgets. Only reads: the sign-up and its links
 * stay same-origin. Every answer on these paths carries the header, errors and 304s too, or the
 * browser hides a "not reported yet" as a network failure. Answers a preflight; true when it did.
 */
function allowCrossOriginReads(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!/\.(json|atom)$/.test(path)) return false;
  res.setHeader("access-control-allow-origin", "*");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, { "access-control-allow-methods": "GET, HEAD", "access-control-max-age": "86400" });
  res.end();
  return true;
}

/** What a status route is called with. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

/** The paths these routes answer (so the security headers never leak onto the chat API's responses). */
function isStatusPath(path: string): boolean {
  return path in DOCUMENTS || path.startsWith("/status/");
}

/** What the subscriber learns of its subscription (never the confirmation token: that goes only to the target). */
function view(subscriber: Subscriber): Subscription {
  return {
    id: subscriber.id,
    secret: subscriber.secret,
    url: subscriber.url,
    components: subscriber.components,
    status: subscriber.confirmedAt === null ? "pending" : "confirmed",
    createdAt: subscriber.createdAt,
    confirmedAt: subscriber.confirmedAt,
    expiresAt: subscriber.confirmedAt === null ? subscriber.expiresAt : null,
  };
}

/** Build the route handler. It reads only the page's memory and the subscriber file, never the chat store. */
export function createStatusRoutes(deps: StatusRouteDeps): StatusRoutes {
  const { page, signups } = deps;

  const subscribe = async (req: IncomingMessage, res: ServerResponse) => {
    // Declared JSON, as on the chat port: another site's page can send text/plain or a form
    // without a preflight, and would sign up through its visitors' addresses.
    const parsed = subscribeBody.safeParse(await readJson(req, deps.maxBodyBytes, { whenEmpty: {} }));
    if (!parsed.success) throw new HaetaeError("invalid_request", describeIssue(parsed.error));
    checkWebhookUrl(parsed.data.url, signups.allowPrivate); // a bad URL is a 400 even before the tower reports
    const components = parsed.data.components ?? [];
    const current = page.current;
    // The confirmation link must point at this page's own address, known only once the tower has reported.
    if (!current) throw new HaetaeError("unavailable", "The control tower has not reported yet.", 5000);
    const known = current.components.map((c) => c.id);
    const unknown = components.find((c) => !known.includes(c));
    if (unknown !== undefined)
      throw new HaetaeError("invalid_request", `components: there is no component "${unknown}".`);
    const base = current.page.url.replace(/\/+$/, "");
    const address = deps.clientAddress?.(req) ?? req.socket.remoteAddress ?? "unknown";
    const subscriber = await signups.signUp(parsed.data.url, components, address, base);
    sendJson(res, 202, view(subscriber));
  };

  const bearer = async (req: IncomingMessage, readBody: boolean): Promise<string> => {
    let secret = bearerHeader(req);
    if (!secret && readBody) {
      const body = (await readJson(req, deps.maxBodyBytes, { anyContentType: true, whenEmpty: {} })) as {
        secret?: unknown;
      };
      if (typeof body?.secret === "string") secret = body.secret;
    }
    if (!secret) throw new HaetaeError("unauthorized", "Give the subscription's secret as a Bearer token.");
    return secret;
  };

  const subscription = async (req: IncomingMessage, res: ServerResponse, method: string, id: string) => {
    if (method === "GET") {
      sendJson(res, 200, view(await signups.get(id, await bearer(req, false))));
      return;
    }
    if (method !== "DELETE") {
      sendError(res, "method_not_allowed");
      return;
    }
    await signups.remove(id, await bearer(req, true));
    res.writeHead(204);
    res.end();
  };

  /**
   * `/status/subscribers/<id>/confirm` and `…/unsubscribe`: links carrying their token. POST
   * acts; GET unsubscribes too (one click from a notification), but GET on a confirmation link
   * only shows a button that POSTs: link unfurlers and mail scanners fetch every link they see,
   * and must not be able to confirm a subscription nobody chose.
   */
  const link = async (req: IncomingMessage, res: ServerResponse, method: string, id: string, action: string) => {
    if (method !== "GET" && method !== "POST") {
      sendError(res, "method_not_allowed");
      return;
    }
    const token = new URL(req.url ?? "/", "http://status.invalid").searchParams.get("token");
    if (!token) throw new HaetaeError("unauthorized", "The link has no token.");
    if (action === "confirm" && method === "GET") {
      const labels = labelsFor(requestLocale(req, page.locale));
      const form = Buffer.from(renderConfirmForm(`?token=${encodeURIComponent(token)}`, labels));
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": form.length,
        "cache-control": "no-store",
        // The one page with a form: it may post back to itself, nowhere else.
        "content-security-policy": STATUS_SECURITY_HEADERS["content-security-policy"]?.replace(
          "form-action 'none'",
          "form-action 'self'",
        ) as string,
      });
      res.end(form);
    } else if (action === "confirm") {
      const subscriber = await signups.confirm(id, token);
      sendJson(res, 200, { id: subscriber.id, status: "confirmed" });
    } else {
      await signups.unsubscribe(id, token);
      sendJson(res, 200, { id, status: "unsubscribed" });
    }
  };

  const read = ["GET", "HEAD"] as const;
  const routes = new Router<Exchange, Promise<void> | void>(decodeOrEmpty);
  for (const [path, documentName] of Object.entries(DOCUMENTS)) {
    routes.on(read, path, ({ req, res }) => {
      const doc = page.document(documentName, requestLocale(req, page.locale));
      if (!doc) sendError(res, "unavailable", "The control tower has not reported yet.", 5000);
      else sendBody(req, res, 200, doc);
    });
  }
  routes.on(read, "/status/incidents/*id", ({ req, res }, { id }) => {
    const locale = requestLocale(req, page.locale);
    const doc = page.incidentPage(id, locale);
    if (doc) sendBody(req, res, 200, doc);
    else {
      const notFound = Buffer.from(renderNotFound(page.current, labelsFor(locale)));
      res.writeHead(404, {
        "content-type": "text/html; charset=utf-8",
        "content-length": notFound.length,
        vary: "Accept-Language",
      });
      res.end(notFound);
    }
  });
  routes.on("POST", "/status/subscribers", ({ req, res }) => subscribe(req, res));
  // Every method: the subscription and its links answer 405 themselves; the id is decoded before it is split, as it always was.
  routes.on("*", "/status/subscribers/*rest", async ({ req, res }, { rest: tail }) => {
    const method = req.method ?? "GET";
    const [id = "", action, ...rest] = tail.split("/");
    if (action === undefined) await subscription(req, res, method, id);
    else if ((action === "confirm" || action === "unsubscribe") && rest.length === 0)
      await link(req, res, method, id, action);
    else sendError(res, "route_not_found");
  });

  return async (req, res, path) => {
    if (!isStatusPath(path)) return false;
    for (const [name, value] of Object.entries(STATUS_SECURITY_HEADERS)) res.setHeader(name, value);
    if (allowCrossOriginReads(req, res, path)) return true;
    try {
      const route = routes.match(req.method ?? "GET", path);
      // Another path under /status/ is not the page's: the chat port hands it on (to the web client).
      if ("miss" in route && route.miss === "route_not_found") return false;
      if ("miss" in route) sendError(res, route.miss);
      else await route.handler({ req, res }, route.params);
    } catch (error) {
      sendThrown(res, error, `status route ${req.method} ${path}`);
    }
    return true;
  };
}
