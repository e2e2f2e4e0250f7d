/** @module deploy/nginx/haetae.conf run for real: nginx in front of three nodes; each client's own address reaches the nodes; a node killed, its clients back within 2 s, every status path routed to the tower node. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { STATUS_DOCUMENT_PATHS } from "../../src/ops/status/status-routes.js";
import { type Child, freePort, startChild } from "../child-server.js";
import {
  expectClientAddressesBelieved,
  expectStatusPathsServed,
  killNodeBehind,
  openClients,
  renderDeployConfig,
  startBalancedCluster,
} from "./balancer.js";
import type { Cluster } from "./cluster.js";

/**
 * nginx sends a request that a node without the tower refuses (503) on to the next node, which
 * would hide a status path routed to all nodes: its log shows every node a request went to.
 */
function expectStatusFromTowerOnly(tower: string): void {
  const lines = readFileSync(join(dir, "access.log"), "utf8").trim().split("\n");
  const status = lines.filter((line) => /^\/(status|summary\.json|api\/v2\/|api\/v1\/ops\/)/.test(line));
  expect(status.length).toBeGreaterThan(STATUS_DOCUMENT_PATHS.length);
  for (const line of status) expect(line).toBe(`${line.split(" ")[0]} ${tower}`);
}

const NGINX = "/usr/sbin/nginx";
const dir = mkdtempSync(join(tmpdir(), "haetae-nginx-"));
let nginx: Child | undefined;
let cluster: Cluster | undefined;
let front = "";
afterAll(async () => {
  for (const c of openClients) c.client.close();
  await nginx?.stop(5000);
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The main file around the deploy snippet: one process in the foreground (no worker outlives a kill), every file it writes in `dir`. */
function mainConfig(snippet: string): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((name) => `  ${name}_temp_path ${join(dir, "temp", name)};`)
    .join("\n");
  return `daemon off;
master_process off;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events { worker_connections 1024; }
http {
  log_format upstream '$uri $upstream_addr';
  access_log ${join(dir, "access.log")} upstream;
${temp}
  include ${snippet};
}
`;
}

beforeAll(async () => {
  // Fails, not skips, where nginx is missing: .ci/run installs it.
  expect(existsSync(NGINX), `${NGINX} is missing: apt-get install -y nginx-light`).toBe(true);
  cluster = await startBalancedCluster();
  const port = await freePort();
  mkdirSync(join(dir, "temp"));
  const snippet = join(dir, "haetae.conf");
  writeFileSync(
    snippet,
    renderDeployConfig("nginx/haetae.conf", cluster, (text) => text.replace("listen 80;", `listen 127.0.0.1:${port};`)),
  );
  const main = join(dir, "nginx.conf");
  writeFileSync(main, mainConfig(snippet));
  front = `http://127.0.0.1:${port}`;
  nginx = await startChild({
    name: "nginx",
    command: NGINX,
    args: ["-p", dir, "-c", main, "-e", "stderr"],
    ready: { url: `${front}/readyz` },
    timeoutMs: 10_000,
  });
}, 60_000);

it("gives the nodes each client's own address, whatever the client writes in X-Forwarded-For", async () => {
  await expectClientAddressesBelieved(front, cluster as Cluster);
}, 60_000);

it("routes status paths to the tower node and moves a killed node's clients to the survivors within 2 s", async () => {
  const nodes = cluster as Cluster;
  await expectStatusPathsServed(front);
  await killNodeBehind(front, nodes, "nginx");
  await expectStatusPathsServed(front);
  expectStatusFromTowerOnly(`127.0.0.1:${nodes.ports[0]}`);
}, 90_000);
