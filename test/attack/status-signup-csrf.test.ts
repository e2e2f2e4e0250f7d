/**
 * Attack: sign-ups laundered through visitors' browsers. The status port took a sign-up from any
 * page on any site: a `text/plain` POST needs no preflight, and the per-address sign-up
 * limit then counted each visitor's address, not the attacker's. A page with many visitors could
 * spend the overall sign-up rate (and the per-host confirmation share of any target) from
 * thousands of addresses it does not own. The chat port refuses such requests (Origin, and a
 * JSON body type); the status port read any body as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../child-server.js";
import { startTestServer, type TestServer } from "../harness.js";
import { MemoryTower } from "../ops/memory-tower.js";

let server: TestServer;
let statusBase: string;
beforeAll(async () => {
  server = await startTestServer({
    statusPort: await freePort(),
    staffChatConversation: "",
    subscriberPrivateUrls: true,
  });
  server.app.propagation.attach(new MemoryTower(server.url));
  statusBase = `http://127.0.0.1:${server.app.propagation.statusPort}`;
});
afterAll(() => server.stop());

describe("a sign-up sent by another site's page", () => {
  it("is refused on the status port unless its body is declared JSON, which another site cannot send without a preflight", async () => {
    const target = JSON.stringify({ url: "http://127.0.0.1:9/hook" });
    const crossSite = await fetch(`${statusBase}/status/subscribers`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
      body: target,
    });
    expect(crossSite.status).toBe(415);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    // A JSON body from another site needs a preflight, which the status port never grants.
    const preflight = await fetch(`${statusBase}/status/subscribers`, {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-headers")).toBeNull();
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    // A client that is not a browser page elsewhere still signs up.
    const plain = await fetch(`${statusBase}/status/subscribers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: target,
    });
    expect(plain.status).toBe(202);
  });
});
