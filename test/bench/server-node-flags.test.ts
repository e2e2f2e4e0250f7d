/** @module The flags benchmarks start servers with are the ones `bin/haetae.js` runs with. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "../../bench/server-node-flags.js";

describe("server node flags", () => {
  it("are on the first line of bin/haetae.js, which runs node through env -S", () => {
    const shebang = readFileSync(new URL("../../bin/haetae.js", import.meta.url), "utf8").split("\n")[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(" ")}`);
  });
});
