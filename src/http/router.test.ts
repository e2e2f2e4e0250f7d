/** @module The router: patterns to typed parameters, first match wins, 404 for an unknown path and 405 for a known one under another method. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { HaetaeError } from "../protocol/index.js";
import { type PathParams, Router } from "./router.js";

/** A router whose handlers return what they were called with, to see which one ran. */
function opsLike() {
  return new Router<string, string>()
    .on("GET", "/incidents", () => "list")
    .on("POST", "/incidents", () => "declare")
    .on("GET", "/incidents/:id", (_c, p) => `get ${p.id}`)
    .on("PATCH", "/incidents/:id/follow-ups/:followUpId", (_c, p) => `patch ${p.id} ${p.followUpId}`)
    .on(["GET", "HEAD"], "/status.json", () => "document")
    .on("*", "/status/subscribers/*rest", (_c, p) => `rest ${JSON.stringify(p.rest)}`);
}

function run(router: Router<string, string>, method: string, path: string): string {
  const found = router.match(method, path);
  return "miss" in found ? found.miss : found.handler("call", found.params);
}

describe("router", () => {
  it("types a pattern's parameters", () => {
    expectTypeOf<PathParams<"/incidents/:id/follow-ups/:followUpId">>().toEqualTypeOf<
      { id: string } & { followUpId: string }
    >();
    expectTypeOf<PathParams<"/status/incidents/*id">>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<PathParams<"/healthz">>().toEqualTypeOf<Record<never, string>>();
  });

  it("gives each pattern's parameters, decoded, to its handler", () => {
    const router = opsLike();
    expect(run(router, "GET", "/incidents")).toBe("list");
    expect(run(router, "POST", "/incidents")).toBe("declare");
    expect(run(router, "GET", "/incidents/inc%201")).toBe("get inc 1");
    expect(run(router, "PATCH", "/incidents/i1/follow-ups/f2")).toBe("patch i1 f2");
    expect(router.match("PATCH", "/incidents/i1/follow-ups/f2")).toMatchObject({
      pattern: "/incidents/:id/follow-ups/:followUpId",
    });
  });

  it("answers route_not_found for an unknown path and method_not_allowed for a known one, as the APIs did", () => {
    const router = opsLike();
    expect(run(router, "DELETE", "/incidents")).toBe("method_not_allowed");
    expect(router.match("DELETE", "/incidents/x")).toEqual({ miss: "method_not_allowed", pattern: "/incidents/:id" });
    expect(router.match("GET", "/nothing")).toEqual({ miss: "route_not_found", pattern: undefined });
    // A parameter is one non-empty segment; paths match exactly (no trailing slash, no case folding, no HEAD for GET).
    expect(run(router, "GET", "/incidents/")).toBe("route_not_found");
    expect(run(router, "GET", "/incidents/a/b")).toBe("route_not_found");
    expect(run(router, "GET", "/Incidents")).toBe("route_not_found");
    expect(run(router, "HEAD", "/incidents")).toBe("method_not_allowed");
    expect(run(router, "HEAD", "/status.json")).toBe("document");
    // Characters of a pattern are themselves, not regex syntax.
    expect(run(router, "GET", "/statusxjson")).toBe("route_not_found");
  });

  it("gives a rest parameter everything after its prefix, slashes included, empty too, for any method", () => {
    const router = opsLike();
    expect(run(router, "DELETE", "/status/subscribers/s1/confirm")).toBe('rest "s1/confirm"');
    expect(run(router, "PUT", "/status/subscribers/")).toBe('rest ""');
    expect(run(router, "GET", "/status/subscribers")).toBe("route_not_found");
  });

  it("refuses malformed percent-encoding with invalid_request, or decodes it as the router's decoder says", () => {
    expect(() => opsLike().match("GET", "/incidents/%E0%A4%A")).toThrow(
      new HaetaeError("invalid_request", "The id in the path is not valid percent-encoding."),
    );
    const lenient = new Router<void, string>((raw) => {
      try {
        return decodeURIComponent(raw);
      } catch {
        return "";
      }
    }).on("GET", "/status/incidents/*id", (_c, p) => p.id);
    const found = lenient.match("GET", "/status/incidents/%E0%A4%A");
    expect("miss" in found ? found.miss : found.params).toEqual({ id: "" });
  });
});
