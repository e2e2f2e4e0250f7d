/** @module The optional status listener (`statusPort`): the public status routes on a port of their own. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sendError } from "../../http/answers.js";
import { answerClientError } from "../../http/client-error.js";
import { pathOf } from "../../http/request.js";
import { STATUS_SECURITY_HEADERS, type StatusRoutes } from "./status-routes.js";

/**
 * A second HTTP server that serves only the status routes. It shares the process but not the
 * chat port's accept queue, keep-alive connections or connection limits: a reconnect storm of
 * chat clients (exactly what an incident causes) cannot crowd out the page that explains it.
 */
export async function startStatusServer(routes: StatusRoutes, port: number, host: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = pathOf(req.url);
    // Everything on this port is the status page's, the redirect and the 404 included.
    for (const [name, value] of Object.entries(STATUS_SECURITY_HEADERS)) res.setHeader(name, value);
    if (path === "/") {
      res.writeHead(302, { location: "/status" });
      res.end();
      return;
    }
    if (!(await routes(req, res, path))) sendError(res, "route_not_found");
  });
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

/** The port a started status server listens on. */
export function statusServerPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
