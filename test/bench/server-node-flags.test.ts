/** @module The flags and environment benchmarks start servers with are the ones `bin/haetae.js` runs with. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_ENV, SERVER_NODE_FLAGS, serverEnv } from "../../bench/server-node-flags.js";

describe("server node flags", () => {
  it("are on the first line of bin/haetae.js, which runs node through env -S", () => {
    const shebang = readFileSync(new URL("../../bin/haetae.js", import.meta.url), "utf8").split("\n")[0];
    const env = Object.entries(SERVER_NODE_ENV).map(([name, value]) => `${name}=${value} `);
    expect(shebang).toBe(`#!/usr/bin/env -S ${env.join("")}node ${SERVER_NODE_FLAGS.join(" ")}`);
  });

  it("serverEnv adds the environment, and an override sets or removes a name", () => {
    expect(serverEnv().MALLOC_ARENA_MAX).toBe("1");
    expect(serverEnv(["MALLOC_ARENA_MAX=2"]).MALLOC_ARENA_MAX).toBe("2");
    expect("MALLOC_ARENA_MAX" in serverEnv(["MALLOC_ARENA_MAX="])).toBe(false);
    expect(() => serverEnv(["oops"])).toThrow(/NAME=VALUE/);
  });
});
