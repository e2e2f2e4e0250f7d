/** @module The HTTP API: auth, health, readiness and metrics; the web client; hands WebSocket upgrades to the gateway. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { z } from "zod";
import { authenticate, type LoginThrottle, login, register, revokeDevice } from "../chat/accounts.js";
import { exportAccount } from "../chat/actions/account.js";
import type { ChatContext } from "../chat/context.js";
import { changePassword, redeemPasswordReset } from "../chat/passwords.js";
import { issueWsTicket } from "../chat/ws-tickets.js";
import type { Config } from "../config/config.js";
import { AddressLimiter } from "../guard/address-limiter.js";
import { addressLimitKey, TrustedProxies } from "../guard/client-address.js";
import { LoginBackoff } from "../guard/login-backoff.js";
import { sendError, sendJson, sendThrown } from "../http/answers.js";
import { readJson } from "../http/body.js";
import { answerClientError } from "../http/client-error.js";
import { bearer, pathOf } from "../http/request.js";
import { Router } from "../http/router.js";
import { errorAnswer } from "../http/wire-errors.js";
import type { Metrics } from "../ops/metrics.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import type { StatusRoutes } from "../ops/status/status-routes.js";
import {
  describeIssue,
  HaetaeError,
  loginBody,
  passwordChangeBody,
  passwordResetBody,
  registerBody,
  type WebSettings,
} from "../protocol/index.js";
import { fileRoutes } from "./file-routes.js";
import { isOwnOrigin, publicOrigin } from "./request-origin.js";
import { StaticFiles } from "./static-files.js";
import { TUS_PATH, tusRoutes } from "./tus-routes.js";
import type { WsGateway } from "./ws-gateway.js";

export interface HttpDeps {
  ctx: ChatContext;
  gateway: WsGateway;
  metrics: Metrics;
  maxHttpBodyBytes: number;
  /** The login limits: per address, per account and per credential (docs/security.md). */
  limits: LoginLimits;
  /** Resolves when the store and bus answer; rejects otherwise. */
  ready(): Promise<void>;
  /** The built web client's folder; default `dist/web` of this package. */
  webRoot?: string;
  /** What the web client learns at load (where the status page lives); none: the client's defaults. */
  webSettings?: WebSettings;
  /** The ops API (`/api/v1/ops/…`) when this node runs the control tower; errors are thrown as HaetaeError. */
  opsRoutes?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  /** The public status page's routes (`/status…`, `/status.json`, `/summary.json`), tried first. */
  statusRoutes?: StatusRoutes;
  /** Where login outcomes feed the `login` indicator. */
  traffic?: TrafficSli;
  /** `publicUrl`: the origin browsers reach this server at, when it is not the request's own (a TLS proxy). */
  publicUrl?: string;
  /** Where unfinished resumable (tus) uploads wait; the data folder's `files/tus`. */
  tusDirectory?: string;
  /** Uploads one user may start per minute (default 120). */
  uploadsPerMinute?: number;
}

/** `loginsPerMinutePerIp`: attempts one client address may make per minute (brute force, signup floods); the rest for `loginThrottle`. */
export type LoginLimits = Pick<
  Config,
  | "loginsPerMinutePerIp"
  | "loginFailuresPerAccount"
  | "loginFailuresPerKey"
  | "loginFailureWindowMs"
  | "loginBackoffBaseMs"
  | "loginBackoffMaxMs"
  | "trustedProxies"
  | "ipConnectionsPerSecond"
  | "ipConnectionBurst"
>;

/** This node's failed-login backoff per account and per credential (a device key, a session). */
export function loginThrottle(limits: LoginLimits): LoginThrottle {
  const backoff = (freeFailures: number) =>
    new LoginBackoff({
      freeFailures,
      windowMs: limits.loginFailureWindowMs,
      baseMs: limits.loginBackoffBaseMs,
      maxMs: limits.loginBackoffMaxMs,
    });
  return { accounts: backoff(limits.loginFailuresPerAccount), credentials: backoff(limits.loginFailuresPerKey) };
}

export const WS_PATH = "/api/v1/ws";

/** What a chat API route is called with. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

/** WebSocket tickets per device: a burst of this many, then this many a second. */
const TICKET_BURST_PER_DEVICE = 20;
const TICKETS_PER_SECOND_PER_DEVICE = 2;

