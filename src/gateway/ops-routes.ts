/** @module The ops HTTP API under `/api/v1/ops/`: alerts, incidents, components, maintenance, logs, stats, probes, SLOs, roles, password resets and users' reports of groups; staff only, alert intake by token. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { setUserRole } from "../chat/actions/roles.js";
import type { ChatContext } from "../chat/context.js";
import { startPasswordReset } from "../chat/passwords.js";
import { sendJson } from "../http/answers.js";
import { readJson } from "../http/body.js";
import { bearer, queryOf } from "../http/request.js";
import { type Method, Router } from "../http/router.js";
import type { TowerApi } from "../ops/link/tower-api.js";
import type { Monitoring } from "../ops/monitoring/monitoring.js";
import { fromAlertmanager } from "../ops/tower/alertmanager.js";
import { fromPagerduty } from "../ops/tower/pagerduty.js";
import type { Actor } from "../ops/tower/tower.js";
import { describeIssue, HaetaeError } from "../protocol/index.js";
import * as s from "../protocol/ops-requests.js";
import { alertmanagerPayload, pagerdutyEvent } from "../protocol/ops-requests.js";
import { checkAlertToken, OpsAuth } from "./ops-auth.js";

export interface OpsDeps {
  ctx: ChatContext;
  /** The tower, in this process or reached over a link (the watcher, a cluster's leader). */
  tower: TowerApi;
  /** `alertToken`: empty closes the alert intake. */
  alertToken: string;
  adminUsernames: string;
  maxHttpBodyBytes: number;
  /** This node's probes and SLOs, for `/probes` and `/slos`. */
  monitoring?: Pick<Monitoring, "probes" | "slos">;
}

/** What a handler gets: the request, its path parameters, its query, and how to read its body. */
interface Call {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body<T extends z.ZodType>(schema: T): Promise<z.output<T>>;
}
type StaffHandler = (call: Call, actor: Actor) => Promise<[number, unknown]> | [number, unknown];
type OpenHandler = (call: Call) => Promise<[number, unknown]>;
interface Route {
  method: Method;
  /** The pattern under `/api/v1/ops`, as the router reads it (`/incidents/:id/log`). */
  path: string;
  staff?: StaffHandler;
  /** Not staff-authenticated: the handler checks its own credential (the alert token). */
  open?: OpenHandler;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HaetaeError("invalid_request", describeIssue(result.error));
  return result.data;
}

/** A route under `/api/v1/ops`; the router gives its handler the pattern's parameters as `call.params`. */
function route(method: Method, path: string, handler: Pick<Route, "staff" | "open">): Route {
  return { method, path, ...handler };
}

