/** @module The bus URL's syntax: one NATS server or a cluster's list, and the prefix. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { parseNatsUrl } from "./nats-url.js";

describe("parseNatsUrl", () => {
  it("takes one server or a comma-separated list, 4222 when no port is given", () => {
    expect(parseNatsUrl("nats://127.0.0.1:4222")).toEqual({ servers: ["127.0.0.1:4222"], prefix: "haetae" });
    expect(parseNatsUrl("nats://n1:4301,n2,[::1]:4303?prefix=t_1")).toEqual({
      servers: ["n1:4301", "n2:4222", "[::1]:4303"],
      prefix: "t_1",
    });
  });

  it("refuses a bad entry or prefix, naming it, and so does the config", () => {
    expect(() => parseNatsUrl("nats://n1,,n2")).toThrow(/"" is not a host/);
    expect(() => parseNatsUrl("nats://n1:42x")).toThrow(/"n1:42x"/);
    expect(() => parseNatsUrl("nats://n1?prefix=a.b")).toThrow(/prefix/);
    expect(() => loadConfig(["--bus", "nats://n1,,n2"], {})).toThrow(/bus \(from flag --bus\)/);
    expect(loadConfig(["--bus", "nats://n1:4222,n2:4222"], {}).bus).toBe("nats://n1:4222,n2:4222");
  });
});