/** Methods that change nothing, so any page may send them (and browsers send them without Origin). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Build the HTTP server; `listen` is the caller's. */
export function createHttpServer(deps: HttpDeps): Server {
  const { ctx } = deps;
  const perMinute = deps.limits.loginsPerMinutePerIp;
  const attempts = new AddressLimiter(perMinute / 60, perMinute);
  // Each ticket is a store write in the messages' write lane: a device gets a reconnecting
  // client's share (a burst, then a steady few a second), never a flood of them.
  const ticketsByDevice = new AddressLimiter(TICKETS_PER_SECOND_PER_DEVICE, TICKET_BURST_PER_DEVICE);
  const proxies = new TrustedProxies(deps.limits.trustedProxies);
  const throttle = loginThrottle(deps.limits);
  // A ticket is one store write and opens one session: an address gets tickets at the pace it may
  // open sessions (`ipConnectionsPerSecond`), so a valid token cannot turn into a stream of writes.
  const ticketsByAddress = new AddressLimiter(deps.limits.ipConnectionsPerSecond, deps.limits.ipConnectionBurst);
  const limitByAddress = (req: IncomingMessage) => {
    const wait = attempts.take(addressLimitKey(proxies.clientAddress(req)));
    if (wait > 0) throw new HaetaeError("rate_limited", "Too many attempts from this address; retry later.", wait);
  };
  const parseBody = async <T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.output<T>> => {
    const body = schema.safeParse(await readJson(req, deps.maxHttpBodyBytes));
    if (!body.success) throw new HaetaeError("invalid_request", describeIssue(body.error));
    return body.data;
  };
  const web = new StaticFiles(deps.webRoot, deps.webSettings);
  const files = fileRoutes(ctx, deps.uploadsPerMinute ?? 120, deps.traffic);
  const tus = tusRoutes(ctx, deps.tusDirectory ?? join(tmpdir(), "haetae-tus"), deps.traffic);
  const ownOrigin = publicOrigin(deps.publicUrl ?? "");
  const routes = new Router<Exchange, Promise<void>>()
    .on("GET", "/healthz", async ({ res }) => sendJson(res, 200, { status: "ok" }))
    .on("GET", "/readyz", async ({ res }) => {
      try {
        await deps.ready();
        sendJson(res, 200, { status: "ready" });
      } catch (error) {
        sendJson(res, 503, { status: "unavailable", reason: (error as Error).message });
      }
    })
    .on("GET", "/metrics", async ({ res }) => {
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { "content-type": deps.metrics.registry.contentType });
      res.end(text);
    })
    .on("POST", "/api/v1/auth/register", async ({ req, res }) => {
      limitByAddress(req);
      sendJson(res, 201, await register(ctx, await parseBody(req, registerBody)));
    })
    .on("POST", "/api/v1/auth/login", async ({ req, res }) => {
      limitByAddress(req);
      const body = await parseBody(req, loginBody);
      const started = performance.now();
      let reply: Awaited<ReturnType<typeof login>>;
      try {
        reply = await login(ctx, body, throttle);
      } catch (error) {
        const code = errorAnswer(error).error.code;
        deps.traffic?.login(body.username, code, performance.now() - started);
        // One line an operator (or fail2ban) can act on, never a stack: a wrong password is
        // expected. Each costs a password hash and the address is rate-limited, so they stay few.
        if (code === "invalid_credentials") {
          console.warn(
            `haetae: login refused (invalid_credentials) for ${JSON.stringify(body.username)} from ${proxies.clientAddress(req)}`,
          );
        }
        throw error;
      }
      deps.traffic?.login(body.username, "ok", performance.now() - started, reply.user.id);
      sendJson(res, 200, reply);
    })
    .on("POST", "/api/v1/auth/ws-ticket", async ({ req, res }) => {
      const refusal = deps.gateway.ticketRefusal();
      if (refusal) throw refusal;
      const addressWait = ticketsByAddress.take(addressLimitKey(proxies.clientAddress(req)));
      if (addressWait > 0) {
        throw new HaetaeError("rate_limited", "Too many tickets for this address; retry later.", addressWait);
      }
      const { device } = await authenticate(ctx, bearer(req));
      const deviceWait = ticketsByDevice.take(device.id);
      if (deviceWait > 0) {
        throw new HaetaeError("rate_limited", "Too many tickets for this device; retry later.", deviceWait);
      }
      sendJson(res, 200, await issueWsTicket(ctx, device.id));
    })
    .on("POST", "/api/v1/auth/password", async ({ req, res }) => {
      const { user, device } = await authenticate(ctx, bearer(req));
      limitByAddress(req);
      const body = await parseBody(req, passwordChangeBody);
      sendJson(res, 200, await changePassword(ctx, user, device.id, body, throttle));
    })
    .on("POST", "/api/v1/auth/password/reset", async ({ req, res }) => {
      limitByAddress(req);
      sendJson(res, 200, await redeemPasswordReset(ctx, await parseBody(req, passwordResetBody), throttle));
    })
    .on("GET", "/api/v1/account/export", async ({ req, res }) => {
      const { user } = await authenticate(ctx, bearer(req));
      limitByAddress(req);
      res.setHeader("content-disposition", 'attachment; filename="haetae-export.json"');
      sendJson(res, 200, await exportAccount(ctx, user));
    })
    .on("POST", "/api/v1/auth/logout", async ({ req, res }) => {
      const { user, device } = await authenticate(ctx, bearer(req));
      await revokeDevice(ctx, user.id, device.id);
      sendJson(res, 200, {});
    })
    // Before the file routes: `/api/v1/files/tus` is not a file id.
    .on("*", TUS_PATH, async ({ req, res }) => tus(req, res))
    .on("*", `${TUS_PATH}/:uploadId`, async ({ req, res }) => tus(req, res))
    .on("POST", "/api/v1/files", async ({ req, res }) => files.upload(req, res))
    .on(["GET", "HEAD"], "/api/v1/files/:id", async ({ req, res }, { id }) => files.download(req, res, id, false))
    .on(["GET", "HEAD"], "/api/v1/files/:id/thumbnail", async ({ req, res }, { id }) =>
      files.download(req, res, id, true),
    )
    .on(["GET", "HEAD"], "/api/v1/previews/:id/image", async ({ req, res }, { id }) =>
      files.previewImage(req, res, id),
    );

  const server = createServer(async (req, res) => {
    const path = pathOf(req.url);
    // The file routes decode their id: a malformed escape is answered, never thrown out of here.
    let route: ReturnType<typeof routes.match>;
    try {
      route = routes.match(req.method ?? "GET", path);
    } catch (error) {
      return sendThrown(res, error, `HTTP ${req.method} ${path}`);
    }
    res.on("finish", () => {
      deps.metrics.httpRequests.inc({ route: route.pattern ?? "other", status: String(res.statusCode) });
    });
    // Before any route reads a body: what another site's page asks a browser to change is not done.
    if (!SAFE_METHODS.has(req.method ?? "GET") && !isOwnOrigin(req, ownOrigin)) {
      return sendError(res, "origin_not_allowed");
    }
    // The status page answers from memory, before anything that could touch the chat store.
    if (deps.statusRoutes && (await deps.statusRoutes(req, res, path))) return;
    try {
      if (deps.opsRoutes && path.startsWith("/api/v1/ops/")) return await deps.opsRoutes(req, res, path);
      if ("miss" in route) {
        // Everything that is not the API is the web client (its files, or index.html for its routes).
        const isRead = req.method === "GET" || req.method === "HEAD";
        if (route.miss === "route_not_found" && isRead && !path.startsWith("/api/")) {
          return await web.serve(req, res, path);
        }
        return sendError(res, route.miss);
      }
      await route.handler({ req, res }, route.params);
    } catch (error) {
      sendThrown(res, error, `HTTP ${req.method} ${path}`);
    }
  });

  server.on("upgrade", (req, socket, head) => {
    const path = pathOf(req.url);
    if (path !== WS_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    deps.gateway.handleUpgrade(req, socket, head).catch((error: unknown) => {
      console.error("upgrade failed:", error);
      socket.destroy();
    });
  });
  server.on("clientError", answerClientError);
  server.on("close", () => tus.close());
  return server;
}
