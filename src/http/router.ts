/** @module One router for every HTTP API: a method and a path pattern (`/incidents/:id/log`) to a handler, with the pattern's parameters typed. */
import { HaetaeError } from "../protocol/index.js";

/** The methods a route may answer. */
export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/**
 * The parameters a pattern names: `:name` is one non-empty segment, `*name` (last only) is the
 * rest of the path, slashes included, possibly empty. `/incidents/:id/follow-ups/:followUpId`
 * gives `{ id: string; followUpId: string }`.
 */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : P extends `${string}*${infer Name}`
      ? { [K in Name]: string }
      : Record<never, string>;

/** A handler: what it is called with (`call`), and the parameters its pattern named. */
export type RouteHandler<C, R, P extends string> = (call: C, params: PathParams<P>) => R;

/** A request the router has a route for: the route's pattern (a metrics label), handler and decoded parameters. */
export interface RouteMatch<C, R> {
  pattern: string;
  params: Record<string, string>;
  handler: (call: C, params: Record<string, string>) => R;
}

/** A request it has none for: the catalogue code to answer, and the pattern its path matched (under another method), if any. */
export interface RouteMiss {
  miss: "route_not_found" | "method_not_allowed";
  pattern: string | undefined;
}

interface Route<C, R> {
  methods: ReadonlySet<string> | "any";
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: (call: C, params: Record<string, string>) => R;
}

/**
 * How a parameter's percent-escapes are decoded. The default refuses malformed escapes with
 * `invalid_request`; a caller that answers them otherwise (a page that shows "not found") passes
 * its own.
 */
export type ParamDecoder = (raw: string, name: string) => string;

/** Decode a parameter, refusing malformed percent-encoding with `invalid_request` (never a crash). */
export const strictDecode: ParamDecoder = (raw, name) => {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HaetaeError("invalid_request", `The ${name} in the path is not valid percent-encoding.`);
  }
};

/** `/a/:id/*rest` → a regex with one group per name; every other character matched as itself. */
function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern.replace(/:(\w+)|\*(\w+)$|[.*+?^${}()|[\]\\]/g, (token, param?: string, rest?: string) => {
    if (param) {
      names.push(param);
      return "([^/]+)";
    }
    if (rest) {
      names.push(rest);
      return "(.*)";
    }
    return `\\${token}`;
  });
  return { regex: new RegExp(`^${source}$`), names };
}

/**
 * Routes tried in the order they were added; the first whose pattern and method match wins.
 * A path some route matches with another method is `method_not_allowed` (405), a path none
 * matches `route_not_found` (404). Paths match exactly: no trailing-slash or case folding, and
 * HEAD is answered only where a route names it.
 */
export class Router<C, R> {
  private readonly routes: Route<C, R>[] = [];

  constructor(private readonly decode: ParamDecoder = strictDecode) {}

  /** Add a route; `"*"` answers every method (a handler that checks the method itself). */
  on<P extends string>(methods: Method | readonly Method[] | "*", pattern: P, handler: RouteHandler<C, R, P>): this {
    const list = typeof methods === "string" ? [methods] : methods;
    this.routes.push({
      methods: methods === "*" ? "any" : new Set(list),
      pattern,
      ...compile(pattern),
      handler: handler as (call: C, params: Record<string, string>) => R,
    });
    return this;
  }

  /**
   * The route for this request, or why there is none. The parameters are decoded here, so the
   * router's decoder may throw (the default does, `invalid_request`, on malformed escapes).
   */
  match(method: string, path: string): RouteMatch<C, R> | RouteMiss {
    let known: string | undefined;
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (!found) continue;
      known ??= route.pattern;
      if (route.methods !== "any" && !route.methods.has(method)) continue;
      const params: Record<string, string> = {};
      for (const [i, name] of route.names.entries()) params[name] = this.decode(found[i + 1] ?? "", name);
      return { pattern: route.pattern, params, handler: route.handler };
    }
    return { miss: known === undefined ? "route_not_found" : "method_not_allowed", pattern: known };
  }
}
