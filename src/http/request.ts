/** @module What a request says about itself that every route needs: the path of its target, its query, its bearer token. */
import type { IncomingMessage } from "node:http";

/**
 * The path of a request target, without parsing it as a URL: `new URL("//", base)` throws, and
 * a request line must never be able to crash the process.
 */
export function pathOf(target: string | undefined): string {
  const path = (target ?? "/").split("?")[0] ?? "/";
  return path.startsWith("/") ? path : `/${path}`;
}

/** The query of a request target (empty when it has none). */
export function queryOf(target: string | undefined): URLSearchParams {
  return new URLSearchParams(target?.split("?")[1] ?? "");
}

/** The token of an `Authorization: Bearer` header. */
export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
}