/** Build the router; it answers every request under `/api/v1/ops/` (errors are thrown as HaetaeError). */
export function createOpsRoutes(
  deps: OpsDeps,
): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const { tower } = deps;
  const auth = new OpsAuth(deps.ctx, deps.adminUsernames);
  const routes: Route[] = [
    route("GET", "/me", { staff: (_c, actor) => [200, { user: actor }] }),
    // Users' reports of groups (conversation.report), newest first, for staff to act on.
    route("GET", "/reports", {
      staff: async () => [200, { reports: await deps.ctx.store.listReports(deps.ctx.limits.conversationPageMax) }],
    }),

    route("POST", "/alerts/alertmanager", {
      open: async (call) => {
        checkAlertToken(deps.alertToken, bearer(call.req));
        const input = fromAlertmanager(await call.body(alertmanagerPayload));
        const alert = await tower.ingestAlert(input);
        return [200, { status: "success", alert }];
      },
    }),
    route("POST", "/alerts/pagerduty", {
      open: async (call) => {
        // The token may come as a bearer header (checked before reading the body) or as routing_key.
        const header = bearer(call.req);
        if (header !== undefined || deps.alertToken === "") checkAlertToken(deps.alertToken, header);
        const event = await call.body(pagerdutyEvent);
        if (header === undefined) checkAlertToken(deps.alertToken, event.routing_key);
        const { input, dedupKey } = fromPagerduty(event);
        await tower.ingestAlert(input);
        return [202, { status: "success", message: "Event processed", dedup_key: dedupKey }];
      },
    }),
    route("GET", "/alerts", {
      staff: async (call) => {
        const q = parse(s.alertsQuery, Object.fromEntries(call.query));
        return [200, { alerts: await tower.listAlerts(q) }];
      },
    }),
    route("POST", "/alerts/:id/acknowledge", {
      staff: async (call, actor) => [200, { alert: await tower.acknowledgeAlert(call.params.id as string, actor) }],
    }),

    route("GET", "/incidents", {
      staff: async (call) => [
        200,
        { incidents: await tower.listIncidents(parse(s.incidentsQuery, Object.fromEntries(call.query))) },
      ],
    }),
    route("POST", "/incidents", {
      staff: async (call, actor) => [201, await tower.declare(await call.body(s.declareBody), actor)],
    }),
    route("GET", "/incidents/:id", {
      staff: async (call) => [200, { incident: await tower.getIncident(call.params.id as string) }],
    }),
    route("POST", "/incidents/:id/updates", {
      staff: async (call, actor) => [
        200,
        { incident: await tower.update(call.params.id as string, await call.body(s.updateBody), actor) },
      ],
    }),
    route("POST", "/incidents/:id/severity", {
      staff: async (call, actor) => [
        200,
        { incident: await tower.overrideSeverity(call.params.id as string, await call.body(s.severityBody), actor) },
      ],
    }),
    route("POST", "/incidents/:id/roles", {
      staff: async (call, actor) => [
        200,
        { incident: await tower.setRoles(call.params.id as string, await call.body(s.rolesBody), actor) },
      ],
    }),
    route("POST", "/incidents/:id/acknowledge", {
      staff: async (call, actor) => [200, { incident: await tower.acknowledge(call.params.id as string, actor) }],
    }),
    route("PUT", "/incidents/:id/components", {
      staff: async (call, actor) => {
        const body = await call.body(s.incidentComponentsBody);
        return [200, { incident: await tower.setIncidentComponents(call.params.id as string, body.components, actor) }];
      },
    }),
    route("PATCH", "/incidents/:id/log", {
      staff: async (call, actor) => [
        200,
        { incident: await tower.editLog(call.params.id as string, await call.body(s.logBody), actor) },
      ],
    }),
    route("POST", "/incidents/:id/follow-ups", {
      staff: async (call, actor) => [
        201,
        { followUp: await tower.addFollowUp(call.params.id as string, await call.body(s.followUpBody), actor) },
      ],
    }),
    route("PATCH", "/incidents/:id/follow-ups/:followUpId", {
      staff: async (call, actor) => {
        const patch = await call.body(s.followUpPatch);
        const { id, followUpId } = call.params as { id: string; followUpId: string };
        return [200, { followUp: await tower.updateFollowUp(id, followUpId, patch, actor) }];
      },
    }),
    route("POST", "/incidents/:id/close", {
      staff: async (call, actor) => [200, { incident: await tower.closeReview(call.params.id as string, actor) }],
    }),
    route("GET", "/incidents/:id/similar", {
      staff: async (call) => [200, { similar: await tower.similar(call.params.id as string) }],
    }),

    route("GET", "/follow-ups/overdue", { staff: async () => [200, { followUps: await tower.overdueFollowUps() }] }),
    route("GET", "/logs/search", {
      staff: async (call) => {
        const q = parse(s.searchQuery, Object.fromEntries(call.query));
        return [200, { results: await tower.searchLogs(q.q, q.limit) }];
      },
    }),
    route("GET", "/stats", {
      staff: async (call) => [200, await tower.stats(parse(s.statsQuery, Object.fromEntries(call.query)).months)],
    }),

    route("GET", "/probes", {
      staff: async () => {
        const probes = deps.monitoring?.probes;
        return [
          200,
          { enabled: probes !== undefined, latest: probes?.latest() ?? {}, runs: probes?.recentRuns() ?? [] },
        ];
      },
    }),
    route("GET", "/slos", { staff: async () => [200, { slos: deps.monitoring?.slos.status() ?? [] }] }),

    route("GET", "/components", { staff: async () => [200, { components: await tower.listComponents() }] }),
    route("PUT", "/components/:id", {
      staff: async (call, actor) => {
        const { status } = await call.body(s.componentBody);
        return [200, { component: await tower.setComponentStatus(call.params.id as string, status, actor) }];
      },
    }),
    route("GET", "/maintenances", { staff: async () => [200, { maintenances: await tower.listMaintenances() }] }),
    route("POST", "/maintenances", {
      staff: async (call, actor) => [
        201,
        { maintenance: await tower.scheduleMaintenance(await call.body(s.maintenanceBody), actor) },
      ],
    }),
    route("POST", "/maintenances/:id/cancel", {
      staff: async (call, actor) => [
        200,
        { maintenance: await tower.cancelMaintenance(call.params.id as string, actor) },
      ],
    }),

    route("PUT", "/users/:username/role", {
      staff: async (call, actor) => {
        if (actor.role !== "admin") throw new HaetaeError("forbidden", "Only an admin may set roles.");
        const { role } = await call.body(s.roleBody);
        return [200, { user: await setUserRole(deps.ctx, actor, call.params.username as string, role) }];
      },
    }),
    // A one-time code for the user to set a new password with; their logins end at once.
    route("POST", "/users/:username/password-reset", {
      staff: async (call, actor) => [201, await startPasswordReset(deps.ctx, call.params.username as string, actor)],
    }),
  ];

  const router = new Router<Omit<Call, "params">, Promise<[number, unknown]>>();
  for (const { method, path, staff, open } of routes) {
    router.on(method, `/api/v1/ops${path}`, async (request, params) => {
      const call: Call = { ...request, params };
      return open ? open(call) : (staff as StaffHandler)(call, await auth.staff(bearer(call.req)));
    });
  }

  return async (req, res, path) => {
    // Malformed percent-encoding in a parameter is `invalid_request`, thrown by the match.
    const found = router.match(req.method ?? "", path);
    if ("miss" in found) throw new HaetaeError(found.miss);
    const request: Omit<Call, "params"> = {
      req,
      query: queryOf(req.url),
      body: async (schema) => parse(schema, await readJson(req, deps.maxHttpBodyBytes)),
    };
    const [status, body] = await found.handler(request, found.params);
    sendJson(res, status, body);
  };
}
