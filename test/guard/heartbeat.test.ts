/**
 * The heartbeat, spread over slices of `heartbeatMs`: every client is still pinged once a round,
 * a client that stops answering is cut within two rounds, and one that answers stays.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { RawClient, registerUser, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ heartbeatMs: 300 });
});
afterAll(() => server.stop());

it("pings each client once a round and cuts the one that stops answering", async () => {
  const me = await registerUser(server.url, "beat");
  const answering = await RawClient.connect(server.wsUrl, me.token);
  let pings = 0;
  answering.ws.on("ping", () => {
    pings += 1;
  });
  // A client whose pongs never leave: it reads frames but no longer answers pings.
  const silent = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${me.token}` }, autoPong: false });
  const cut = new Promise<number>((resolve) => silent.once("close", (code) => resolve(code)));
  await new Promise((resolve) => silent.once("open", resolve));
  const openedAt = Date.now();

  expect(await cut).toBe(1006); // terminated, not closed politely
  expect(Date.now() - openedAt).toBeLessThan(1500); // within two rounds and a slice or two

  const counted = pings;
  const since = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const rounds = (Date.now() - since) / 300;
  expect(pings - counted).toBeGreaterThanOrEqual(Math.floor(rounds) - 1);
  expect(pings - counted).toBeLessThanOrEqual(Math.ceil(rounds) + 1);
  expect(answering.closeCode).toBeUndefined();
  await answering.close();
});
