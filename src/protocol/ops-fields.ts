/**
 * @module The field schemas the ops API's objects (ops-entities.ts) and its requests
 * (ops-requests.ts) share: a node checking a request loads these, not the objects' schemas.
 */
import { z } from "zod";
import { COMPONENT_STATUSES, INCIDENT_STATUSES, SEVERITIES } from "./ops-vocabulary.js";

/** A calendar day, `YYYY-MM-DD`. */
export const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");

export const componentStatusSchema = z.enum(COMPONENT_STATUSES);
export const severitySchema = z.enum(SEVERITIES);
export const incidentStatusSchema = z.enum(INCIDENT_STATUSES);
