/** @module The HTTP API: auth, health, readiness and metrics; the web client; hands WebSocket upgrades to the gateway. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { z } from "zod";
import { authenticate, type LoginThrottle, login, register, revokeDevice } from "../chat/accounts.js";
import type { ChatContext } from "../chat/context.js";
import { changePassword, redeemPasswordReset } from "../chat/passwords.js";
import { issueWsTicket } from "../chat/ws-tickets.js";
import type { Config } from "../config/config.js";
import { AddressLimiter } from "../guard/address-limiter.js";
import { addressLimitKey, TrustedProxies } from "../guard/client-address.js";
import { LoginBackoff } from "../guard/login-backoff.js";
import type { Metrics } from "../ops/metrics.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import type { StatusRoutes } from "../ops/status/status-routes.js";
import {
  describeIssue,
  ERRORS,
  type ErrorCode,
  HaetaeError,
  loginBody,
  passwordChangeBody,
  passwordResetBody,
  registerBody,
} from "../protocol/index.js";
import { errorAnswer } from "./error-answer.js";
import { checkJsonBody, isOwnOrigin, publicOrigin } from "./request-origin.js";
import { StaticFiles } from "./static-files.js";
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
  /** The ops API (`/api/v1/ops/…`) when this node runs the control tower; errors are thrown as HaetaeError. */
  opsRoutes?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  /** The public status page's routes (`/status…`, `/status.json`, `/summary.json`), tried first. */
  statusRoutes?: StatusRoutes;
  /** Where login outcomes feed the `login` indicator. */
  traffic?: TrafficSli;
  /** `publicUrl`: the origin browsers reach this server at, when it is not the request's own (a TLS proxy). */
  publicUrl?: string;
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

/** Send a JSON reply with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, code: ErrorCode, message?: string, retryAfterMs?: number): void {
  const error: Record<string, unknown> = { code, message: message ?? ERRORS[code].message };
  if (retryAfterMs !== undefined) {
    error.retryAfterMs = retryAfterMs;
    res.setHeader("retry-after", Math.ceil(retryAfterMs / 1000));
  }
  sendJson(res, ERRORS[code].status, { error });
}

/** Read a JSON body of at most `limit` bytes, declared as `application/json` (`unsupported_media_type` otherwise). */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  checkJsonBody(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HaetaeError("frame_too_large", `The body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HaetaeError("invalid_json");
  }
}

/**
 * The path of a request target, without parsing it as a URL: `new URL("//", base)` throws, and
 * a request line must never be able to crash the process.
 */
export function pathOf(target: string | undefined): string {
  const path = (target ?? "/").split("?")[0] ?? "/";
  return path.startsWith("/") ? path : `/${path}`;
}

/** The token of an `Authorization: Bearer` header. */
export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

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
  const web = new StaticFiles(deps.webRoot);
  const ownOrigin = publicOrigin(deps.publicUrl ?? "");
  const routes: Record<string, Partial<Record<string, Route>>> = {
    "/healthz": { GET: async (_req, res) => sendJson(res, 200, { status: "ok" }) },
    "/readyz": {
      GET: async (_req, res) => {
        try {
          await deps.ready();
          sendJson(res, 200, { status: "ready" });
        } catch (error) {
          sendJson(res, 503, { status: "unavailable", reason: (error as Error).message });
        }
      },
    },
    "/metrics": {
      GET: async (_req, res) => {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { "content-type": deps.metrics.registry.contentType });
        res.end(text);
      },
    },
    "/api/v1/auth/register": {
      POST: async (req, res) => {
        limitByAddress(req);
        sendJson(res, 201, await register(ctx, await parseBody(req, registerBody)));
      },
    },
    "/api/v1/auth/login": {
      POST: async (req, res) => {
        limitByAddress(req);
        const body = await parseBody(req, loginBody);
        const started = performance.now();
        let reply: Awaited<ReturnType<typeof login>>;
        try {
          reply = await login(ctx, body, throttle);
        } catch (error) {
          const code = errorAnswer(error).error.code;
          deps.traffic?.login(body.username, code, performance.now() - started);
          throw error;
        }
        deps.traffic?.login(body.username, "ok", performance.now() - started, reply.user.id);
        sendJson(res, 200, reply);
      },
    },
    "/api/v1/auth/ws-ticket": {
      POST: async (req, res) => {
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
      },
    },
    "/api/v1/auth/password": {
      POST: async (req, res) => {
        const { user, device } = await authenticate(ctx, bearer(req));
        limitByAddress(req);
        const body = await parseBody(req, passwordChangeBody);
        sendJson(res, 200, await changePassword(ctx, user, device.id, body, throttle));
      },
    },
    "/api/v1/auth/password/reset": {
      POST: async (req, res) => {
        limitByAddress(req);
        sendJson(res, 200, await redeemPasswordReset(ctx, await parseBody(req, passwordResetBody), throttle));
      },
    },
    "/api/v1/auth/logout": {
      POST: async (req, res) => {
        const { user, device } = await authenticate(ctx, bearer(req));
        await revokeDevice(ctx, user.id, device.id);
        sendJson(res, 200, {});
      },
    },
  };

  const server = createServer(async (req, res) => {
    const path = pathOf(req.url);
    const methods = routes[path];
    const route = methods?.[req.method ?? "GET"];
    let status = 200;
    res.on("finish", () => {
      status = res.statusCode;
      deps.metrics.httpRequests.inc({ route: methods ? path : "other", status: String(status) });
    });
    // Before any route reads a body: what another site's page asks a browser to change is not done.
    if (!SAFE_METHODS.has(req.method ?? "GET") && !isOwnOrigin(req, ownOrigin)) {
      return sendError(res, "origin_not_allowed");
    }
    // The status page answers from memory, before anything that could touch the chat store.
    if (deps.statusRoutes && (await deps.statusRoutes(req, res, path))) return;
    try {
      if (deps.opsRoutes && path.startsWith("/api/v1/ops/")) return await deps.opsRoutes(req, res, path);
      if (!methods) {
        // Everything that is not the API is the web client (its files, or index.html for its routes).
        const isRead = req.method === "GET" || req.method === "HEAD";
        if (isRead && !path.startsWith("/api/")) return await web.serve(req, res, path);
        return sendError(res, "route_not_found");
      }
      if (!route) return sendError(res, "method_not_allowed");
      await route(req, res);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      const answer = errorAnswer(error);
      if (answer.unexpected) console.error(`HTTP ${req.method} ${path} failed:`, error);
      sendError(res, answer.error.code, answer.error.message, answer.error.retryAfterMs);
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
  return server;
}

/**
 * A request Node's parser refuses never reaches a route; it still gets a catalogue error body,
 * like every other error (it was an empty 400, even for headers past Node's size limit).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
  const code: ErrorCode = error.code === "HPE_HEADER_OVERFLOW" ? "headers_too_large" : "invalid_request";
  const message = code === "invalid_request" ? "The request is not valid HTTP." : ERRORS[code].message;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${ERRORS[code].status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
