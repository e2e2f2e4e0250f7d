/** @module What a node logs for expected failures (a wrong password, a bad or cut-off request, a rate-limited login): one line at most, never a stack; an unexpected failure still logs its stack. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { sendThrown } from "../../src/http/answers.js";
import { freePort, type ServerChild, startServe } from "../child-server.js";

/** A line of a printed stack trace, as Node writes it. */
const STACK_LINE = /^\s+at /m;

async function post(url: string, body: string, type = "application/json") {
  const res = await fetch(url, { method: "POST", headers: { "content-type": type }, body });
  return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
}

/** Send a request head that promises more body than follows, then hang up. */
function cutOffBody(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
      );
      setTimeout(() => socket.destroy(), 200);
    });
    socket.once("close", () => resolve());
    socket.once("error", () => resolve());
  });
}

describe("a node's log for expected failures", () => {
  let node: ServerChild;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "haetae-log-"));
    node = await startServe({
      port: await freePort(),
      dataDir,
      // Eight sign-ups and logins a minute per address: the loop below runs past it.
      flags: ["--scrypt-log-n", "10", "--logins-per-minute-per-ip", "8", "--probe-interval-ms", "0"],
      env: { NODE_ENV: "test" },
    });
  });
  afterAll(async () => {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("logs a wrong password as one line with the address, and nothing else with a stack", async () => {
    const api = `${node.url}/api/v1/auth`;
    const registered = await post(
      `${api}/register`,
      JSON.stringify({ username: "loggeduser", password: "correct horse battery" }),
    );
    expect(registered.status).toBe(201);
    const before = node.output().length;

    const wrong = await post(`${api}/login`, JSON.stringify({ username: "loggeduser", password: "wrong password" }));
    expect(wrong.json.error?.code).toBe("invalid_credentials");
    const unknown = await post(
      `${api}/login`,
      JSON.stringify({ username: "nobody\nat x", password: "wrong password" }),
    );
    expect(unknown.json.error?.code).toBe("invalid_credentials");
    // Invalid requests of every kind.
    expect((await post(`${api}/login`, '{"username":')).json.error?.code).toBe("invalid_json");
    expect((await post(`${api}/login`, "x", "text/plain")).json.error?.code).toBe("unsupported_media_type");
    expect((await post(`${api}/login`, "{}")).json.error?.code).toBe("invalid_request");
    expect((await post(`${node.url}/api/v1/nothing-here`, "{}")).status).toBe(404);
    await cutOffBody(node.port);
    // The per-address limit: seven or eight of the eight were spent above.
    let limited = 0;
    for (let i = 0; i < 3; i++) {
      const res = await post(`${api}/login`, JSON.stringify({ username: "loggeduser", password: "wrong again" }));
      if (res.json.error?.code === "rate_limited") limited += 1;
    }
    expect(limited).toBeGreaterThan(0);
    // A WebSocket with a token nobody issued, and one that sends garbage after a refusal.
    const ws = new WebSocket(`${node.wsUrl}`, { headers: { authorization: "Bearer not-a-token" } });
    await new Promise<void>((resolve) => ws.once("close", () => resolve()));
    // A moment for anything the server would print late.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const log = node.output().slice(before);
    expect(log, log).not.toMatch(STACK_LINE);
    const refusals = log.split("\n").filter((line) => line.includes("login refused"));
    // One line per wrong password (the rate-limited ones are not logged), naming the account and address.
    expect(refusals.length, log).toBeGreaterThanOrEqual(2);
    expect(refusals.length, log).toBeLessThanOrEqual(3);
    expect(refusals[0]).toBe('haetae: login refused (invalid_credentials) for "loggeduser" from 127.0.0.1');
    // A name with a line break stays on one line (no forged log lines).
    expect(refusals[1]).toBe('haetae: login refused (invalid_credentials) for "nobody\\nat x" from 127.0.0.1');
    expect(node.hasExited()).toBe(false);
  });
});

describe("an unexpected failure", () => {
  let server: Server;

  beforeAll(async () => {
    server = createServer((_req, res) => sendThrown(res, new TypeError("a bug"), "test route"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("is answered 500 internal and logged with its stack", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(500);
      expect(logged).toHaveBeenCalledTimes(1);
      const [what, thrown] = logged.mock.calls[0] as [string, Error];
      expect(what).toBe("test route failed:");
      expect(thrown.stack).toMatch(STACK_LINE);
    } finally {
      logged.mockRestore();
    }
  });
});
