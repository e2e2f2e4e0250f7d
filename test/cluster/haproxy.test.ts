/**
 * The load-balancer example of docs/scale-out.md, run for real: HAProxy with deploy/haproxy.cfg
 * in front of two nodes; clients know only HAProxy's address. A node is killed; its clients
 * come back through HAProxy to the survivor and lose nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { type Child, freePort, startChild } from "../child-server.js";
import { type Cluster, eventually, fullHistory, RecordingClient, registerOn, startCluster } from "./cluster.js";

const HAPROXY = "/usr/sbin/haproxy";
const dir = mkdtempSync(join(tmpdir(), "haetae-haproxy-"));
let haproxy: Child | undefined;
let cluster: Cluster | undefined;
const clients: RecordingClient[] = [];
afterAll(async () => {
  for (const c of clients) c.client.close();
  await haproxy?.kill();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("balances two nodes and moves clients to the survivor when one dies", async () => {
  // Fails, not skips, where HAProxy is missing: .ci/run installs it.
  expect(existsSync(HAPROXY), `${HAPROXY} is missing: apt-get install -y haproxy`).toBe(true);
  cluster = await startCluster(2);
  const port = await freePort();
  const config = readFileSync(new URL("../../deploy/haproxy.cfg", import.meta.url), "utf8")
    .replace("BIND_ADDRESS", `127.0.0.1:${port}`)
    .replace("SERVER_LINES", cluster.ports.map((p, i) => `    server node${i} 127.0.0.1:${p} check`).join("\n"));
  const file = join(dir, "haproxy.cfg");
  writeFileSync(file, config);
  const front = `http://127.0.0.1:${port}`;
  haproxy = await startChild({
    name: "HAProxy",
    command: HAPROXY,
    args: ["-f", file, "-db"],
    ready: { url: `${front}/readyz` },
    timeoutMs: 10_000,
  });

  const users = await Promise.all([0, 1, 2, 3].map((i) => registerOn(front, `lb${i}`)));
  for (const u of users) clients.push(new RecordingClient([front], u.token));
  await Promise.all(clients.map((c) => c.client.connect()));
  const first = clients[0] as RecordingClient;
  // Contacts of the first user, so the group takes them at once.
  await Promise.all(clients.slice(1).map((c) => c.client.request("contact.add", { userId: users[0]?.userId ?? "" })));
  const group = (
    await first.client.request("conversation.create", { kind: "group", memberIds: users.slice(1).map((u) => u.userId) })
  ).conversation.id;
  const sends: Promise<Message>[] = [];
  for (let i = 0; i < 10; i++)
    for (const [k, c] of clients.entries()) sends.push(c.client.send(group, `before ${k}.${i}`));
  await Promise.all(sends);

  await cluster.nodes[0]?.kill();
  for (let i = 0; i < 10; i++)
    for (const [k, c] of clients.entries()) sends.push(c.client.send(group, `after ${k}.${i}`));
  await Promise.all(sends);

  const history = await fullHistory(first.client, group);
  expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  await eventually(() => {
    for (const c of clients) expect(c.seqs(group)).toEqual(history.map((m) => m.seq));
  });
}, 90_000);
